// Spreadsheet exports as organisers have them: one fixture file per case under
// test/fixtures/contacts/, each asserting the exact problems or the exact decoded values.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { loadContacts, type ContactOptions } from '../../src/contacts/rules.js';
import { problemsOf } from '../helpers/problems.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/contacts');
const fixture = (name: string) => path.join(FIXTURES, name);
const shown = (name: string) => path.relative(process.cwd(), fixture(name));

/** [line, column, message] of every problem of every rejected row. */
function rowProblems(name: string, options: ContactOptions = {}) {
  return loadContacts(fixture(name), options).rejected.flatMap((r) => r.problems.map((p) => [p.file, p.line, p.column, p.message]));
}

const fileProblems = (file: string, options: ContactOptions = {}) => problemsOf(() => void loadContacts(file, options));

/** A semicolon-delimited windows-1257 export, as Excel in Vilnius or Riga writes it. */
function baltic1257(): { file: string; names: string[] } {
  const names = ['Žydrūnė Šalčiūtė', 'Māra Bērziņa', 'Tõnu Põld', 'Ģirts Ķēniņš'];
  const rows = ['email;name;organisation', ...names.map((n, i) => `person${i}@example.org;${n};Centre ${i}`)];
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-1257-')), 'export.csv');
  writeFileSync(file, iconv.encode(rows.join('\r\n') + '\r\n', 'windows-1257'));
  return { file, names };
}

describe('contacts as spreadsheets export them', () => {
  it('windows-1257 with semicolons: decoded exactly with --encoding', () => {
    const { file, names } = baltic1257();
    const list = loadContacts(file, { encoding: 'windows-1257' });
    expect(list.delimiter).toBe(';');
    expect(list.contacts.toArray().map((c) => c.name)).toEqual(names);
    expect(list.rejected).toEqual([]);
  });

  it('windows-1257 without --encoding: exit-2 error naming line, column and the likely code page', () => {
    const { file } = baltic1257();
    const problems = fileProblems(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 2, column: 'name', message: 'the file is not UTF-8: byte 0xde here is not a UTF-8 character' });
    expect(problems[0]?.hint).toContain('--encoding windows-1257');
  });

  it('windows-1250 (Polish) is suggested for a Polish export', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-1250-')), 'pl.csv');
    writeFileSync(file, iconv.encode('email;name\nanna@example.org;Małgorzata Wąsowska-Łęcka\n', 'windows-1250'));
    expect(fileProblems(file)[0]?.hint).toContain('--encoding windows-1250');
    expect(loadContacts(file, { encoding: 'windows-1250' }).contacts.toArray()[0]?.name).toBe('Małgorzata Wąsowska-Łęcka');
  });

  it('UTF-8 with BOM, CRLF and a quoted field with a comma and a newline', () => {
    const list = loadContacts(fixture('bom-crlf-multiline.csv'));
    expect(list.columns.slice(0, 4)).toEqual(['email', 'name', 'organisation', 'note']);
    expect(list.contacts.toArray().map((c) => [c.line, c.email, c.fields.organisation, c.fields.note])).toEqual([
      [2, 'ada@example.org', 'Analytical Engines, Ltd.', 'first line\r\nsecond line'],
      [5, 'bob@example.org', 'Builders', 'plain'],
    ]);
  });

  it('duplicates differing in case: both rows named', () => {
    expect(rowProblems('duplicates-case.csv')).toEqual([
      [shown('duplicates-case.csv'), 4, 'email', 'duplicate address ADA@EXAMPLE.ORG (also on line 2)'],
      [shown('duplicates-case.csv'), 5, 'email', 'duplicate address bob@example.org (also on line 3)'],
    ]);
  });

  it('invalid and empty addresses', () => {
    const file = shown('invalid-addresses.csv');
    expect(rowProblems('invalid-addresses.csv')).toEqual([
      [file, 2, 'email', 'empty email address'],
      [file, 3, 'email', '"ada@example" has an invalid domain "example"'],
      [file, 4, 'email', '"bob at example.org" is not a valid e-mail address'],
      [file, 5, 'email', '"carol@exa mple.org" is not a valid e-mail address'],
      [file, 6, 'email', '"dave@example.org;erin@example.org" is not a valid e-mail address'],
    ]);
    expect(
      loadContacts(fixture('invalid-addresses.csv'))
        .contacts.toArray()
        .map((c) => c.email),
    ).toEqual(['frank@example.org']);
  });

  it('a name with CR/LF and "Bcc:" is rejected: no header can be injected', () => {
    expect(rowProblems('header-injection.csv')).toEqual([[shown('header-injection.csv'), 2, 'name', '"name" contains a line break or control character']]);
  });

  it('a column used in the subject may not hold a line break either', () => {
    expect(rowProblems('bom-crlf-multiline.csv', { headerColumns: ['note'] })).toEqual([
      [shown('bom-crlf-multiline.csv'), 2, 'note', '"note" contains a line break or control character'],
    ]);
  });

  it('a name with double quotes and a comma is read as written', () => {
    expect(loadContacts(fixture('name-quotes.csv')).contacts.toArray()[0]?.name).toBe('Nowak, Anna "Ania"');
  });

  it('headers with spaces and mixed case; the email column under another name; first + last name', () => {
    const list = loadContacts(fixture('headers-spaces.csv'));
    const [z] = list.contacts;
    expect(z?.email).toBe('zydrune@example.org');
    expect(z?.name).toBe('Žydrūnė Šalčiūtė');
    expect(z?.fields.first_name).toBe('Žydrūnė');
    expect(z?.fields['First name']).toBe('Žydrūnė');
    expect(z?.fields.organisation).toBe('Lithuanian Centre');
    expect(list.headers).toEqual(['E-mail Address', 'First name', 'Last Name', 'Organisation']);
  });

  it('ragged rows: too many and too few fields', () => {
    const file = shown('ragged.csv');
    expect(rowProblems('ragged.csv')).toEqual([
      [file, 3, undefined, 'this row has 4 fields, the header has 3'],
      [file, 4, undefined, 'this row has 2 fields, the header has 3'],
    ]);
  });

  it('IDN domains become punycode; a display name in the cell becomes the name', () => {
    const list = loadContacts(fixture('idn.csv'));
    expect(list.contacts.toArray().map((c) => [c.email, c.name, c.fields.email])).toEqual([
      ['info@xn--w-uga1v8h.example.pl', 'Jan Żółw', 'info@żółw.example.pl'],
      ['juri@xn--un-bka.example.ee', 'Jüri Tamm', 'juri@xn--un-bka.example.ee'],
    ]);
  });

  it('two headers that normalise to the same name are named both', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-hdr-')), 'h.csv');
    writeFileSync(file, 'email,First name,first_name\na@example.org,A,B\n');
    expect(fileProblems(file).map((p) => p.message)).toEqual(['the headers "First name" and "first_name" both become {{first_name}}']);
  });

  it('an explicit delimiter wins over detection', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-tab-')), 't.csv');
    writeFileSync(file, 'email\tname\tnote\na@example.org\tA\tx;y;z,w\n');
    expect(loadContacts(file, { delimiter: '\t' }).contacts.toArray()[0]?.fields.note).toBe('x;y;z,w');
  });
});
