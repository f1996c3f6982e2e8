// Reading a CSV as spreadsheets export it: the bytes and their code page, the delimiter (from the
// header line), rows with the file line each starts on (quoted fields may hold newlines), and
// the column names templates use.
import { readFileSync } from 'node:fs';
import Papa from 'papaparse';
import { decodeText } from '../encoding.js';
import { InputError, shownPath } from '../errors.js';

/** Normalised names under which the e-mail column is recognised. */
export const EMAIL_HEADERS = new Set([
  'email', 'e_mail', 'email_address', 'e_mail_address', 'mail', 'mail_address',
  'e_post', 'epost', 'e_postadress', 'sähköposti', 'sähköpostiosoite', 'e_pasts', 'el_paštas', 'el_pastas',
  'adres_e_mail', 'adres_email', 'e_posti', 'e_posti_aadress',
]);
export const NAME_HEADERS = ['name', 'full_name', 'contact_name', 'contact_person', 'contact'];
const DELIMITERS = [',', ';', '\t', '|'];

/** The index of the e-mail column among normalised headers, or -1. */
export function emailColumnOf(columns: string[]): number {
  return columns.findIndex((c) => EMAIL_HEADERS.has(c));
}

/** `First name` → `first_name`: what a template can write as {{first_name}}. */
export function columnIdentifier(header: string): string {
  return header
    .normalize('NFC')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * A CSV file's text, its delimiter (as given, else guessed from the header line) and its path as
 * shown in messages. A missing file is an input error saying `missing` and `hint`.
 */
export function readCsvText(
  file: string,
  options: { delimiter?: string; encoding?: string },
  missing: { message: string; hint: string },
): { shown: string; delimiter: string; text: string } {
  const shown = shownPath(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new InputError({ file: shown, ...missing });
  }
  const delimiter = options.delimiter ?? guessDelimiter(bytes.toString('latin1'));
  return { shown, delimiter, text: decodeText(bytes, shown, options.encoding, delimiter) };
}

/** The delimiter that splits the header line into the most fields. */
export function guessDelimiter(text: string): string {
  const header = text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '';
  let best = ',';
  let bestCount = 0;
  for (const candidate of DELIMITERS) {
    const count = header.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

export interface RawRow {
  fields: string[];
  line: number;
  errors: string[];
}

export function readRows(text: string, delimiter: string): RawRow[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lineStarts: number[] = [0];
  for (let i = 0; i < body.length; i++) if (body[i] === '\n') lineStarts.push(i + 1);
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
  const rows: RawRow[] = [];
  let offset = 0;
  // Line numbers come from the parser's cursor, so quoted fields with newlines keep later rows right.
  Papa.parse<string[]>(body, {
    delimiter,
    step: (result) => {
      let first = offset;
      offset = result.meta.cursor;
      while (body[first] === '\r' || body[first] === '\n') first++;
      const fields = result.data;
      if (fields.every((f) => f.trim() === '')) return; // a blank line, or a row of empty cells
      rows.push({ fields, line: lineAt(first), errors: result.errors.map((e) => e.message) });
    },
  });
  return rows;
}
