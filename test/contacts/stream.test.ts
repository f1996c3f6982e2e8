// Issue 12: a sending command keeps no contacts; it reads the rows again from the file each time
// it walks them. Those walks must give exactly the contacts the checked read gave, skip the rows
// it rejected, and stop (ContactsChanged, a DeliveryStop) as soon as the file is not the file
// that was checked.
import { mkdtempSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { ContactsChanged } from '../../src/contacts/csv.js';
import { loadContacts, type Contact } from '../../src/contacts/rules.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/contacts');
const seen = (c: Contact) => ({
  line: c.line,
  email: c.email,
  name: c.name,
  timezone: c.timezone,
  fields: c.fields,
  attachments: c.attachments.map((a) => a.filename),
});

function bigFile(rows: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-stream-'));
  const file = path.join(dir, 'contacts.csv');
  const lines = ['email,name,country,note'];
  for (let i = 1; i <= rows; i++) lines.push(`p${i}@example.org,Žydrūnė ${i},${['Lithuania', 'Latvia', 'Narnia'][i % 3]},"note\n${i}"`);
  lines.push('p7@example.org,Again,Latvia,duplicate', 'not-an-address,Bad,Latvia,x');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('contacts read again at each walk', () => {
  it('every fixture: the same contacts, in the same order, as when they are kept in memory, walk after walk', () => {
    for (const name of readdirSync(fixtures)) {
      const file = path.join(fixtures, name);
      let whole;
      try {
        whole = loadContacts(file);
      } catch {
        continue; // a file that is wrong as a whole is refused either way
      }
      const kept = whole.contacts.toArray().map(seen);
      // Tiny chunks cross every boundary (the delimiter is given: a 7-byte head is too short to guess it).
      const streamed = loadContacts(file, { stream: true, chunkBytes: 7, delimiter: whole.delimiter });
      expect(streamed.contacts.toArray().map(seen), name).toEqual(kept);
      expect(streamed.contacts.toArray().map(seen), `${name}, walked again`).toEqual(kept);
      expect(streamed.contacts.length).toBe(kept.length);
    }
  });

  it('a long file in many chunks: rejected rows (a duplicate, a bad address) are skipped on every walk; lazy filters and take() walk the file again', () => {
    const file = bigFile(2_000);
    const list = loadContacts(file, { stream: true, chunkBytes: 1024 });
    expect(list.ready).toBe(2_000);
    expect(list.rejected.map((r) => r.line)).toEqual([4_002, 4_003]);
    expect(list.contacts.length).toBe(2_000);
    // Filters see the keys kept from the check (the address, line, name): no walk of the file.
    const everyThird = list.contacts.filter((c) => Number(/^p(\d+)@/.exec(c.email)![1]) % 3 === 1);
    expect(everyThird.length).toBe(667);
    expect(everyThird.take(2).map((c) => c.email)).toEqual(['p1@example.org', 'p4@example.org']);
    // Walking the chosen rows reads the file again and gives whole contacts.
    expect(
      everyThird
        .take(2)
        .toArray()
        .map((c) => [c.line, c.fields.country]),
    ).toEqual([
      [2, 'Latvia'],
      [8, 'Latvia'],
    ]);
    expect(
      list.contacts
        .toArray()
        .map((c) => c.email)
        .at(-1),
    ).toBe('p2000@example.org');
  });

  it('a file changed between the check and a walk: the walk stops at the changed chunk, before any of its rows', () => {
    const file = bigFile(500);
    const list = loadContacts(file, { stream: true, chunkBytes: 512 });
    const walk = list.contacts[Symbol.iterator]();
    const first = walk.next().value as Contact;
    expect(first.email).toBe('p1@example.org');
    // Row 400 changes: what was checked is no longer what would be sent.
    writeFileSync(file, readFileSync(file, 'utf8').replace('p400@example.org', 'q400@example.org'));
    const emails: string[] = [];
    expect(() => {
      for (let step = walk.next(); !step.done; step = walk.next()) emails.push(step.value.email);
    }).toThrow(ContactsChanged);
    expect(emails).not.toContain('q400@example.org');
    expect(emails.length).toBeGreaterThan(300);
    // A new walk finds the change at once.
    expect(() => list.contacts.length && [...list.contacts]).toThrow(/changed while invite was running/);
  });

  it('a file cut short or grown after the check is a changed file too', () => {
    const file = bigFile(50);
    const text = readFileSync(file, 'utf8');
    const list = loadContacts(file, { stream: true, chunkBytes: 256 });
    writeFileSync(file, text + 'new@example.org,New,Latvia,x\n');
    expect(() => [...list.contacts]).toThrow(ContactsChanged);
    writeFileSync(file, text.slice(0, 300));
    expect(() => [...list.contacts]).toThrow(ContactsChanged);
    writeFileSync(file, text);
    expect([...list.contacts]).toHaveLength(50);
  });

  it('a per-row attachment removed after the check stops the walk at its row, naming it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-stream-att-'));
    writeFileSync(path.join(dir, 'a.pdf'), 'A');
    writeFileSync(path.join(dir, 'b.pdf'), 'B');
    const file = path.join(dir, 'contacts.csv');
    writeFileSync(file, 'email,name,file\na@example.org,Ada,a.pdf\nb@example.org,Bea,b.pdf\n');
    const list = loadContacts(file, { stream: true, attachmentColumn: 'file', baseDir: dir });
    expect(list.contacts.toArray().map((c) => c.attachments.map((a) => a.filename))).toEqual([['a.pdf'], ['b.pdf']]);
    unlinkSync(path.join(dir, 'b.pdf'));
    const walk = list.contacts[Symbol.iterator]();
    expect((walk.next().value as Contact).email).toBe('a@example.org');
    expect(() => walk.next()).toThrow(/contacts\.csv:3.*\(this row was fine when it was checked\)/);
  });

  it('code pages and UTF-16 read the same on every walk, across chunk boundaries', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-stream-enc-'));
    const rows = Array.from({ length: 300 }, (_, i) => `p${i}@example.org;Małgorzata Wąsowska-Łęcka ${i}`);
    const text = ['email;name', ...rows].join('\n') + '\n';
    const cp1250 = path.join(dir, 'cp1250.csv');
    writeFileSync(cp1250, iconv.encode(text, 'windows-1250'));
    const utf16 = path.join(dir, 'utf16.csv');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    for (const [file, encoding] of [
      [cp1250, 'windows-1250'],
      [utf16, undefined],
    ] as const) {
      const kept = loadContacts(file, { encoding, delimiter: ';' }).contacts.toArray().map(seen);
      const streamed = loadContacts(file, { encoding, delimiter: ';', stream: true, chunkBytes: 301 });
      expect(kept).toHaveLength(300);
      expect(streamed.contacts.toArray().map(seen), file).toEqual(kept);
      expect(streamed.contacts.toArray().map(seen), `${file}, again`).toEqual(kept);
    }
  });
});
