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

/** nodemailer's encodeBytes(buffer, undefined, binary, previous), written into `output` from `at`; returns where it ends. */
function encodeInto(buffer: Buffer, binary: boolean, previous: number | undefined, output: Buffer, at: number): number {
  const len = buffer.length;
  let pos = at;
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
  return pos;
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const hexValue = (c: number) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
/** "=XX" ends s[start, end). */
const escapeEndsAt = (s: Buffer, start: number, end: number) => end - start >= 3 && s[end - 3] === 0x3d && isHex(s[end - 2]!) && isHex(s[end - 1]!);

/** /^(?:=[\da-f]{2}){1,4}$/i on s[start, end). */
function onlyEscapes(s: Buffer, start: number, end: number): boolean {
  const length = end - start;
  if (length < 3 || length > 12 || length % 3 !== 0) return false;
  for (let at = start; at < end; at += 3) if (!escapeEndsAt(s, at, at + 3)) return false;
  return true;
}

/**
 * nodemailer's qp wrap(str, 76) over the bytes src[0, len), written into `out` from `at`;
 * returns where it ends. Step by step the same windows and the same choices, with index
 * arithmetic in place of its regular expressions (each named beside its port).
 */
// eslint-disable-next-line max-lines-per-function -- a step-by-step port of nodemailer's wrap(), kept in its order so the two can be read side by side (test/qp.test.ts compares them)
function wrapInto(src: Buffer, len: number, out: Buffer, at: number): number {
  if (len <= LINE) return at + src.copy(out, at, 0, len);
  let to = at;
  // A line at a time, byte by byte: a view per line (subarray) was a fifth of the bytes a message allocated.
  const take = (from: number, end: number) => {
    for (let i = from; i < end; i++) out[to++] = src[i]!;
  };
  let pos = 0;
  // The first CRLF at or after pos, kept as pos moves on (a search each time would rescan).
  let crlfAt = -2;
  while (pos < len) {
    const windowEnd = Math.min(pos + LINE, len);
    // line.match(/\r\n/): the first CRLF inside the window ends the line.
    if (crlfAt < pos) {
      // (The scratch buffer goes on past len with bytes of earlier messages: a CRLF there is none.)
      crlfAt = src.indexOf(CRLF, pos);
      if (crlfAt < 0 || crlfAt + 1 >= len) crlfAt = len;
    }
    if (crlfAt + 2 <= windowEnd) {
      take(pos, crlfAt + 2);
      pos = crlfAt + 2;
      continue;
    }
    // line.substr(-1) === '\n'
    if (src[windowEnd - 1] === 0x0a) {
      take(pos, windowEnd);
      pos = windowEnd;
      continue;
    }
    const tailStart = Math.max(pos, windowEnd - MARGIN);
    // line.substr(-lineMargin).match(/\n.*?$/): an LF in the tail with no line terminator after it.
    // The input is ASCII, so the terminators are LF and CR: the tail's last one must be an LF.
    let last = windowEnd - 1;
    while (last >= tailStart && src[last] !== 0x0a && src[last] !== 0x0d) last--;
    if (last >= tailStart && src[last] === 0x0a) {
      take(pos, last + 1);
      pos = last + 1;
      continue;
    }
    let end = windowEnd;
    // line.length > lineLength - lineMargin && tail.match(/[ \t.,!?][^ \t.,!?]*$/): cut after the tail's last space or punctuation.
    let cut = -1;
    if (windowEnd - pos > LINE - MARGIN) {
      for (let i = windowEnd - 1; i >= tailStart; i--) {
        const c = src[i];
        if (c === 0x20 || c === 0x09 || c === 0x2e || c === 0x2c || c === 0x21 || c === 0x3f) {
          cut = i;
          break;
        }
      }
    }
    if (cut >= 0) {
      end = cut + 1;
    } else if (
      // line.match(/[=][\da-f]{0,2}$/i)
      src[end - 1] === 0x3d ||
      (end - pos >= 2 && src[end - 2] === 0x3d && isHex(src[end - 1]!)) ||
      escapeEndsAt(src, pos, end)
    ) {
      // push incomplete encoding sequences to the next line: /[=][\da-f]{0,1}$/i
      if (src[end - 1] === 0x3d) end -= 1;
      else if (end - pos >= 2 && src[end - 2] === 0x3d && isHex(src[end - 1]!)) end -= 2;
      // ensure that utf-8 sequences are not split
      while (end - pos > 3 && end - pos < len - pos && !onlyEscapes(src, pos, end) && escapeEndsAt(src, pos, end)) {
        const code = hexValue(src[end - 2]!) * 16 + hexValue(src[end - 1]!);
        if (code < 128) break;
        end -= 3;
        if (code >= 0xc0) break;
      }
    }
    // The trimming above emptied the line (an incomplete escape at the very end): take it as is.
    if (end === pos) end = windowEnd;
    if (end < len && src[end - 1] !== 0x0a) {
      if (end - pos === LINE && escapeEndsAt(src, pos, end)) end -= 3;
      else if (end - pos === LINE) end -= 1;
      take(pos, end);
      out[to++] = 0x3d;
      out[to++] = 0x0d;
      out[to++] = 0x0a;
    } else {
      take(pos, end);
    }
    pos = end;
  }
  return to;
}

/** wrap() alone, on a string of ASCII (for the comparison with nodemailer's). */
export function wrapQuotedPrintable(str: string): string {
  const src = Buffer.from(str, 'latin1');
  const out = Buffer.allocUnsafe(4 * src.length + 16);
  return out.toString('latin1', 0, wrapInto(src, src.length, out, 0));
}

const CRLF = Buffer.from('\r\n', 'latin1');
const isWhitespace = (c: number) => c === 0x20 || c === 0x09;

/** Where quotedPrintableLines() writes: the message being built. */
export interface ByteSink {
  bytes(source: Buffer, start: number, end: number): void;
}

const CR = Buffer.from('\r', 'latin1');

/**
 * The encoder of a run (a MimeWriter has one): its scratch space is reused from message to
 * message and grown when a chunk needs more — the encoded bytes (at most 3 a byte, after a
 * waiting line), then the wrapped lines (a window adds at most 3 bytes, "=\r\n", to the 1 or
 * more it takes).
 */
export class QuotedPrintable {
  private encoded = Buffer.allocUnsafe(16 * 1024);
  private wrapped = Buffer.allocUnsafe(64 * 1024);

  /**
   * qp.Encoder's output for one chunk of at most QP_SLICE bytes, left in `wrapped`; returns its
   * length. Trailing whitespace (and, for binary, a trailing CR) is held back and encoded at the
   * flush as the end of the input; the line it ends is wrapped again with it, as _flush() does.
   */
  private encodeChunk(bytes: Buffer, binary: boolean): number {
    if (bytes.length > QP_SLICE) throw new Error('quoted-printable: more than one slice');
    if (bytes.length === 0) return 0;
    let end = bytes.length;
    while (end > 0 && (isWhitespace(bytes[end - 1]!) || (binary && bytes[end - 1] === 0x0d))) end--;
    const encodedMost = 3 * bytes.length + LINE;
    if (this.encoded.length < encodedMost) this.encoded = Buffer.allocUnsafe(encodedMost);
    if (this.wrapped.length < 4 * encodedMost) this.wrapped = Buffer.allocUnsafe(4 * encodedMost);
    const { encoded, wrapped } = this;
    // _transform: all but the held-back bytes; what follows the last line break waits (_curLine).
    let done = end > 0 ? wrapInto(encoded, encodeInto(bytes.subarray(0, end), binary, undefined, encoded, 0), wrapped, 0) : 0;
    if (end < bytes.length) {
      // _flush: the waiting line, then the held-back bytes encoded as the end of the input.
      let lineStart = done;
      while (lineStart > 0 && wrapped[lineStart - 1] !== 0x0a) lineStart--;
      const waiting = done - lineStart;
      wrapped.copy(encoded, 0, lineStart, done);
      const length = encodeInto(bytes.subarray(end), binary, end > 0 ? bytes[end - 1] : undefined, encoded, waiting);
      done = wrapInto(encoded, length, wrapped, lineStart);
    }
    return done;
  }

  /** qp.Encoder's output for one chunk of at most QP_SLICE bytes, as the string it pushes. */
  chunk(bytes: Buffer, binary: boolean): string {
    const length = this.encodeChunk(bytes, binary); // first: it may replace the scratch buffer
    return this.wrapped.toString('latin1', 0, length);
  }

  /**
   * The same, as it goes into the message, with nodemailer's LeWindows applied (every LF not
   * preceded by CR becomes CRLF; the Encoder leaves a text's own line breaks alone).
   */
  lines(bytes: Buffer, binary: boolean, out: ByteSink): void {
    const length = this.encodeChunk(bytes, binary);
    const lines = this.wrapped.subarray(0, length); // not the bytes of earlier chunks after them
    let from = 0;
    for (let lf = lines.indexOf(0x0a); lf >= 0; lf = lines.indexOf(0x0a, lf + 1)) {
      if (lf > 0 && lines[lf - 1] === 0x0d) continue;
      out.bytes(lines, from, lf);
      out.bytes(CR, 0, 1);
      from = lf;
    }
    out.bytes(lines, from, length);
  }
}

/** One chunk on its own (the comparison with nodemailer's Encoder). */
export function quotedPrintableChunk(bytes: Buffer, binary: boolean): string {
  return new QuotedPrintable().chunk(bytes, binary);
}
