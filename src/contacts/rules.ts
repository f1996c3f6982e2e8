// Contacts: the rows of the contacts file checked one by one. Problems of the file (no email
// column, two headers alike, no rows) stop everything; problems of a row reject that row, each
// with its line and column: empty, invalid or duplicate address, ragged row, a control
// character that would reach a header, an unknown time zone, a missing attachment.
import { DateTime } from 'luxon';
import { parseAddress } from '../locale/address.js';
import { checkAttachment, DEFAULT_LIMITS, messageTooLarge, realPaths, type AttachmentLimits, type Confinement } from '../campaign/attachments.js';
import type { Attachment } from '../campaign/load.js';
import { formatProblem, InputError, type Problem } from '../errors.js';
import { MAX_CELL_CHARS } from '../defaults.js';
import { AddressIndex } from './addresses.js';
import { ByteLog } from './byte-log.js';
import { Seq } from './seq.js';
import { canonicalLanguage } from '../locale/languages.js';
import { languageOfCountry, zoneForCountry } from '../locale/zones.js';
import {
  columnIdentifier,
  ContactsChanged,
  COUNTRY_HEADERS,
  emailColumnOf,
  FAMILY_NAME_HEADERS,
  Fingerprint,
  GIVEN_NAME_HEADERS,
  guessDelimiter,
  LANGUAGE_HEADERS,
  NAME_HEADERS,
  ORGANISATION_HEADERS,
  readCsvChunks,
  rowsIn,
  type RawRow,
} from './csv.js';

export interface Contact {
  /** The line of the file on which this row starts (the header is line 1 unless blank lines precede it). */
  line: number;
  /** The address as SMTP and the calendar carry it (IDN domains in punycode). */
  email: string;
  /** Display name for To and the calendar; empty when the contacts have no name column. */
  name: string;
  /** IANA zone for local times in the letter: the `timezone` column, else the country's zone. */
  timezone?: string;
  /** The language the recipient reads (BCP 47, canonical): the language column, else (when the campaign says so) the country's. */
  language?: string;
  /** Files named by this row's attachment column. */
  attachments: Attachment[];
  /** Every column, under its normalised identifier and under its header as written. */
  fields: Record<string, string>;
}

/**
 * What the planners choose contacts by: kept in memory for every valid row of a streamed list
 * (from the walk that checked the file), so choosing, counting and finding need no walk.
 * A Contact is a ContactKey.
 */
export interface ContactKey {
  readonly line: number;
  readonly email: string;
  readonly name: string;
  readonly timezone?: string;
  readonly language?: string;
  /**
   * The cells a planner reads: the address as written, `registered` (remind), and `country`
   * where no zone is known for it (the dry run's table warns of those).
   */
  readonly fields: { readonly email?: string; readonly registered?: string; readonly country?: string };
}

/**
 * The keys of a streamed list, compactly: the addresses and names as UTF-8 in a ByteLog, the
 * numbers in typed arrays, the rare cells in maps; a key object is made when asked for.
 * 100,000 rows keep about 7 MB (as an object a row with its strings: 14 MB, which V8's
 * heap then grows by several times over).
 */
class KeyTable {
  private readonly bytes = new ByteLog();
  /** Per row: where its address ends in `bytes` (its name follows it), where the row ends, its line, its zone (+1; 0: none). */
  private emailEnds = new Uint32Array(1024);
  private ends = new Uint32Array(1024);
  private lines = new Uint32Array(1024);
  private zoneOf = new Uint16Array(1024);
  private readonly zones: string[] = [];
  private readonly zoneIndex = new Map<string, number>();
  /** Per row: its language (+1; 0: none), among the few a list has. */
  private languageOf = new Uint16Array(1024);
  private readonly languages: string[] = [];
  private readonly languageIndex = new Map<string, number>();
  /** Only where the cell is not the address itself (a name with it, an IDN). */
  private readonly shown = new Map<number, string>();
  private readonly registered = new Map<number, string>();
  /** Only for rows without a zone. */
  private readonly countries = new Map<number, string>();
  count = 0;

  add(contact: Contact, emailShown: string, registered: string, country: string): void {
    const i = this.count++;
    if (i === this.lines.length) this.growRows();
    this.lines[i] = contact.line;
    this.emailEnds[i] = this.bytes.appendText(contact.email);
    this.ends[i] = this.bytes.appendText(contact.name);
    this.zoneOf[i] = this.numberOf(contact.timezone, this.zones, this.zoneIndex);
    this.languageOf[i] = this.numberOf(contact.language, this.languages, this.languageIndex);
    if (emailShown !== contact.email) this.shown.set(i, detached(emailShown));
    if (registered) this.registered.set(i, detached(registered));
    if (contact.timezone === undefined && country) this.countries.set(i, detached(country));
  }

