import { describe, expect, it } from 'vitest';
import { columnIdentifier } from '../../src/contacts/csv.js';
import { parseContacts } from '../../src/contacts/rules.js';
import { problemsOf } from '../helpers/problems.js';

/** File-level problems (thrown) or row problems (of the rejected rows). */
const contactProblems = (text: string) => problemsOf(() => parseContacts(text, 'c.csv').rejected.flatMap((r) => r.problems));

describe('parseContacts', () => {
  it("reads names with the region's letters, and reaches columns by identifier and header", () => {
    const list = parseContacts('E-mail,Name,First name,Country\nz@example.org,Žydrūnė Šalčiūtė,Žydrūnė,Lithuania\n', 'c.csv');
    expect(list.contacts).toHaveLength(1);
    const [z] = list.contacts;
    expect(z).toMatchObject({ line: 2, email: 'z@example.org', name: 'Žydrūnė Šalčiūtė', timezone: 'Europe/Vilnius' });
    expect(z?.fields.first_name).toBe('Žydrūnė');
    expect(z?.fields['First name']).toBe('Žydrūnė');
    expect(list.columns).toContain('first_name');
  });

  it('keeps line numbers right after a quoted field with newlines, and skips blank lines', () => {
    const list = parseContacts('email,name,note\na@example.org,A,"two\nlines, with comma"\n\nb@example.org,B,x\n', 'c.csv');
    expect(list.contacts.toArray().map((c) => [c.email, c.line])).toEqual([
      ['a@example.org', 2],
      ['b@example.org', 5],
    ]);
    expect(list.contacts.toArray()[0]?.fields.note).toBe('two\nlines, with comma');
  });

  it('lists every problem at once with line and column', () => {
    const problems = contactProblems(
      [
        'email,name',
        'a@example.org,A',
        'A@Example.org,A again',
        ',Nobody',
        'not-an-address,X',
        'c@example.org,too,many',
        '"d@example.org","Evil\r\nBcc: victim@example.com"',
      ].join('\n'),
    );
    expect(problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [3, 'email', 'duplicate address A@Example.org (also on line 2)'],
      [4, 'email', 'empty email address'],
      [5, 'email', '"not-an-address" is not a valid e-mail address'],
      [6, undefined, 'this row has 3 fields, the header has 2'],
      [7, 'name', '"name" contains a line break or control character'],
    ]);
  });

  it('requires an email column', () => {
    expect(contactProblems('name,organisation\nA,B\n')[0]?.message).toContain('no email column');
  });

  it('rejects an unknown time zone', () => {
    expect(contactProblems('email,timezone\na@example.org,Mars/Olympus\n')[0]).toMatchObject({ line: 2, column: 'timezone' });
  });
});

describe('columnIdentifier', () => {
  it.each([
    ['First name', 'first_name'],
    [' E-mail ', 'e_mail'],
    ['Organisation (EN)', 'organisation_en'],
    ['Sähköposti', 'sähköposti'],
  ])('%s → %s', (header, id) => expect(columnIdentifier(header)).toBe(id));
});

describe("the region's column names", () => {
  it.each([
    ['Latvian', 'E-pasts;Vārds;Organizācija'],
    ['Lithuanian', 'El. paštas;Vardas;Organizacija'],
    ['Estonian', 'E-post;Nimi;Organisatsioon'],
    ['Finnish', 'Sähköposti;Nimi;Organisaatio'],
    ['Danish', 'E-mail;Navn;Organisation'],
    ['Swedish', 'E-postadress;Namn;Organisation'],
    ['Polish', 'Adres e-mail;Imię i nazwisko;Organizacja'],
    ['German', 'E-Mail;Name;Organisation'],
    ['English', 'Email;Name;Organization'],
  ])('%s headers give {{name}} and {{organisation}}', (_, header) => {
    const list = parseContacts(`${header}\nada@example.org;Ada Lovelace;Analytical Engines\n`, 'c.csv');
    expect(list.rejected).toEqual([]);
    const [ada] = list.contacts;
    expect(ada!.name).toBe('Ada Lovelace');
    expect(ada!.fields).toMatchObject({ email: 'ada@example.org', name: 'Ada Lovelace', organisation: 'Analytical Engines' });
    expect(list.columns).toEqual(expect.arrayContaining(['name', 'organisation', 'email']));
  });
});
