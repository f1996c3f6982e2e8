// Reading a CSV as spreadsheets export it: the bytes and their code page, the delimiter (from the
// header line), rows with the file line each starts on (quoted fields may hold newlines), and
// the column names templates use.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { debuglog } from 'node:util';
import Papa from 'papaparse';
import { chunkDecoder, type ChunkDecoder } from '../locale/encoding.js';
import { MAX_ROW_CHARS } from '../defaults.js';
import { DeliveryStop, InputError, shownPath } from '../errors.js';

/** Normalised names under which the e-mail column is recognised. */
export const EMAIL_HEADERS = new Set([
  'email',
  'e_mail',
  'email_address',
  'e_mail_address',
  'mail',
  'mail_address',
  'e_post',
  'epost',
  'e_postadress',
  'sähköposti',
  'sähköpostiosoite',
  'e_pasts',
  'el_paštas',
  'el_pastas',
  'adres_e_mail',
  'adres_email',
  'e_posti',
  'e_posti_aadress',
  'e_postiaadress',
  'e_pasta_adrese',
  'epasts',
  'el_pašto_adresas',
  'el_pasto_adresas',
  'elektroninis_paštas',
  'e_mail_adresse',
  'email_adresse',
  'emailadresse',
  'e_postadresse',
  'mailadresse',
  'e_mail_adress',
  'e_mail_adres',
  'email_adres',
  'poczta_e_mail',
  'sähköpostiosoitteet',
]);
/**
 * Normalised names under which the name column is recognised: English, and the usual headers
 * of the region's languages (Latvian, Lithuanian, Estonian and Finnish, Danish and Norwegian,
 * Swedish, Polish, German).
 */
export const NAME_HEADERS = [
  'name',
  'full_name',
  'contact_name',
  'contact_person',
  'contact',
  'vārds',
  'vārds_uzvārds',
  'vardas',
  'vardas_pavardė',
  'nimi',
  'täisnimi',
  'koko_nimi',
  'navn',
  'fulde_navn',
  'namn',
  'fullständigt_namn',
  'imię_i_nazwisko',
  'imie_i_nazwisko',
  'vollständiger_name',
];
/**
 * Given and family name columns, as the eight countries' spreadsheets head them: a pair makes
 * {{name}} (given, then family) and each stays a variable of its own ({{given_name}},
 * {{family_name}}). Latvian `Vārds` and Lithuanian `Vardas` are a whole name on their own, a given
 * name beside `Uzvārds` / `Pavardė`.
 */
export const GIVEN_NAME_HEADERS = [
  'given_name',
  'first_name',
  'firstname',
  'forename',
  'vārds',
  'vards',
  'vardas',
  'eesnimi',
  'etunimi',
  'vorname',
  'fornavn',
  'förnamn',
  'fornamn',
  'imię',
  'imie',
];
export const FAMILY_NAME_HEADERS = [
  'family_name',
  'last_name',
  'lastname',
  'surname',
  'uzvārds',
  'uzvards',
  'pavardė',
  'pavarde',
  'perekonnanimi',
  'sukunimi',
  'nachname',
  'familienname',
  'efternavn',
  'efternamn',
  'nazwisko',
];
/** The country column: English and the eight countries' words (its values give the time zone, and may give the language). */
export const COUNTRY_HEADERS = ['country', 'valsts', 'šalis', 'salis', 'riik', 'maa', 'land', 'kraj', 'państwo', 'panstwo', 'country_code'];
/** The language column: a BCP 47 tag (lv, pl, de-AT) choosing the letter and how dates are written. */
export const LANGUAGE_HEADERS = ['language', 'lang', 'valoda', 'kalba', 'keel', 'kieli', 'sprache', 'sprog', 'språk', 'sprak', 'język', 'jezyk'];
/** Normalised names under which the organisation column is recognised, the same languages. */
export const ORGANISATION_HEADERS = [
  'organisation',
  'organization',
  'company',
  'organizācija',
  'organizacija',
  'organisatsioon',
  'organisaatio',
  'organizacja',
  'firma',
  'virksomhed',
  'företag',
  'ettevõte',
  'yritys',
];
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
 * What a file held when it was first read, chunk by chunk (a hash of each), so that reading it
 * again can tell, before any row of a changed chunk is used, that it is no longer the file that
 * was checked. The first read records; every later one compares.
 */
export class Fingerprint {
  private readonly hashes: string[] = [];
  private recorded = false;

  see(index: number, bytes: Buffer, shown: string): void {
    const hash = createHash('sha256').update(bytes).digest('base64');
    if (!this.recorded) this.hashes.push(hash);
    else if (this.hashes[index] !== hash) throw changed(shown);
  }

