// Contacts: reads the CSV a spreadsheet exported, finds the e-mail column under its common
// names, and checks every row (all problems at once, each with its line and column).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { DateTime } from 'luxon';
import { InputError, type Problem } from './errors.js';
import { zoneForCountry } from './zones.js';

export interface Contact {
  /** The line of the file on which this row starts (1-based; the header is on line 1 or later). */
  line: number;
  email: string;
  /** Display name for To and the calendar; empty when the contacts have no name column. */
  name: string;
  /** IANA zone for local times in the letter: the `timezone` column, else the country's zone. */
  timezone?: string;
  /** Every column, under its normalised identifier and under its header as written. */
  fields: Record<string, string>;
}

export interface ContactList {
  /** The file as shown in messages. */
  file: string;
  /** Normalised column identifiers, in file order. */
  columns: string[];
  contacts: Contact[];
}

/** Normalised names under which the e-mail column is recognised. */
const EMAIL_HEADERS = new Set([
  'email', 'e_mail', 'email_address', 'e_mail_address', 'mail', 'mail_address',
  'e_post', 'epost', 'sähköposti', 'e_pasts', 'el_paštas', 'adres_e_mail', 'e_posti',
]);
const NAME_HEADERS = ['name', 'full_name', 'contact_name', 'contact_person', 'contact'];

/** `First name` → `first_name`: what a template can write as {{first_name}}. */
export function columnIdentifier(header: string): string {
  return header
    .normalize('NFC')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}

/** Reads and checks a contacts file. Throws InputError listing every problem found. */
export function loadContacts(file: string): ContactList {
  const shown = path.relative(process.cwd(), file) || file;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new InputError({ file: shown, message: 'contacts file not found', hint: 'check `contacts:` in invite.yaml or pass --contacts FILE' });
  }
  return parseContacts(decode(bytes, shown), shown);
}

function decode(bytes: Buffer, shown: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, bad);
    const line = before.filter((b) => b === 0x0a).length + 1;
    const column = bad - (before.lastIndexOf(0x0a) + 1) + 1;
    throw new InputError({
      file: shown,
      line,
      column,
      message: `the file is not UTF-8 (byte 0x${bytes[bad]?.toString(16).padStart(2, '0')} at this position)`,
      hint: 'save it as "CSV UTF-8" from the spreadsheet; exports from Excel in the Baltic countries are often windows-1257, in Poland windows-1250',
    });
  }
}

function firstInvalidUtf8(bytes: Buffer): number {
  for (let end = 1; end <= bytes.length; end++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
    } catch {
      return end - 1;
    }
  }
  return bytes.length - 1;
}

/** Picks the delimiter that splits the header line into the most fields. */
function guessDelimiter(text: string): string {
  const header = text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '';
  let best = ',';
  let bestCount = 0;
  for (const candidate of [',', ';', '\t', '|']) {
    const count = header.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

export function parseContacts(text: string, shown: string): ContactList {
  const rows: { fields: string[]; line: number }[] = [];
  let offset = 0;
  // Line numbers come from the parser's cursor, so quoted fields with newlines keep later rows right.
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineAt = (position: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const problems: Problem[] = [];
  Papa.parse<string[]>(text, {
    delimiter: guessDelimiter(text),
    step: (result) => {
      const start = offset;
      offset = result.meta.cursor;
      // Skip leading line breaks so the row's line is where its first field is.
      let first = start;
      while (text[first] === '\r' || text[first] === '\n') first++;
      const fields = result.data;
      if (fields.length === 1 && fields[0]?.trim() === '') return; // blank line
      for (const error of result.errors) {
        problems.push({ file: shown, line: lineAt(first), message: `CSV: ${error.message}`, hint: 'check the quotes in this row' });
      }
      rows.push({ fields, line: lineAt(first) });
    },
  });

  const header = rows.shift();
  if (!header) throw new InputError({ file: shown, message: 'the contacts file is empty', hint: 'it needs a header row with an email column' });
  const headers = header.fields.map((h) => h.trim());
  const columns = headers.map(columnIdentifier);
  const emailIndex = columns.findIndex((c) => EMAIL_HEADERS.has(c));
  if (emailIndex < 0) {
    throw new InputError({
      file: shown,
      line: header.line,
      message: `no email column among the headers (${headers.join(', ')})`,
      hint: 'name the column with the addresses "email"',
    });
  }
  const nameIndex = NAME_HEADERS.map((n) => columns.indexOf(n)).find((i) => i >= 0) ?? -1;
  const firstIndex = columns.indexOf('first_name');
  const lastIndex = columns.indexOf('last_name');
  const zoneIndex = columns.indexOf('timezone');
  const countryIndex = columns.indexOf('country');

  const contacts: Contact[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const at = (index: number, message: string, hint?: string) =>
      problems.push({ file: shown, line: row.line, column: headers[index] ?? index + 1, message, hint });
    if (row.fields.length !== headers.length) {
      problems.push({
        file: shown,
        line: row.line,
        message: `this row has ${row.fields.length} fields, the header has ${headers.length}`,
        hint: 'a value with the delimiter in it must be in double quotes',
      });
      continue;
    }
    const value = (index: number) => (index >= 0 ? (row.fields[index] ?? '').trim() : '');
    const email = value(emailIndex);
    let name = value(nameIndex);
    if (!name && (firstIndex >= 0 || lastIndex >= 0)) name = [value(firstIndex), value(lastIndex)].filter(Boolean).join(' ');

    // Values that reach a header may never carry a line break or other control character.
    for (const [index, label] of [[emailIndex, 'email'], [nameIndex, 'name'], [firstIndex, 'first name'], [lastIndex, 'last name']] as const) {
      if (index >= 0 && /[\u0000-\u001f\u007f]/.test(row.fields[index] ?? '')) {
        at(index, `the ${label} contains a line break or control character`, 'it would reach a mail header; remove it from the spreadsheet cell');
      }
    }
    if (!email) {
      at(emailIndex, 'empty email address', 'fill it in or delete the row');
      continue;
    }
    if (!isPlausibleAddress(email)) {
      at(emailIndex, `"${email}" is not a valid e-mail address`, 'an address looks like name@example.org');
      continue;
    }
    const key = email.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      at(emailIndex, `duplicate address ${email} (also on line ${earlier})`, 'addresses are compared ignoring case; delete one of the rows');
      continue;
    }
    seen.set(key, row.line);

    let timezone: string | undefined;
    const zone = value(zoneIndex);
    if (zone) {
      if (DateTime.local().setZone(zone).isValid) timezone = zone;
      else at(zoneIndex, `unknown time zone "${zone}"`, 'use an IANA name such as Europe/Vilnius, or leave it empty');
    } else {
      timezone = zoneForCountry(value(countryIndex));
    }

    const fields: Record<string, string> = {};
    headers.forEach((h, i) => {
      const v = row.fields[i] ?? '';
      fields[columns[i] ?? h] = v;
      fields[h] = v;
    });
    fields[columns[emailIndex] ?? 'email'] = email;
    fields.email = email;
    if (!('name' in fields)) fields.name = name;
    contacts.push({ line: row.line, email, name, timezone, fields });
  }
  if (problems.length > 0) throw new InputError(problems);
  return { file: shown, columns: [...new Set([...columns, 'email', 'name'])], contacts };
}

/** A conservative check: one @, a non-empty local part, a dotted domain, no spaces or brackets. */
function isPlausibleAddress(address: string): boolean {
  return /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\].]{2,}$/u.test(address) && !address.includes('..');
}
