// Quoted-printable exactly as nodemailer's qp.Encoder writes it (nodemailer/lib/qp), for one
// chunk of up to 64 kB: the same bytes, character for character, including where its wrap()
// puts the soft line breaks (not always where another encoder would). It is a port, not a new
// encoder: per message, the Encoder's regular expressions over substrings and its 3×-sized
// scratch allocation were a fifth of building a message. test/qp.test.ts compares the two on
// thousands of random and awkward inputs; mime.ts falls back to the Encoder above 64 kB, where
// the Encoder works in slices.

/** Inputs longer than this go to nodemailer's Encoder (it encodes them in slices of this size). */
export const QP_SLICE = 64 * 1024;

const LINE = 76;
const MARGIN = Math.floor(LINE / 3);

/** Bytes written as they are (RFC 2045 6.7): TAB, LF, CR, 0x20–0x3C, 0x3E–0x7E. */
const LITERAL = new Uint8Array(256);
/** Of those, the ones whose treatment does not depend on the bytes around them. */
const PLAIN = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  LITERAL[i] = i === 0x09 || i === 0x0a || i === 0x0d || (i >= 0x20 && i <= 0x3c) || (i >= 0x3e && i <= 0x7e) ? 1 : 0;
  PLAIN[i] = LITERAL[i] && i !== 0x09 && i !== 0x0a && i !== 0x0d && i !== 0x20 ? 1 : 0;
}
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
let scratch = Buffer.allocUnsafe(64 * 1024);

/** nodemailer's encodeBytes(buffer, undefined, binary, previous). */
function encodeBytes(buffer: Uint8Array, binary: boolean, previous: number | undefined): string {
  const len = buffer.length;
  if (scratch.length < len * 3) scratch = Buffer.allocUnsafe(len * 3);
  const output = scratch;
  let pos = 0;
  for (let i = 0; i < len; i++) {
    const ord = buffer[i]!;
    if (PLAIN[ord]) {
      output[pos++] = ord;
      continue;
    }
    const following = i + 1 < len ? buffer[i + 1] : undefined;
    const lineBreakByte = binary && (ord === 0x0d || ord === 0x0a) ? (ord === 0x0d ? following === 0x0a : (i > 0 ? buffer[i - 1] : previous) === 0x0d) : true;
    if (LITERAL[ord] && lineBreakByte && !((ord === 0x20 || ord === 0x09) && (following === undefined || following === 0x0a || following === 0x0d))) {
      output[pos++] = ord;
      continue;
    }
    output[pos++] = 0x3d;
    output[pos++] = HEX[ord >> 4]!;
    output[pos++] = HEX[ord & 15]!;
  }
  return output.toString('latin1', 0, pos);
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const hexValue = (c: number) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
/** "=XX" ends str at `end`. */
const escapeEndsAt = (str: string, start: number, end: number) =>
  end - start >= 3 && str.charCodeAt(end - 3) === 0x3d && isHex(str.charCodeAt(end - 2)) && isHex(str.charCodeAt(end - 1));

/** /^(?:=[\da-f]{2}){1,4}$/i on str[start, end). */
function onlyEscapes(str: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 3 || length > 12 || length % 3 !== 0) return false;
  for (let at = start; at < end; at += 3) if (!escapeEndsAt(str, at, at + 3)) return false;
  return true;
}

/**
 * nodemailer's qp wrap(str, 76), step by step: the same windows and the same choices, with
 * index arithmetic in place of its regular expressions (each named beside its port).
 */