  key(i: number): ContactKey {
    const start = i === 0 ? 0 : this.ends[i - 1]!;
    const email = this.bytes.text(start, this.emailEnds[i]!);
    const registered = this.registered.get(i);
    const country = this.countries.get(i);
    const fields = { email: this.shown.get(i) ?? email, ...(registered === undefined ? {} : { registered }), ...(country === undefined ? {} : { country }) };
    const zone = this.zoneOf[i]!;
    const name = this.bytes.text(this.emailEnds[i]!, this.ends[i]!);
    const language = this.languageOf[i]!;
    // The spreads last: a spread followed by more properties costs V8 a hidden class per object.
    return {
      line: this.lines[i]!,
      email,
      name,
      fields,
      ...(zone === 0 ? {} : { timezone: this.zones[zone - 1]! }),
      ...(language === 0 ? {} : { language: this.languages[language - 1]! }),
    };
  }

  /** A zone's or language's number (+1) in its list, added when new; 0 for none. */
  private numberOf(value: string | undefined, list: string[], index: Map<string, number>): number {
    if (value === undefined) return 0;
    let n = index.get(value);
    if (n === undefined) {
      // More than a Uint16 holds cannot be: IANA has about 600 zones; a row's language is checked, and a list has few.
      if (list.length >= 0xfffe) throw new Error('too many distinct zones or languages in one contacts file');
      list.push(value);
      index.set(value, (n = list.length));
    }
    return n;
  }

  private growRows(): void {
    const grown = <A extends Uint32Array | Uint16Array>(a: A, make: (n: number) => A): A => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    this.emailEnds = grown(this.emailEnds, (n) => new Uint32Array(n));
    this.ends = grown(this.ends, (n) => new Uint32Array(n));
    this.lines = grown(this.lines, (n) => new Uint32Array(n));
    this.zoneOf = grown(this.zoneOf, (n) => new Uint16Array(n));
    this.languageOf = grown(this.languageOf, (n) => new Uint16Array(n));
  }
}

/** Characters allowed in a name, organisation, address or any value that reaches a header. */
export const MAX_SHORT_FIELD = 256;
/** Characters allowed in any other cell, unless contacts.max_cell_size says otherwise. */
export const MAX_FIELD = MAX_CELL_CHARS;

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
  /** The valid rows: in memory, or (with `stream`) their keys in memory and the rows read again from the file at each walk. */
  contacts: Seq<Contact, ContactKey>;
  /** Valid rows: contacts.length, also when the contacts were not kept. */
  ready: number;
  rejected: RejectedRow[];
  /** Columns invite itself reads (address, names, organisation, country, zone, language, registered, attachment), by identifier. */
  understood: Set<string>;
}

export interface ContactOptions {
  delimiter?: string;
  /** Bytes read at a time (default 8 kB; tests use less to cross many chunk boundaries). */
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
  /** Characters allowed in a cell that reaches no header (contacts.max_cell_size; default MAX_FIELD). */
  maxCell?: number;
  /** A row without a language cell reads its country's language (language.from_country). */
  languageFromCountry?: boolean;
  /** Keep the contacts (default); validate only counts them, so a million rows take little memory. */
  keep?: boolean;
  /**
   * Keep nothing, but read the rows again from the file each time the contacts are walked (a
   * sending command: flat memory however long the list). A walk that finds the file changed
   * since it was checked stops with ContactsChanged before using a row of the changed part.
   */
  stream?: boolean;
  /** Sees each contact that passed every row check, as it is read; problems it returns reject the row. */
  onContact?: (contact: Contact) => Problem[] | undefined;
}

const MISSING = { message: 'contacts file not found', hint: 'check `contacts:` in invite.yaml or pass --contacts FILE' };

