// The bytes a check keeps for every row, in blocks of 64 kB: whatever is appended reads back the
// same, including texts that run from one block into the next and ones longer than a block.
import { describe, expect, it } from 'vitest';
import { ByteLog } from '../../src/contacts/byte-log.js';

/** A deterministic random text: ASCII, Latin, Baltic, CJK and astral characters, of any length up to `most`. */
function texts(count: number, most: number, seed = 7): string[] {
  const alphabet = ['a', 'Z', '@', '.', 'ā', 'ž', 'ö', '–', '中', '😀'];
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, () => {
    const length = next() < 0.01 ? Math.floor(next() * most) : Math.floor(next() * 80);
    return Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  });
}

describe('ByteLog', () => {
  it('texts and bytes appended in turn read back the same, across block boundaries and longer than a block', () => {
    const log = new ByteLog();
    const written = texts(5_000, 150_000);
    const ends: number[] = [];
    written.forEach((text, i) => ends.push(i % 3 === 0 ? log.append(Buffer.from(text, 'utf8')) : log.appendText(text)));
    expect(log.length).toBe(written.reduce((sum, t) => sum + Buffer.byteLength(t), 0));
    expect(log.length).toBeGreaterThan(20 * 65_536); // many blocks
    let crossing = 0;
    written.forEach((text, i) => {
      const start = i === 0 ? 0 : ends[i - 1]!;
      if (Math.floor(start / 65_536) !== Math.floor(Math.max(start, ends[i]! - 1) / 65_536)) crossing++;
      expect(log.text(start, ends[i]!)).toBe(text);
      expect(log.equals(start, ends[i]!, Buffer.from(text, 'utf8'))).toBe(true);
      expect(log.equals(start, ends[i]!, Buffer.from(`${text}x`, 'utf8'))).toBe(false);
      if (text) expect(log.equals(start, ends[i]!, Buffer.from(`${text.slice(0, -1)}#`, 'utf8'))).toBe(text.endsWith('#'));
    });
    expect(crossing).toBeGreaterThan(10);
  });

  it('an empty log and empty texts read as empty', () => {
    const log = new ByteLog();
    expect(log.text(0, 0)).toBe('');
    expect(log.appendText('')).toBe(0);
    expect(log.equals(0, 0, Buffer.alloc(0))).toBe(true);
    expect(log.appendText('ā')).toBe(2);
    expect(log.text(0, 2)).toBe('ā');
  });
});