export function wrapQuotedPrintable(str: string): string {
  const len = str.length;
  if (len <= LINE) return str;
  let result = '';
  let pos = 0;
  // The first CRLF at or after pos, kept as pos moves on (str.indexOf each time would rescan).
  let crlfAt = -2;
  while (pos < len) {
    const windowEnd = Math.min(pos + LINE, len);
    // line.match(/\r\n/): the first CRLF inside the window ends the line.
    if (crlfAt < pos) {
      crlfAt = str.indexOf('\r\n', pos);
      if (crlfAt < 0) crlfAt = len;
    }
    if (crlfAt + 2 <= windowEnd) {
      result += str.slice(pos, crlfAt + 2);
      pos = crlfAt + 2;
      continue;
    }
    // line.substr(-1) === '\n'
    if (str.charCodeAt(windowEnd - 1) === 0x0a) {
      result += str.slice(pos, windowEnd);
      pos = windowEnd;
      continue;
    }
    const tailStart = Math.max(pos, windowEnd - MARGIN);
    // line.substr(-lineMargin).match(/\n.*?$/): an LF in the tail with no line terminator after it.
    // The output is ASCII, so the terminators are LF and CR: the tail's last one must be an LF.
    let last = windowEnd - 1;
    while (last >= tailStart && str.charCodeAt(last) !== 0x0a && str.charCodeAt(last) !== 0x0d) last--;
    if (last >= tailStart && str.charCodeAt(last) === 0x0a) {
      result += str.slice(pos, last + 1);
      pos = last + 1;
      continue;
    }
    let end = windowEnd;
    // line.length > lineLength - lineMargin && tail.match(/[ \t.,!?][^ \t.,!?]*$/): cut after the tail's last space or punctuation.
    let cut = -1;
    if (windowEnd - pos > LINE - MARGIN) {
      for (let at = windowEnd - 1; at >= tailStart; at--) {
        const c = str.charCodeAt(at);
        if (c === 0x20 || c === 0x09 || c === 0x2e || c === 0x2c || c === 0x21 || c === 0x3f) {
          cut = at;
          break;
        }
      }
    }
    if (cut >= 0) {
      end = cut + 1;
    } else if (
      // line.match(/[=][\da-f]{0,2}$/i)
      str.charCodeAt(end - 1) === 0x3d ||
      (end - pos >= 2 && str.charCodeAt(end - 2) === 0x3d && isHex(str.charCodeAt(end - 1))) ||
      escapeEndsAt(str, pos, end)
    ) {
      // push incomplete encoding sequences to the next line: /[=][\da-f]{0,1}$/i
      if (str.charCodeAt(end - 1) === 0x3d) end -= 1;
      else if (end - pos >= 2 && str.charCodeAt(end - 2) === 0x3d && isHex(str.charCodeAt(end - 1))) end -= 2;
      // ensure that utf-8 sequences are not split
      while (end - pos > 3 && end - pos < len - pos && !onlyEscapes(str, pos, end) && escapeEndsAt(str, pos, end)) {
        const code = hexValue(str.charCodeAt(end - 2)) * 16 + hexValue(str.charCodeAt(end - 1));
        if (code < 128) break;
        end -= 3;
        if (code >= 0xc0) break;
      }
    }
    // The trimming above emptied the line (an incomplete escape at the very end): take it as is.
    if (end === pos) end = windowEnd;
    if (end < len && str.charCodeAt(end - 1) !== 0x0a) {
      if (end - pos === LINE && escapeEndsAt(str, pos, end)) end -= 3;
      else if (end - pos === LINE) end -= 1;
      result += str.slice(pos, end) + '=\r\n';
    } else {
      result += str.slice(pos, end);
    }
    pos = end;
  }
  return result;
}

const isWhitespace = (c: number) => c === 0x20 || c === 0x09;

/**
 * qp.Encoder's output for one chunk of at most QP_SLICE bytes: what _transform() and _flush()
 * push. Trailing whitespace (and, for binary, a trailing CR) is held back and encoded at the
 * flush as the end of the input; the last line is re-wrapped with it.
 */
export function quotedPrintableChunk(bytes: Uint8Array, binary: boolean): string {
  if (bytes.length > QP_SLICE) throw new Error('quotedPrintableChunk: more than one slice');
  if (bytes.length === 0) return '';
  let end = bytes.length;
  while (end > 0 && (isWhitespace(bytes[end - 1]!) || (binary && bytes[end - 1] === 0x0d))) end--;
  let out = '';
  let current = '';
  const slice = (part: Uint8Array, previous: number | undefined) => {
    const wrapped = wrapQuotedPrintable(current + encodeBytes(part, binary, previous));
    const lastLF = wrapped.lastIndexOf('\n');
    current = wrapped.substring(lastLF + 1);
    out += wrapped.substring(0, lastLF + 1);
  };
  if (end > 0) slice(bytes.subarray(0, end), undefined);
  if (end < bytes.length) slice(bytes.subarray(end), end > 0 ? bytes[end - 1] : undefined);
  return out + current;
}