/** Reads and checks a contacts file. Throws InputError for problems of the whole file. */
export function loadContacts(file: string, options: ContactOptions = {}): ContactList {
  const fingerprint = options.stream ? new Fingerprint() : undefined;
  const { shown, delimiter, chunks } = readCsvChunks(file, { ...options, fingerprint }, MISSING);
  const keys = options.stream ? new KeyTable() : undefined;
  const list = parseContacts(chunks, shown, { ...options, delimiter, keep: (options.keep ?? true) && !options.stream }, keys);
  if (keys) {
    // Each walk reads the file again, with the checks' results: the rejected rows are skipped,
    // every other row becomes the same contact as when it was checked.
    const rejected = new Set(list.rejected.map((r) => r.line));
    list.contacts = new Seq<Contact, ContactKey>({
      count: keys.count,
      key: (i) => keys.key(i),
      walk: () => {
        const again = readCsvChunks(file, { ...options, delimiter, fingerprint }, MISSING);
        return walkContacts(again.chunks, shown, { ...options, delimiter, checked: rejected }, {});
      },
    });
  }
  return list;
}

export function parseContacts(text: string | Iterable<string>, shown: string, options: ContactOptions = {}, keys?: KeyTable): ContactList {
  const delimiter = options.delimiter ?? (typeof text === 'string' ? guessDelimiter(text) : ',');
  // Rows are checked as the parser reads them; only the contacts (compactly) and the rejected
  // rows are kept, and with `keep: false` (validate) not even the contacts.
  const kept: Contact[] = [];
  const started: { list?: ContactList } = {};
  const keep = options.keep ?? true;
  for (const contact of walkContacts(text, shown, { ...options, delimiter, keys }, started)) if (keep) kept.push(contact);
  const list = started.list!;
  list.contacts = Seq.of<Contact>(kept);
  return list;
}

interface WalkOptions extends ContactOptions {
  delimiter: string;
  /** A walk after the first: the lines the first rejected (skipped here), every other row known good. */
  checked?: Set<number>;
  /** The first walk of a streamed list: each valid row's key goes here. */
  keys?: KeyTable;
}

/** The contacts of a file, checked as they are read; `started.list` is the list of the walk (counts, rejected rows). */
function* walkContacts(text: string | Iterable<string>, shown: string, options: WalkOptions, started: { list?: ContactList }): Generator<Contact> {
  let header: RawRow | undefined;
  let check: ((row: RawRow) => Contact | undefined) | undefined;
  let rowCount = 0;
  for (const row of rowsIn(text, options.delimiter, shown)) {
    if (!header) {
      header = row;
      const start = startList(row, shown, options.delimiter, options);
      started.list = start.list;
      check = start.check;
      continue;
    }
    rowCount++;
    const contact = check!(row);
    if (contact) yield contact;
  }
  if (!header) throw new InputError({ file: shown, message: 'the contacts file is empty', hint: 'it needs a header row with an email column' });
  if (rowCount === 0) {
    throw new InputError({
      file: shown,
      line: header.line,
      message: 'the contacts file has a header but no rows: nobody to write to',
      hint: 'add one row per recipient below the header',
    });
  }
}

/** Checks the header; returns the (empty) list and the check for each following row. */
function startList(header: RawRow, shown: string, delimiter: string, options: WalkOptions): { list: ContactList; check: (row: RawRow) => Contact | undefined } {
  const headers = header.fields.map((h) => h.trim());
  const columns = headers.map(columnIdentifier);
  const { problems, emailIndex, attachmentIndex } = headerProblems(header, headers, columns, shown, delimiter, options.attachmentColumn);
  if (problems.length > 0) throw new InputError(problems);
  const rows = new RowChecker(shown, delimiter, headers, columns, emailIndex, attachmentIndex, options);
  return { list: rows.list, check: rows.check };
}

/** The header's own problems (two columns alike, no email column, no attachment column) and where the email and attachment columns are. */
function headerProblems(
  header: RawRow,
  headers: string[],
  columns: string[],
  shown: string,
  delimiter: string,
  attachmentColumn: string | undefined,
): { problems: Problem[]; emailIndex: number; attachmentIndex: number } {
  const problems: Problem[] = [];
  const at = (column: string | undefined, message: string, hint: string) => problems.push({ file: shown, line: header.line, column, message, hint });
  const firstOf = new Map<string, number>();
  columns.forEach((column, index) => {
    const earlier = firstOf.get(column);
    if (earlier === undefined) firstOf.set(column, index);
    else at(headers[index], `the headers "${headers[earlier]}" and "${headers[index]}" both become {{${column}}}`, 'rename one of the columns');
  });
  const emailIndex = emailColumnOf(columns);
  if (emailIndex < 0) {
    const oneColumn = headers.length === 1 && (header.fields[0] ?? '').includes(delimiter === ',' ? ';' : ',');
    at(
      undefined,
      `no email column among the headers (${headers.join(', ')})`,
      oneColumn ? 'the delimiter may be wrong: pass --delimiter' : 'name the column with the addresses "email"',
    );
  }
  const attachmentIndex = attachmentColumn ? columns.indexOf(columnIdentifier(attachmentColumn)) : -1;
  if (attachmentColumn && attachmentIndex < 0) {
    at(undefined, `no column "${attachmentColumn}" for per-row attachments`, `the headers are: ${headers.join(', ')}`);
  }
  return { problems, emailIndex, attachmentIndex };
}

