// Contacts: the rows of the contacts file checked one by one. Problems of the file (no email
// column, two headers alike, no rows) stop everything; problems of a row reject that row, each
// with its line and column: empty, invalid or duplicate address, ragged row, a control
// character that would reach a header, an unknown time zone, a missing attachment.
import { DateTime } from 'luxon';
import { parseAddress } from '../address.js';
import { checkAttachment, DEFAULT_LIMITS, messageTooLarge, realPaths, type AttachmentLimits, type Confinement } from '../attachments.js';
import type { Attachment } from '../campaign/load.js';
import { InputError, type Problem } from '../errors.js';
import { zoneForCountry } from '../zones.js';
import { columnIdentifier, eachRow, emailColumnOf, guessDelimiter, NAME_HEADERS, ORGANISATION_HEADERS, readCsvChunks, type RawRow } from './csv.js';

export interface Contact {
  /** The line of the file on which this row starts (the header is line 1 unless blank lines precede it). */
  line: number;
  /** The address as SMTP and the calendar carry it (IDN domains in punycode). */
  email: string;
  /** Display name for To and the calendar; empty when the contacts have no name column. */
  name: string;
  /** IANA zone for local times in the letter: the `timezone` column, else the country's zone. */
  timezone?: string;
  /** Files named by this row's attachment column. */
  attachments: Attachment[];
  /** Every column, under its normalised identifier and under its header as written. */
  fields: Record<string, string>;
}

/** Characters allowed in a name, organisation, address or any value that reaches a header. */
export const MAX_SHORT_FIELD = 256;
/** Characters allowed in any other cell. */
export const MAX_FIELD = 4096;

/** A row that cannot be sent to, and every reason why. */
export interface RejectedRow {
  line: number;
  email: string;
  problems: Problem[];
}

export interface ContactList {
  /** The file as shown in messages. */
  file: string;
  /** Normalised column identifiers, in file order. */
  columns: string[];
  /** The headers as written (trimmed), in file order: {{[First name]}} reaches them too. */
  headers: string[];
  delimiter: string;
  contacts: Contact[];
  /** Valid rows: contacts.length, also when the contacts were not kept. */
  ready: number;
  rejected: RejectedRow[];
}

export interface ContactOptions {
  delimiter?: string;
  /** Bytes read at a time (default 1 MB; tests use less to cross many chunk boundaries). */
  chunkBytes?: number;
  encoding?: string;
  /** A column naming a file (relative to `baseDir`) to attach for that row. */
  attachmentColumn?: string;
  baseDir?: string;
  /** Where a row's attachment may come from (default: baseDir only). */
  confinement?: Confinement;
  limits?: AttachmentLimits;
  /** The campaign's own attachments, which every message carries too (for the message size). */
  sharedAttachments?: Attachment[];
  /** Columns whose values reach a header (the subject): no control characters allowed. */
  headerColumns?: string[];
  /** Keep the contacts (default); validate only counts them, so a million rows take little memory. */
  keep?: boolean;
  /** Sees each contact that passed every row check, as it is read; problems it returns reject the row. */
  onContact?: (contact: Contact) => Problem[] | undefined;
}

/** Reads and checks a contacts file. Throws InputError for problems of the whole file. */
export function loadContacts(file: string, options: ContactOptions = {}): ContactList {
  const { shown, delimiter, chunks } = readCsvChunks(file, options, { message: 'contacts file not found', hint: 'check `contacts:` in invite.yaml or pass --contacts FILE' });
  return parseContacts(chunks, shown, { ...options, delimiter });
}

export function parseContacts(text: string | Iterable<string>, shown: string, options: ContactOptions = {}): ContactList {
  const delimiter = options.delimiter ?? (typeof text === 'string' ? guessDelimiter(text) : ',');
  let header: RawRow | undefined;
  let check: ((row: RawRow) => void) | undefined;
  let list: ContactList | undefined;
  let rowCount = 0;
  // Rows are checked as the parser reads them; only the contacts (compactly) and the rejected
  // rows are kept, and with `keep: false` (validate) not even the contacts.
  eachRow(text, delimiter, (row) => {
    if (!header) {
      header = row;
      ({ list, check } = startList(row, shown, delimiter, options));
      return;
    }
    rowCount++;
    check!(row);
  });
  if (!header || !list) throw new InputError({ file: shown, message: 'the contacts file is empty', hint: 'it needs a header row with an email column' });
  if (rowCount === 0) {
    throw new InputError({ file: shown, line: header.line, message: 'the contacts file has a header but no rows: nobody to write to', hint: 'add one row per recipient below the header' });
  }
  return list;
}

