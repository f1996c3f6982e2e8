// Text encodings of spreadsheet exports: UTF-8 (with or without BOM) is read as is; any other
// code page must be named, since guessing wrong would put the wrong letters in names. When
// bytes are not UTF-8, the error names where and suggests the code page that fits best.
import { createRequire } from 'node:module';
import type iconvModule from 'iconv-lite';
import { InputError } from '../errors.js';

/** Code pages of the Baltic Sea Region's exports, best guess first when scores tie. */
const CANDIDATES = [
  { name: 'windows-1257', label: 'Baltic: Estonian, Latvian, Lithuanian' },
  { name: 'windows-1250', label: 'Central European: Polish' },
  { name: 'windows-1252', label: 'Western European: Danish, Finnish, German, Swedish' },
];
/** Letters of the region's languages beyond ASCII. */
const REGION_LETTERS = new Set([...'ąčęėįšųūžāēģīķļņōŗõäöüåæøłńóśźżćÄÖÜÅÆØĄČĘĖĮŠŲŪŽĀĒĢĪĶĻŅŌŖÕŁŃÓŚŹŻĆß']);

// iconv-lite is loaded only for a file that is not UTF-8 (most are): every start pays otherwise.
let iconvLoaded: typeof iconvModule | undefined;
const iconv = () => (iconvLoaded ??= createRequire(import.meta.url)('iconv-lite') as typeof iconvModule);

export function isKnownEncoding(name: string): boolean {
  return iconv().encodingExists(name);
}

/**
 * Decodes a contacts file. With `encoding`, exactly that code page; without, UTF-8 only.
 * `delimiter` lets the error name the CSV column of a bad byte.
 */
export function decodeText(bytes: Buffer, shown: string, encoding: string | undefined, delimiter: string): string {
  const utf16 = utf16Of(bytes);
  if (utf16 && (!encoding || /^utf-?8$/i.test(encoding) || (utf16.bom && !/^utf-?16/i.test(encoding)))) {
    // "Unicode text" from Excel, or a file saved as UTF-16: with its byte-order mark it is
    // read as what it says it is (unless another code page was named); without one, it is named.
    if (utf16.bom && !encoding) return new TextDecoder(utf16.name, { fatal: true }).decode(bytes);
    throw new InputError({
      file: shown,
      message: `the file is ${utf16.name.toUpperCase()}${utf16.bom ? ' (it starts with its byte-order mark)' : ' without a byte-order mark'}${encoding ? `, not ${encoding}` : ''}`,
      hint: utf16.bom
        ? 'leave out --encoding / contacts.encoding, or save it from the spreadsheet as "CSV UTF-8"'
        : `pass --encoding ${utf16.name} or set contacts.encoding: ${utf16.name}, or save it from the spreadsheet as "CSV UTF-8"`,
    });
  }
  if (encoding && !/^utf-?8$/i.test(encoding)) {
    if (!isKnownEncoding(encoding)) {
      throw new InputError({
        file: shown,
        message: `unknown encoding "${encoding}"`,
        hint: `e.g. ${CANDIDATES.map((c) => c.name).join(', ')}, iso-8859-13, utf-8`,
      });
    }
    return iconv().decode(bytes, encoding, { stripBOM: true });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, bad - 1) + 1;
    const line = bytes.subarray(0, bad).filter((b) => b === 0x0a).length + 1;
    const firstBreak = bytes.indexOf(0x0a);
    const headers = bytes
      .subarray(0, firstBreak < 0 ? bytes.length : firstBreak)
      .toString('latin1')
      .split(delimiter)
      .map((h) => h.trim().replace(/^"|"$/g, ''));
    const index = fieldIndex(bytes.subarray(lineStart, bad).toString('latin1'), delimiter);
    const guess = likelyEncoding(bytes);
    throw new InputError({
      file: shown,
      line,
      column: headers[index] ?? index + 1,
      message: `the file is not UTF-8: byte 0x${bytes[bad]?.toString(16).padStart(2, '0')} here is not a UTF-8 character`,
      hint: `it reads best as ${guess.name} (${guess.label}): pass --encoding ${guess.name} or set contacts.encoding in invite.yaml, or save it from the spreadsheet as "CSV UTF-8"`,
    });
  }
}

