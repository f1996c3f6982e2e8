// The contacts file is read in chunks (issue 10: a million rows in bounded memory): rows, line
// numbers and errors are the same as when the whole text is parsed at once.
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { eachRow, readCsvChunks, type RawRow } from '../../src/contacts/csv.js';
import { loadContacts } from '../../src/contacts/rules.js';
import { formatProblem, InputError } from '../../src/errors.js';

const rowsOf = (text: string | Iterable<string>) => {
  const rows: RawRow[] = [];
  eachRow(text, ',', (r) => rows.push(r));
  return rows;
};

describe('reading a CSV in chunks', () => {
  it('chunks cut anywhere, even inside a quoted field with line breaks or "" quotes, give the same rows and lines', () => {
    const text =
      '\ufeffemail,name,note\r\na@example.org,"Ada ""A"" L",plain\r\n\r\nb@example.org,Bea,"two\r\nlines, and\r\n""more"""\r\nc@example.org,Cy,last\r\n';
    const whole = rowsOf(text);
    expect(whole.map((r) => [r.line, r.fields[0]])).toEqual([
      [1, 'email'],
      [2, 'a@example.org'],
      [4, 'b@example.org'],
      [7, 'c@example.org'],
    ]);
    for (let size = 1; size <= 20; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(rowsOf(chunks), `chunks of ${size}`).toEqual(whole);
    }
  });

  it('blank lines before a row: its line counts each once (three blank lines put the next row on line 5, not 8)', () => {
    for (const newline of ['\n', '\r\n']) {
      const text = ['email', '', '', '', 'b@example.org', 'c@example.org', ''].join(newline);
      expect(
        rowsOf(text).map((r) => [r.line, r.fields[0]]),
        JSON.stringify(newline),
      ).toEqual([
        [1, 'email'],
        [5, 'b@example.org'],
        [6, 'c@example.org'],
      ]);
    }
    // What the organiser reads: the bad address's own line.
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-csv-')), 'blank-lines.csv');
    writeFileSync(file, 'email,name\r\n\r\n\r\n\r\nnot-an-address,Ada\r\n');
    expect(formatProblem(loadContacts(file).rejected[0]!.problems[0]!)).toMatch(/blank-lines\.csv:5:email: /);
  });

  it('a long text is parsed a few kilobytes at a time, never inside a quoted field: the same rows as Papa Parse gives for the whole text, the lines right', () => {
    const rows = ['email,name,note'];
    for (let i = 0; i < 3000; i++)
      rows.push(i % 7 === 0 ? `p${i}@example.org,"P, ${i}","line one\nline two, ""quoted""\n${'x'.repeat(i % 50)}"` : `p${i}@example.org,P ${i},plain`);
    const text = rows.join('\n') + '\n';
    const expected = Papa.parse<string[]>(text, { delimiter: ',', newline: '\n', skipEmptyLines: true }).data;
    const found = rowsOf(text);
    expect(found.map((r) => r.fields)).toEqual(expected);
    // Each row's line: one more than the line breaks before it.
    const lines = rows.map((_, i) => 1 + rows.slice(0, i).reduce((n, r) => n + r.split('\n').length, 0));
    expect(found.map((r) => r.line)).toEqual(lines);
  });

  it("random texts: the rows of well-formed ones are Papa Parse's for the whole text; line breaks of any kind (blank lines, a lone LF in a CR LF file) give the same rows and lines whole and in pieces", () => {
    // One parser reads every piece of a file (Papa.parse per piece made objects that outlived
    // V8's young generation): nothing of one piece may leak into the next.
    let seed = 22;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const atoms = ['a', 'Ž', 'x'.repeat(40), ' ', ',', '"', '\n', '\r\n', '\r', ';'];
    const cell = () => {
      let text = '';
      for (let n = random(6); n > 0; n--) text += atoms[random(atoms.length)];
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    };
    for (let t = 0; t < 300; t++) {
      const newline = t % 2 === 0 ? '\n' : '\r\n';
      const lines: string[] = [];
      for (let r = random(40) + 1; r > 0; r--) lines.push(random(8) === 0 ? '' : Array.from({ length: 3 }, cell).join(','));
      const text = lines.join(newline) + newline;
      const pieces: string[] = [];
      for (let i = 0; i < text.length;) {
        const size = 1 + random(60);
        pieces.push(text.slice(i, i + size));
        i += size;
      }
      const whole = rowsOf(text);
      const expected = Papa.parse<string[]>(text, { delimiter: ',', newline, skipEmptyLines: 'greedy' }).data;
      expect(
        whole.map((r) => r.fields),
        `text ${t}`,
      ).toEqual(expected.filter((row) => row.some((f) => f.trim() !== '')));
      expect(rowsOf(pieces), `text ${t} in pieces`).toEqual(whole);
      // Line breaks of every kind strung together (CR LF, a lone LF or CR, blank lines; no quotes,
      // whose pieces are cut by their own rule): the same rows and lines however the text comes.
      let junk = '';
      for (let n = random(300); n > 0; n--) junk += atoms[random(atoms.length)]!.replace('"', '\n\n');
      const junkPieces = junk.match(/[\s\S]{1,7}/g) ?? [];
      expect(rowsOf(junkPieces), `junk ${t}`).toEqual(rowsOf(junk));
    }
  });

  it('a file read in many chunks: every row, the last line number right, and a bad byte deep in it named by line', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-csv-'));
    const file = path.join(dir, 'big.csv');
    const rows = ['email,name,note'];
    for (let i = 1; i <= 3_000; i++) rows.push(`p${i}@example.org,Person ${i},"a note\nof two lines"`);
    writeFileSync(file, rows.join('\n') + '\n');
    const list = loadContacts(file, { keep: false, chunkBytes: 4096 });
    expect(list.ready).toBe(3_000);
    expect([...list.contacts]).toEqual([]);
    const { chunks, delimiter } = readCsvChunks(file, { chunkBytes: 4096 }, { message: 'x', hint: 'y' });
    let last: RawRow | undefined;
    eachRow(chunks, delimiter, (r) => (last = r));
    expect(last!.line).toBe(2 * 3_000); // each row spans two lines
    writeFileSync(file, Buffer.concat([Buffer.from(rows.join('\n') + '\n'), Buffer.from('z@example.org,B\xe9a,Org\n', 'latin1')]));
    let error: unknown;
    try {
      loadContacts(file, { chunkBytes: 4096 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems[0]).toMatchObject({ line: 6_002, column: 'name' });
  });
});