/** Checks the header; returns the (empty) list and the check for each following row. */
function startList(header: RawRow, shown: string, delimiter: string, options: ContactOptions): { list: ContactList; check: (row: RawRow) => void } {
  const headers = header.fields.map((h) => h.trim());
  const columns = headers.map(columnIdentifier);
  const fileProblems: Problem[] = [];
  const firstOf = new Map<string, number>();
  columns.forEach((column, index) => {
    const earlier = firstOf.get(column);
    if (earlier !== undefined) {
      fileProblems.push({
        file: shown,
        line: header.line,
        column: headers[index],
        message: `the headers "${headers[earlier]}" and "${headers[index]}" both become {{${column}}}`,
        hint: 'rename one of the columns',
      });
    } else firstOf.set(column, index);
  });
  const emailIndex = emailColumnOf(columns);
  if (emailIndex < 0) {
    fileProblems.push({
      file: shown,
      line: header.line,
      message: `no email column among the headers (${headers.join(', ')})`,
      hint: headers.length === 1 && (header.fields[0] ?? '').includes(delimiter === ',' ? ';' : ',') ? 'the delimiter may be wrong: pass --delimiter' : 'name the column with the addresses "email"',
    });
  }
  let attachmentIndex = -1;
  if (options.attachmentColumn) {
    attachmentIndex = columns.indexOf(columnIdentifier(options.attachmentColumn));
    if (attachmentIndex < 0) {
      fileProblems.push({ file: shown, line: header.line, message: `no column "${options.attachmentColumn}" for per-row attachments`, hint: `the headers are: ${headers.join(', ')}` });
    }
  }
  if (fileProblems.length > 0) throw new InputError(fileProblems);

  const index = (name: string) => columns.indexOf(name);
  const nameIndex = NAME_HEADERS.map(index).find((i) => i >= 0) ?? -1;
  const firstIndex = index('first_name');
  const lastIndex = index('last_name');
  const zoneIndex = index('timezone');
  const organisationIndex = ORGANISATION_HEADERS.map(index).find((i) => i >= 0) ?? -1;
  const countryIndex = index('country');
  const headerIndexes = new Set([emailIndex, nameIndex, firstIndex, lastIndex, ...(options.headerColumns ?? []).map(index)].filter((i) => i >= 0));

  const limits = options.limits ?? DEFAULT_LIMITS;
  const contacts: Contact[] = [];
  const rejected: RejectedRow[] = [];
  const seen = new Map<string, number>();
  // Templates say {{name}} and {{organisation}} whatever the spreadsheet's language calls them.
  const shape: RowShape = { headers, columns, emailIndex, organisationIndex: columns.includes('organisation') ? -1 : organisationIndex };
  const list: ContactList = { file: shown, columns: [...new Set([...columns, 'email', 'name', ...(organisationIndex >= 0 ? ['organisation'] : [])])], headers, delimiter, contacts, ready: 0, rejected };
  const check = (row: RawRow): void => {
    const problems: Problem[] = [];
    const at = (i: number | undefined, message: string, hint?: string) =>
      problems.push({ file: shown, line: row.line, column: i === undefined ? undefined : (headers[i] ?? i + 1), message, hint });
    const value = (i: number) => (i >= 0 ? (row.fields[i] ?? '').trim() : '');
    const rawEmail = value(emailIndex);
    for (const error of row.errors) at(undefined, `CSV: ${error}`, 'check the double quotes in this row');
    if (row.fields.length !== headers.length) {
      at(undefined, `this row has ${row.fields.length} fields, the header has ${headers.length}`, `a value containing "${delimiter === '\t' ? 'tab' : delimiter}" must be in double quotes`);
      rejected.push({ line: row.line, email: rawEmail, problems });
      return;
    }
    // Values that reach a header may never carry a line break or other control character.
    for (const i of headerIndexes) {
      if (/[\u0000-\u001f\u007f]/.test(row.fields[i] ?? '')) {
        at(i, `"${headers[i]}" contains a line break or control character`, 'it would reach a mail header; remove it from the spreadsheet cell');
      }
    }
    // Bounded work per row: a name, an organisation or anything in a header is a line, not a page.
    row.fields.forEach((field, i) => {
      const limit = headerIndexes.has(i) || i === organisationIndex ? MAX_SHORT_FIELD : MAX_FIELD;
      const length = field.length > limit ? [...field].length : 0;
      if (length > limit) at(i, `"${headers[i]}" is ${length.toLocaleString('en')} characters long; at most ${limit.toLocaleString('en')} are allowed`, 'shorten the spreadsheet cell; a value this long is a mistake or an attack');
    });
    let email = '';
    let cellName: string | undefined;
    if (!rawEmail) at(emailIndex, 'empty email address', 'fill it in or delete the row');
    else {
      const parsed = parseAddress(rawEmail);
      if (!parsed.ok) at(emailIndex, parsed.reason, parsed.hint);
      else {
        email = parsed.value.address;
        cellName = parsed.value.name;
        const key = email.toLowerCase();
        const earlier = seen.get(key);
        if (earlier !== undefined) at(emailIndex, `duplicate address ${rawEmail} (also on line ${earlier})`, 'addresses are compared ignoring case; delete one of the rows');
        else seen.set(key, row.line);
      }
    }

    let name = value(nameIndex);
    if (!name && (firstIndex >= 0 || lastIndex >= 0)) name = [value(firstIndex), value(lastIndex)].filter(Boolean).join(' ');
    if (!name && cellName) name = cellName;

    let timezone: string | undefined;
    const zone = value(zoneIndex);
    if (zone) {
      if (DateTime.local().setZone(zone).isValid) timezone = detached(zone);
      else at(zoneIndex, `unknown time zone "${zone}"`, 'use an IANA name such as Europe/Vilnius, or leave it empty');
    } else {
      timezone = zoneForCountry(value(countryIndex));
    }

    const attachments: Attachment[] = [];
    const attachmentName = value(attachmentIndex);
    if (attachmentName) {
      const baseDir = options.baseDir ?? process.cwd();
      const checked = checkAttachment(attachmentName, baseDir, options.confinement ?? { roots: realPaths([baseDir]), private: [] }, limits);
      if (!checked.ok) at(attachmentIndex, checked.message, checked.hint);
      else {
        const tooLarge = messageTooLarge([...(options.sharedAttachments ?? []), checked.attachment], limits);
        if (tooLarge) at(attachmentIndex, tooLarge.message, tooLarge.hint);
        else attachments.push(checked.attachment);
      }
    }

    if (problems.length > 0) {
      rejected.push({ line: row.line, email: rawEmail, problems });
      return;
    }
    const contact = new ContactRow(row.line, detached(email), detached(name), timezone, attachments.length > 0 ? attachments : NO_ATTACHMENTS, row.fields, cellName ? email : rawEmail, shape);
    problems.push(...(options.onContact?.(contact) ?? []));
    if (problems.length > 0) {
      rejected.push({ line: row.line, email: rawEmail, problems });
      return;
    }
    list.ready++;
    if (options.keep ?? true) contacts.push(contact);
  };
  return { list, check };
}