/** Reports a problem of a row at a column (by index), or of the whole row. */
type RowAt = (i: number | undefined, message: string, hint?: string) => void;

/** The checks of each row after the header, and the list they fill (its count and rejected rows). */
class RowChecker {
  readonly list: ContactList;
  private readonly nameIndex: number;
  private readonly givenIndex: number;
  private readonly familyIndex: number;
  private readonly zoneIndex: number;
  private readonly organisationIndex: number;
  private readonly countryIndex: number;
  private readonly languageIndex: number;
  private readonly registeredIndex: number;
  /** Canonical language tags, by the cell as written: a list has few. */
  private readonly tags = new Map<string, string | undefined>();
  /** Columns whose values reach a mail header. */
  private readonly headerIndexes: Set<number>;
  private readonly limits: AttachmentLimits;
  /** Addresses seen so far (lower case), with their line. */
  private readonly seen = new AddressIndex();
  private readonly knownZone = zoneChecker();
  private readonly shape: RowShape;
  /** A walk after the first: the lines the first rejected. */
  private readonly checked: Set<number> | undefined;

  constructor(
    private readonly shown: string,
    private readonly delimiter: string,
    private readonly headers: string[],
    columns: string[],
    private readonly emailIndex: number,
    private readonly attachmentIndex: number,
    private readonly options: WalkOptions,
  ) {
    const index = (name: string) => columns.indexOf(name);
    const first = (names: readonly string[], except = -1) => names.map(index).find((i) => i >= 0 && i !== except) ?? -1;
    // Given + family name make the name. Vārds (Vardas) beside Uzvārds (Pavardė) is a given name;
    // alone it is the whole name, as a name column is.
    this.familyIndex = first(FAMILY_NAME_HEADERS);
    this.givenIndex = this.familyIndex >= 0 ? first(GIVEN_NAME_HEADERS) : -1;
    this.nameIndex = first(NAME_HEADERS, this.givenIndex);
    if (this.familyIndex < 0) this.givenIndex = first(GIVEN_NAME_HEADERS, this.nameIndex);
    this.zoneIndex = index('timezone');
    this.organisationIndex = first(ORGANISATION_HEADERS);
    this.countryIndex = first(COUNTRY_HEADERS);
    this.languageIndex = first(LANGUAGE_HEADERS);
    this.registeredIndex = index('registered');
    const inHeaders = [emailIndex, this.nameIndex, this.givenIndex, this.familyIndex, ...(options.headerColumns ?? []).map(index)];
    this.headerIndexes = new Set(inHeaders.filter((i) => i >= 0));
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.checked = options.checked;
    // Templates say {{name}}, {{given_name}}, {{organisation}}, {{country}} whatever the spreadsheet's language calls them.
    const aliases = (
      [
        ['organisation', this.organisationIndex],
        ['given_name', this.givenIndex],
        ['family_name', this.familyIndex],
        ['country', this.countryIndex],
      ] as [string, number][]
    ).filter(([alias, i]) => i >= 0 && !columns.includes(alias));
    this.shape = { headers, columns, emailIndex, aliases };
    const understood = [emailIndex, this.nameIndex, this.givenIndex, this.familyIndex, this.zoneIndex, this.organisationIndex]
      .concat([this.countryIndex, this.languageIndex, this.registeredIndex, attachmentIndex])
      .filter((i) => i >= 0)
      .map((i) => columns[i]!);
    this.list = {
      file: shown,
      columns: [...new Set([...columns, 'email', 'name', ...aliases.map(([alias]) => alias)])],
      headers,
      delimiter,
      contacts: Seq.of([]),
      ready: 0,
      rejected: [],
      understood: new Set(understood),
    };
  }