/**
 * UTF-16 by its byte-order mark, or by the zero bytes of ASCII text (every second byte of the
 * first kilobyte zero, at odd offsets for little-endian, even for big-endian; a few letters
 * beyond Latin-1, such as Ā, put a zero on the other side).
 */
function utf16Of(bytes: Buffer): { name: 'utf-16le' | 'utf-16be'; bom: boolean } | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { name: 'utf-16le', bom: true };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { name: 'utf-16be', bom: true };
  const head = bytes.subarray(0, 1024);
  if (head.length < 4) return undefined;
  let even = 0;
  let odd = 0;
  head.forEach((b, i) => {
    if (b === 0 && i % 2) odd++;
    else if (b === 0) even++;
  });
  const half = Math.floor(head.length / 2);
  if (odd > half * 0.6 && even < half * 0.1) return { name: 'utf-16le', bom: false };
  if (even > half * 0.6 && odd < half * 0.1) return { name: 'utf-16be', bom: false };
  return undefined;
}

/** Turns the bytes of a file, chunk by chunk, into text; `null` ends the file. */
export type ChunkDecoder = (chunk: Buffer | null) => string;

/**
 * decodeText for a file read in chunks: the same rules and the same errors (`head` is the first
 * chunk; `whole` reads the entire file, only to say exactly where a bad byte is).
 */
export function chunkDecoder(head: Buffer, shown: string, encoding: string | undefined, delimiter: string, whole: () => Buffer): ChunkDecoder {
  const utf16 = utf16Of(head);
  if (utf16 && (!encoding || /^utf-?8$/i.test(encoding) || (utf16.bom && !/^utf-?16/i.test(encoding)))) {
    if (!(utf16.bom && !encoding)) decodeText(head, shown, encoding, delimiter); // throws the error naming it
    return textDecoder(new TextDecoder(utf16.name, { fatal: true }), () => decodeText(whole(), shown, encoding, delimiter));
  }
  if (encoding && !/^utf-?8$/i.test(encoding)) {
    if (!isKnownEncoding(encoding)) decodeText(head, shown, encoding, delimiter); // throws "unknown encoding"
    const decoder = iconv().getDecoder(encoding, { stripBOM: true });
    return (chunk) => (chunk ? decoder.write(chunk) : (decoder.end() ?? ''));
  }
  return textDecoder(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }), () => decodeText(whole(), shown, encoding, delimiter));
}

function textDecoder(decoder: { decode(input?: Uint8Array, options?: { stream?: boolean }): string }, explain: () => void): ChunkDecoder {
  return (chunk) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch (error) {
      explain(); // throws the error with line, column and the code page it reads best as
      throw error;
    }
  };
}

/** Which field of its line `before` ends in: delimiters counted outside quotes. */
function fieldIndex(before: string, delimiter: string): number {
  let count = 0;
  let quoted = false;
  for (const char of before) {
    if (char === '"') quoted = !quoted;
    else if (char === delimiter && !quoted) count++;
  }
  return count;
}

/** The offset of the first byte that does not start a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) if (i + k >= bytes.length || (bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += length;
  }
  return 0; // only overlong forms or surrogates, which TextDecoder refused: point at the start
}

/** The candidate code page under which the most high bytes become letters of the region. */
export function likelyEncoding(bytes: Buffer): { name: string; label: string } {
  let best = CANDIDATES[0]!;
  let bestScore = -1;
  for (const candidate of CANDIDATES) {
    const text = iconv().decode(bytes, candidate.name);
    let score = 0;
    for (const char of text) if (REGION_LETTERS.has(char)) score++;
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