interface RowShape {
  headers: string[];
  columns: string[];
  emailIndex: number;
  /** A column under another language's name that is also {{organisation}}; -1 when none (or one is called so). */
  organisationIndex: number;
}

const NO_ATTACHMENTS: Attachment[] = [];
/** Joins a row's cells in memory; a row with this character in a cell keeps its cells apart. */
const SEPARATOR = '\u0000';

/**
 * A copy of a string that does not keep the string it was cut from: the parser's values are
 * slices of a megabyte of the file's text, and one kept slice would keep all of it.
 */
function detached(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}

/**
 * A contact as kept for a run: the row's values and a shape shared by all rows; `fields` (every
 * column under its identifier and under its header as written) is made when asked for, so a
 * list of a million contacts does not hold a million objects of twenty keys.
 */
class ContactRow implements Contact {
  constructor(
    readonly line: number,
    readonly email: string,
    readonly name: string,
    readonly timezone: string | undefined,
    readonly attachments: Attachment[],
    values: string[],
    /** A cell like "Ada <ada@example.org>" shows as the bare address; otherwise as written. */
    emailShown: string,
    private readonly shape: RowShape,
  ) {
    // One flat string a row instead of an array of strings (each sliced from the file's text):
    // a third of the memory for a long list.
    this.cells = values.some((v) => v.includes(SEPARATOR)) ? values.map(detached) : values.join(SEPARATOR);
    if (emailShown !== (values[shape.emailIndex] ?? '').trim()) this.emailShown = detached(emailShown);
  }

  private readonly cells: string | string[];
  /** Kept only when it is not the address cell as written. */
  private readonly emailShown?: string;

  get fields(): Record<string, string> {
    const fields: Record<string, string> = {};
    const { headers, columns, emailIndex } = this.shape;
    const values = typeof this.cells === 'string' ? this.cells.split(SEPARATOR) : this.cells;
    headers.forEach((h, i) => {
      const v = i === emailIndex ? (values[i] ?? '').trim() : (values[i] ?? '');
      fields[columns[i] ?? h] = v;
      fields[h] = v;
    });
    fields.email = this.emailShown ?? (values[emailIndex] ?? '').trim();
    if (!('name' in fields)) fields.name = this.name;
    if (this.shape.organisationIndex >= 0) fields.organisation = values[this.shape.organisationIndex] ?? '';
    return fields;
  }
}

/** Every problem of every rejected row, in file order. */
export function rowProblems(list: ContactList): Problem[] {
  return list.rejected.flatMap((r) => r.problems);
}