  end(chunks: number, shown: string): void {
    if (!this.recorded) this.recorded = true;
    else if (chunks !== this.hashes.length) throw changed(shown);
  }
}

/** The contacts file changed after its rows were checked: what was checked is no longer what would be sent. */
export class ContactsChanged extends DeliveryStop {}

function changed(shown: string): ContactsChanged {
  return new ContactsChanged(
    `${shown} changed while invite was running: its rows were checked before the first message, and these are no longer those rows`,
    'run the command again once the file is saved: what the journal records as sent is not sent twice',
  );
}

/** NODE_DEBUG=invite-contacts: each time a contacts file is opened to be read (test/e2e/contact-reads.test.ts counts them). */
const debugReads = debuglog('invite-contacts');

/**
 * Bytes read at a time: the text of a file is never held whole, however many rows it has. The
 * rows' values are slices of their chunk's text, so a chunk lives as long as its last row is in
 * use; at 64 kB, each of V8's young collections during a walk found one alive and promoted it
 * (about 150 kB each time, 30 MB over 100,000 rows), at 8 kB none. What a young collection finds
 * alive also adds up to V8's reason to grow the young generation (Node.js 24: up to 2 × 32 MB on
 * this machine): with 8 kB chunks and 4 kB pieces a 100,000-row `send --out` kept 45 kB alive at
 * each, with 2 kB and 1 kB 22 kB, and its young generation stayed at 2 × 16 MB (bench/README.md);
 * the walk takes no longer.
 */
const CHUNK_BYTES = 1 << 11;
/** Characters of rows parsed at a time (rowsIn). */
const PIECE_CHARS = 1 << 10;

/**
 * A CSV file's text in chunks, decoded as they are read (the code page as given, else UTF-8;
 * a bad byte named by line and column), its delimiter (as given, else guessed from the first
 * chunk's header line) and its path as shown in messages. A missing file is an input error
 * saying `missing` and `hint`.
 */