  /** The row as a contact, or undefined when it is rejected (recorded in the list). */
  readonly check = (row: RawRow): Contact | undefined => {
    if (this.checked?.has(row.line)) return undefined;
    const problems: Problem[] = [];
    const at: RowAt = (i, message, hint) =>
      problems.push({ file: this.shown, line: row.line, column: i === undefined ? undefined : (this.headers[i] ?? i + 1), message, hint });
    const value = (i: number) => (i >= 0 ? (row.fields[i] ?? '').trim() : '');
    const rawEmail = value(this.emailIndex);
    if (!this.wellFormed(row, at)) return this.reject(row.line, rawEmail, problems);
    // Checks of the cells alone: a later walk reads the same bytes, so they hold already.
    if (!this.checked) this.checkCells(row, at);
    const { email, cellName } = this.address(rawEmail, row.line, at);
    let name = value(this.nameIndex);
    if (!name) name = [value(this.givenIndex), value(this.familyIndex)].filter(Boolean).join(' ');
    if (!name && cellName) name = cellName;
    const country = value(this.countryIndex);
    const timezone = this.zone(value(this.zoneIndex), country, at);
    const language = this.language(value(this.languageIndex), country, at);
    const attachments = this.attachments(value(this.attachmentIndex), at);
    if (problems.length > 0) return this.reject(row.line, rawEmail, problems);
    const emailShown = cellName ? email : rawEmail;
    const contact = new ContactRow(row.line, detached(email), detached(name), { timezone, language }, attachments, row.fields, emailShown, this.shape);
    if (!this.checked) problems.push(...(this.options.onContact?.(contact) ?? []));
    if (problems.length > 0) return this.reject(row.line, rawEmail, problems);
    this.list.ready++;
    this.options.keys?.add(contact, emailShown, value(this.registeredIndex), country);
    return contact;
  };

  /** The parser's complaints, and as many fields as the header has columns. */
  private wellFormed(row: RawRow, at: RowAt): boolean {
    for (const error of row.errors) at(undefined, `CSV: ${error}`, 'check the double quotes in this row');
    if (row.fields.length === this.headers.length) return true;
    const delimiter = this.delimiter === '\t' ? 'tab' : this.delimiter;
    at(
      undefined,
      `this row has ${row.fields.length} fields, the header has ${this.headers.length}`,
      `a value containing "${delimiter}" must be in double quotes`,
    );
    return false;
  }

  private checkCells(row: RawRow, at: RowAt): void {
    // Values that reach a header may never carry a line break or other control character.
    for (const i of this.headerIndexes) {
      if (/[\u0000-\u001f\u007f]/.test(row.fields[i] ?? '')) {
        at(i, `"${this.headers[i]}" contains a line break or control character`, 'it would reach a mail header; remove it from the spreadsheet cell');
      }
    }
    // Bounded work per row: a name, an organisation or anything in a header is a line, not a page.
    row.fields.forEach((field, i) => {
      const limit = this.headerIndexes.has(i) || i === this.organisationIndex ? MAX_SHORT_FIELD : (this.options.maxCell ?? MAX_FIELD);
      const length = field.length > limit ? [...field].length : 0;
      if (length > limit) {
        const sizes = `is ${length.toLocaleString('en')} characters long; at most ${limit.toLocaleString('en')} are allowed`;
        const raise = limit === MAX_SHORT_FIELD ? '' : ' (or raise contacts.max_cell_size in invite.yaml)';
        at(i, `"${this.headers[i]}" ${sizes}`, `shorten the spreadsheet cell${raise}; a value this long is a mistake or an attack`);
      }
    });
  }

  /** The address as sent to, and the name a cell like "Ada <ada@example.org>" gives. */
  private address(rawEmail: string, line: number, at: RowAt): { email: string; cellName?: string } {
    if (!rawEmail) {
      at(this.emailIndex, 'empty email address', 'fill it in or delete the row');
      return { email: '' };
    }
    const parsed = parseAddress(rawEmail);
    if (!parsed.ok) {
      at(this.emailIndex, parsed.reason, parsed.hint);
      return { email: '' };
    }
    const email = parsed.value.address;
    // Only the first walk compares addresses: later walks skip the rows it rejected.
    if (!this.checked) {
      const earlier = this.seen.firstLine(email.toLowerCase(), line);
      if (earlier !== undefined)
        at(this.emailIndex, `duplicate address ${rawEmail} (also on line ${earlier})`, 'addresses are compared ignoring case; delete one of the rows');
    }
    return { email, cellName: parsed.value.name };
  }

