// Attachment confinement below the CLI: the bytes are read from the checked file only.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAttachment, DEFAULT_LIMITS, encodedSize, parseSize, readAttachment, realPaths } from '../../src/campaign/attachments.js';

function folder() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'invite-attach-'));
  mkdirSync(path.join(root, 'files'));
  writeFileSync(path.join(root, 'files', 'a.txt'), 'agenda\n');
  return { root, confinement: { roots: realPaths([root]), private: [] } };
}

describe('attachments', () => {
  it('a file swapped for a symlink after the check is not read through it', () => {
    const { root, confinement } = folder();
    const checked = checkAttachment('files/a.txt', root, confinement, DEFAULT_LIMITS);
    if (!checked.ok) throw new Error(checked.message);
    expect(readAttachment(checked.attachment).toString()).toBe('agenda\n');
    rmSync(path.join(root, 'files', 'a.txt'));
    symlinkSync('/etc/hostname', path.join(root, 'files', 'a.txt'));
    expect(() => readAttachment(checked.attachment)).toThrow(/ELOOP/);
  });

  it('a file that grew past its limit after the check is not read', () => {
    const { root, confinement } = folder();
    const checked = checkAttachment('files/a.txt', root, confinement, { perAttachment: 10, perMessage: 1e6 });
    if (!checked.ok) throw new Error(checked.message);
    writeFileSync(path.join(root, 'files', 'a.txt'), 'x'.repeat(11));
    expect(() => readAttachment(checked.attachment)).toThrow('attachment files/a.txt grew to 11 B, over the limit of 10 B');
  });

  it('sizes: "10 MB", "500 KB", "2048"; base64 with CRLF every 76 characters', () => {
    expect(parseSize('10 MB')).toBe(10 * 1024 * 1024);
    expect(parseSize('500kb')).toBe(500 * 1024);
    expect(parseSize('2048')).toBe(2048);
    expect(parseSize('ten')).toBeUndefined();
    expect(encodedSize(57)).toBe(76 + 2);
    expect(encodedSize(3000)).toBe(4000 + 53 * 2);
  });
});