export function readCsvChunks(
  file: string,
  options: { delimiter?: string; encoding?: string; chunkBytes?: number; fingerprint?: Fingerprint },
  missing: { message: string; hint: string },
): { shown: string; delimiter: string; chunks: Iterable<string> } {
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const shown = shownPath(file);
  debugReads('reading %s', shown);
  let fd: number;
  try {
    fd = openSync(file, 'r');
    if (!fstatSync(fd).isFile()) throw new Error('not a file');
  } catch {
    throw new InputError({ file: shown, ...missing });
  }
  const read = (): Buffer => {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    const n = readSync(fd, buffer, 0, chunkBytes, null);
    return buffer.subarray(0, n);
  };
  let head: Buffer;
  try {
    head = read();
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const delimiter = options.delimiter ?? guessDelimiter(head.toString('latin1'));
  let decode: ChunkDecoder;
  try {
    decode = chunkDecoder(head, shown, options.encoding, delimiter, () => readFileSync(file));
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const fingerprint = options.fingerprint;
  function* chunks(): Generator<string> {
    try {
      let index = 0;
      for (let bytes = head; bytes.length > 0; bytes = read()) {
        fingerprint?.see(index++, bytes, shown);
        yield decode(bytes);
      }
      fingerprint?.end(index, shown);
      yield decode(null);
    } finally {
      closeSync(fd);
    }
  }
  return { shown, delimiter, chunks: chunks() };
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

/**
 * Calls `onRow` for each row of the file in order, without keeping any: a million rows take the
 * memory of one chunk. Blank lines are skipped. The text may come in chunks (readCsvChunks);
 * each is cut after its last line break outside double quotes (an even number of quotes
 * before it), so a quoted field with line breaks is never split. Line numbers come from the
 * parser's cursor, so such fields keep later rows right.
 */
export function eachRow(text: string | Iterable<string>, delimiter: string, onRow: (row: RawRow) => void, shown?: string): void {
  for (const row of rowsIn(text, delimiter, shown)) onRow(row);
}

/**
 * Parses pieces of a CSV text that end at a line break outside double quotes, counting lines
 * across them. One papaparse Parser serves every piece: `Papa.parse` builds a streamer, a
 * handle and a parser of closures for each call, and with a call per few kilobytes those
 * outlived V8's young generation (a 100,000-row list promoted about 25 MB of them to the old
 * one, and the young generation grew to its largest with them).
 */
class PieceParser {
  /** The rows parsed and not yet handed on. */
  readonly ready: RawRow[] = [];
  /** The line the unparsed text starts on. */
  line = 1;
  // Decided once, from the first line, as for a whole file: each piece must not guess again.
  newline: '\r\n' | '\n' | undefined;
  private parser: Papa.Parser | undefined;
  /** The piece being parsed, and where its last row ended. */
  private piece = '';
  private offset = 0;

  constructor(private readonly delimiter: string) {}

  parse(piece: string): void {
    this.parser ??= new Papa.Parser({ delimiter: this.delimiter, newline: this.newline ?? '\n', step: (result: StepResult) => this.step(result) });
    this.piece = piece;
    this.offset = 0;
    this.parser.parse(piece, 0, false);
    for (let i = this.offset; i < piece.length; i++) if (piece.charCodeAt(i) === 0x0a) this.line++;
    this.piece = '';
  }

  private step(result: StepResult): void {
    const piece = this.piece;
    let start = this.offset;
    const offset = (this.offset = result.meta.cursor);
    // The line breaks before the row (blank lines): not past its end, which the next row counts from.
    while (start < offset && (piece[start] === '\r' || piece[start] === '\n')) {
      if (piece[start] === '\n') this.line++;
      start++;
    }
    const rowLine = this.line;
    for (let i = start; i < offset; i++) if (piece.charCodeAt(i) === 0x0a) this.line++;
    const fields = result.data[0] ?? [];
    if (fields.every((f) => f.trim() === '')) return; // a blank line, or a row of empty cells
    this.ready.push({ fields, line: rowLine, errors: result.errors.map((e) => e.message) });
  }
}

/** What papaparse's Parser hands its step function: the one row just read, its errors, and where it ends. */
interface StepResult {
  data: string[][];
  errors: { message: string }[];
  meta: { cursor: number };
}

/** eachRow's rows, one at a time: the rows of a few kilobytes of text are held at most. */
export function* rowsIn(text: string | Iterable<string>, delimiter: string, shown = 'the CSV file'): Generator<RawRow> {
  const parser = new PieceParser(delimiter);
  const { ready } = parser;
  let pending = '';
  /** How far `pending` has been scanned, and the double quotes seen up to there. */
  let scanned = 0;
  let quotes = 0;
  let first = true;
  for (let chunk of typeof text === 'string' ? [text] : text) {
    if (first && chunk !== '') {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
    }
    pending += chunk;
    if (!parser.newline) {
      const end = pending.indexOf('\n');
      if (end >= 0) parser.newline = end > 0 && pending[end - 1] === '\r' ? '\r\n' : '\n';
    }
    // Only the new text is scanned: a quoted field open across many chunks costs each chunk once.
    // The rows are parsed a few kilobytes at a time (at a line break outside double quotes), so
    // that those waiting for their turn are few: rows parsed long before they are used outlive
    // V8's young generation, and a long list's peak memory grows with them.
    // A piece ends where the parser ends a row: in a file of CR LF lines, a lone LF (in a cell
    // left unquoted) is not the end of one, wherever the pieces happen to be cut.
    const crlf = parser.newline === '\r\n';
    let [start, quotesAtStart, end, quotesAtEnd] = [0, 0, -1, 0];
    for (; scanned < pending.length; scanned++) {
      const c = pending.charCodeAt(scanned);
      if (c === 0x22) quotes++;
      else if (c === 0x0a && quotes % 2 === 0 && (!crlf || pending.charCodeAt(scanned - 1) === 0x0d)) {
        [end, quotesAtEnd] = [scanned, quotes];
        if (end + 1 - start < PIECE_CHARS) continue;
        parser.parse(pending.slice(start, end + 1));
        [start, quotesAtStart] = [end + 1, quotes];
        yield* ready.splice(0);
      }
    }
    if (end >= start) {
      parser.parse(pending.slice(start, end + 1));
      [start, quotesAtStart] = [end + 1, quotesAtEnd];
      yield* ready.splice(0);
    }
    pending = pending.slice(start);
    scanned -= start;
    quotes -= quotesAtStart;
    if (pending.length > MAX_ROW_CHARS) throw rowTooLong(shown, parser.line);
  }
  if (pending !== '') parser.parse(pending);
  yield* ready.splice(0);
}

/** A row (from `line`) of more than MAX_ROW_CHARS: a cell that long, or a double quote left open (which runs to the end of the file). */
function rowTooLong(shown: string, line: number): InputError {
  return new InputError({
    file: shown,
    line,
    message: `the row starting on this line is over ${(MAX_ROW_CHARS / 1048576).toFixed(0)} million characters long`,
    hint: 'a cell can hold at most contacts.max_cell_size characters (4,096 unless invite.yaml says otherwise); if none is that long, a double quote of this row is left open',
  });
}