  /** The `timezone` column's zone when known, else the country's. */
  private zone(zone: string, country: string, at: RowAt): string | undefined {
    if (!zone) return zoneForCountry(country);
    if (this.knownZone(zone)) return detached(zone);
    at(this.zoneIndex, `unknown time zone "${zone}"`, 'use an IANA name such as Europe/Vilnius, or leave it empty');
    return undefined;
  }

  /**
   * The language cell as a canonical BCP 47 tag (LV, lv-lv → lv, lv-LV); empty, the country's
   * language when the campaign takes it from the country; not a tag, an error at the cell.
   */
  private language(cell: string, country: string, at: RowAt): string | undefined {
    if (!cell) return this.options.languageFromCountry ? languageOfCountry(country) : undefined;
    if (!this.tags.has(cell)) {
      if (this.tags.size > 1000) this.tags.clear();
      this.tags.set(detached(cell), canonicalLanguage(cell));
    }
    const tag = this.tags.get(cell);
    if (!tag) at(this.languageIndex, `"${cell}" is not a language tag`, 'write a BCP 47 tag: en, lv, lt, et, fi, de, da, sv, pl (or lv-LV, de-AT …)');
    return tag;
  }

  /** The file the attachment column names, checked (and the message with it not too large). */
  private attachments(attachmentName: string, at: RowAt): Attachment[] {
    if (!attachmentName) return NO_ATTACHMENTS;
    const baseDir = this.options.baseDir ?? process.cwd();
    const checked = checkAttachment(attachmentName, baseDir, this.options.confinement ?? { roots: realPaths([baseDir]), private: [] }, this.limits);
    if (!checked.ok) {
      at(this.attachmentIndex, checked.message, checked.hint);
      return NO_ATTACHMENTS;
    }
    const tooLarge = messageTooLarge([...(this.options.sharedAttachments ?? []), checked.attachment], this.limits);
    if (!tooLarge) return [checked.attachment];
    at(this.attachmentIndex, tooLarge.message, tooLarge.hint);
    return NO_ATTACHMENTS;
  }

  // A walk after the first finds every row as the first did (the file's bytes are compared);
  // only a per-row attachment can have changed on disk since.
  private reject(line: number, email: string, problems: Problem[]): undefined {
    if (this.checked)
      throw new ContactsChanged(
        `${formatProblem(problems[0]!)} (this row was fine when it was checked)`,
        'run the command again: what the journal records as sent is not sent twice',
      );
    this.list.rejected.push({ line, email, problems });
    return undefined;
  }
}

interface RowShape {
  headers: string[];
  columns: string[];
  emailIndex: number;
  /** Columns under another language's name that are also {{organisation}}, {{given_name}}, {{family_name}}, {{country}}. */
  aliases: [string, number][];
}

const NO_ATTACHMENTS: Attachment[] = [];

/** Whether luxon knows a zone, asked once per name and list: a list has few zones and many rows. */
function zoneChecker(): (zone: string) => boolean {
  const zones = new Map<string, boolean>();
  return (zone) => {
    let known = zones.get(zone);
    if (known === undefined) {
      if (zones.size > 1000) zones.clear();
      zones.set(zone, (known = DateTime.local().setZone(zone).isValid));
    }
    return known;
  };
}

/** Joins a row's cells in memory; a row with this character in a cell keeps its cells apart. */
const SEPARATOR = '\u0000';

/**
 * A copy of a string that does not keep the string it was cut from: the parser's values are
 * slices of a chunk of the file's text, and one kept slice would keep all of it.
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
    { timezone, language }: { timezone?: string; language?: string },
    readonly attachments: Attachment[],
    values: string[],
    /** A cell like "Ada <ada@example.org>" shows as the bare address; otherwise as written. */
    emailShown: string,
    private readonly shape: RowShape,
  ) {
    // One flat string a row instead of an array of strings (each sliced from the file's text):
    // a third of the memory for a long list.
    this.cells = values.some((v) => v.includes(SEPARATOR)) ? values.map(detached) : values.join(SEPARATOR);
    if (timezone !== undefined) this.timezone = timezone;
    if (language !== undefined) this.language = language;
    if (emailShown !== (values[shape.emailIndex] ?? '').trim()) this.emailShown = detached(emailShown);
  }

  private readonly cells: string | string[];
  readonly timezone?: string;
  readonly language?: string;
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
    for (const [alias, i] of this.shape.aliases) fields[alias] = values[i] ?? '';
    return fields;
  }
}

/** Every problem of every rejected row, in file order. */
export function rowProblems(list: ContactList): Problem[] {
  return list.rejected.flatMap((r) => r.problems);
}
