// MIME: turns a composed message into the exact RFC 5322 bytes that go over SMTP or into
// an .eml file, with nodemailer's MailComposer (the calendar both as a text/calendar
// alternative and as an invite.ics attachment with the same bytes). A MimeWriter is made per
// run (a transport has one) and keeps what is the same for many messages of it: the layouts,
// the shared attachments' bytes, the buffers a message is built in.
import { hash } from 'node:crypto';
import type MailComposer from 'nodemailer/lib/mail-composer';
import type * as Qp from 'nodemailer/lib/qp';
import type * as MimeFuncs from 'nodemailer/lib/mime-funcs';
import type MimeNode from 'nodemailer/lib/mime-node';
import type { MimeNodeHeaderValue } from 'nodemailer/lib/mime-node';
import { readAttachment } from '../campaign/attachments.js';
import type { Attachment } from '../campaign/model.js';
import type { Message } from '../compose/compose.js';
import { RecipientFailure } from '../errors.js';
import { QP_SLICE, QuotedPrintable } from './qp.js';

export interface Envelope {
  from: string;
  to: string[];
}

type ComposerOptions = NonNullable<ConstructorParameters<typeof MailComposer>[0]>;

/** What building a message reads of it. */
export type MimeInput = Pick<
  Message,
  'from' | 'sender' | 'to' | 'replyTo' | 'subject' | 'text' | 'html' | 'date' | 'messageId' | 'campaignId' | 'attachments'
> & {
  listUnsubscribe?: string;
  calendar: Pick<Message['calendar'], 'method' | 'content'>;
};

/** MailComposer's options for a message; `bytesOf` reads an attachment (a writer keeps the shared ones). */
export function mailOptions(message: MimeInput, bytesOf: (a: Attachment) => Buffer = readAttachment): ComposerOptions {
  return {
    from: { name: message.from.name, address: message.from.email },
    to: [{ name: message.to.name, address: message.to.email }],
    replyTo: message.replyTo.map((p) => ({ name: p.name, address: p.email })),
    subject: message.subject,
    text: message.text,
    html: message.html,
    date: message.date,
    messageId: message.messageId,
    icalEvent:
      message.calendar.content === undefined ? undefined : { method: message.calendar.method, filename: 'invite.ics', content: message.calendar.content },
    // The bytes, read here through the same confinement that checked them, never a path for
    // nodemailer to open later (a file swapped for a symlink in between would go instead).
    attachments: message.attachments.map((a) => ({ filename: a.filename, content: bytesOf(a) })),
    headers: { 'X-Invite-Campaign': message.campaignId, ...(message.listUnsubscribe ? { 'List-Unsubscribe': message.listUnsubscribe } : {}) },
    // Boundaries from the Message-ID rather than chance: the same message builds to the same
    // bytes every time, so an .eml file from --out is exactly what SMTP carries.
    baseBoundary: hash('sha256', message.messageId, 'hex').slice(0, 16),
    // RFC 5322 lines end in CRLF; templates written on Linux or macOS have bare LF.
    newline: 'windows',
    // Sent for the organiser by someone else: Sender names the mailbox that sends, as ORGANIZER's SENT-BY does.
    // (Last: a spread followed by more properties costs V8 a hidden class per message.)
    ...(message.sender ? { sender: { name: message.sender.name, address: message.sender.email } } : {}),
  };
}

export function envelopeOf(message: MimeInput): Envelope {
  return { from: message.from.email, to: [message.to.email] };
}

/** nodemailer's MIME code. */
interface Libraries {
  composer: typeof MailComposer;
  headerEncoder: MimeNode;
  qp: typeof Qp;
  mimeFuncs: typeof MimeFuncs;
}

// nodemailer's MIME code, imported at the first build (a dry run never builds MIME, and start-up
// should not pay for it). Like Node's own module cache, this holds libraries, not a run's state.
let libraries: Libraries | undefined;
let loading: Promise<Libraries> | undefined;

/** Loads nodemailer's MIME code once. */
export async function loadMime(): Promise<void> {
  libraries ??= await (loading ??= Promise.all([
    import('nodemailer/lib/mail-composer/index.js'),
    import('nodemailer/lib/mime-node/index.js'),
    import('nodemailer/lib/qp/index.js'),
    import('nodemailer/lib/mime-funcs/index.js'),
  ]).then(([c, n, q, f]) => ({ composer: c.default, headerEncoder: new n.default(), qp: q, mimeFuncs: f })));
}

function loaded(): Libraries {
  if (!libraries) throw new Error('loadMime() first');
  return libraries;
}

/** The bytes of the message being built: a buffer kept from message to message, grown when one needs more. */
class MessageBytes {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private length = 0;

  clear(): void {
    this.length = 0;
  }

  private room(more: number): void {
    if (this.length + more <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.length + more));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  /** Text: ASCII by now, written as UTF-8 all the same (as Buffer.from(text) would). */
  text(text: string): void {
    this.room(3 * text.length);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  bytes(source: Buffer, start = 0, end = source.length): void {
    this.room(end - start);
    this.length += source.copy(this.buffer, this.length, start, end);
  }

  lastByte(): number | undefined {
    return this.length > 0 ? this.buffer[this.length - 1] : undefined;
  }

  /** Buffers of messages a transport is done with (giveBack), and every buffer take() made: only those are taken back. */
  private readonly spares: Buffer[] = [];
  private readonly made = new WeakSet<ArrayBufferLike>();

  /**
   * The message's own copy of its bytes (the transport keeps it while the buffer moves on): in a
   * buffer given back when it can hold them, else in a new one with room to spare, so that the
   * next message, a few bytes longer, fits in it too.
   */
  take(): Buffer {
    let raw = this.spares.pop();
    if (!raw || raw.length < this.length) {
      raw = Buffer.allocUnsafeSlow(this.length + (this.length >> 3));
      this.made.add(raw.buffer);
    }
    this.buffer.copy(raw, 0, 0, this.length);
    return raw.subarray(0, this.length);
  }

  giveBack(raw: Buffer): void {
    if (this.made.has(raw.buffer) && this.spares.length < 4) this.spares.push(Buffer.from(raw.buffer));
  }
}

// ---- The plan: a message's layout as MailComposer made it, to be filled in per message. ----

/** Where a part's content comes from in the message's options. */
type Source = 'none' | 'text' | 'html' | 'calendar' | 'ics' | number;

interface PlanNode {
  /** The header fields, in order; those named in PER_MESSAGE are written anew for each message. */
  fields: { name: string; line: string }[];
  source: Source;
  /** A text part: its transfer encoding depends on its content (and a lone CR or LF in it is a line break, not data). */
  textual: boolean;
  /** The boundary, with the plan's base boundary in it (replaced by each message's). */
  boundary?: string;
  children: PlanNode[];
}

interface Plan {
  base: string;
  root: PlanNode;
}

/** Everything the layout and the constant headers depend on; the per-message values are not in it. */
function shapeOf(o: ComposerOptions): string {
  const attachments = (o.attachments ?? []).map((a) => a.filename).join('\u0000');
  // List-Unsubscribe names the recipient: per message, like To (only whether there is one shapes the plan).
  let headers = '';
  for (const [name, value] of Object.entries(o.headers as Record<string, string>)) headers += `${name}\u0000${name === 'List-Unsubscribe' ? '*' : value}\u0000`;
  return JSON.stringify([
    o.from,
    o.sender,
    o.replyTo,
    headers,
    Boolean(o.text),
    Boolean(o.html),
    Boolean(String(o.subject ?? '').trim()),
    o.icalEvent ? (o.icalEvent as { method: string }).method : '',
    attachments,
  ]);
}

function planOf(options: ComposerOptions): Plan {
  const root = new (loaded().composer)(options).compile() as unknown as MimeTree;
  let attachment = 0;
  const visit = (node: MimeTree): PlanNode => {
    const headers = node.buildHeaders();
    const contentType = (node.contentType ?? '').toLowerCase();
    const content = node.content;
    let source: Source = 'none';
    if (content !== undefined && content !== '') {
      if (Buffer.isBuffer(content)) source = attachment++;
      else if (node.filename === 'invite.ics' && contentType === 'application/ics') source = 'ics';
      else if (contentType.startsWith('text/plain')) source = 'text';
      else if (contentType.startsWith('text/html')) source = 'html';
      else if (contentType.startsWith('text/calendar')) source = 'calendar';
      else throw new Error(`a part of type ${contentType} is not planned`);
    }
    const fields: PlanNode['fields'] = [];
    for (const line of headers.split('\r\n')) {
      if (/^[ \t]/.test(line)) fields[fields.length - 1]!.line += '\r\n' + line;
      else fields.push({ name: line.slice(0, line.indexOf(':')), line });
    }
    return {
      fields,
      source,
      textual: /^text\//.test(contentType),
      boundary: node.multipart ? String(node.boundary) : undefined,
      children: node.multipart ? node.childNodes.map(visit) : [],
    };
  };
  const planned = visit(root);
  if (attachment !== (options.attachments ?? []).length) throw new Error('the attachments were not all planned');
  return { base: String(options.baseBoundary), root: planned };
}

/** Header fields written anew for each message (the root's) and for each text part. */
const PER_MESSAGE = new Set(['To', 'Subject', 'Message-ID', 'Date', 'Content-Transfer-Encoding', 'Content-Type', 'List-Unsubscribe']);

function contentOf(source: Source, o: ComposerOptions): string | Buffer | undefined {
  if (source === 'none') return undefined;
  if (source === 'text') return o.text as string;
  if (source === 'html') return o.html as string;
  if (source === 'calendar' || source === 'ics') return (o.icalEvent as { content: string }).content;
  return (o.attachments as { content: Buffer }[])[source]!.content;
}

/**
 * The MIME writer of a run. The message's bytes are built in one synchronous pass (after
 * loadMime), the same bytes nodemailer's MailComposer gives (test/mime/golden.test.ts compares
 * them for every kind and many names and texts). The first message of each shape (which parts,
 * which attachment names, which campaign) is laid out by MailComposer itself; its layout is
 * kept as a plan: every header that is the same for all (From, Reply-To, each attachment's
 * headers) is kept as written, and per message only To, Subject, Message-ID, Date,
 * List-Unsubscribe, the boundaries and each text part's transfer encoding are written, with
 * nodemailer's own encoders.
 */
export class MimeWriter {
  private readonly plans = new Map<string, Plan>();
  /** invite.yaml's attachments go with every message: read once per run, and base64-encoded once. */
  private readonly shared = new Map<string, Buffer>();
  private readonly base64 = new WeakMap<Buffer, Buffer>();
  /** The last value of a per-message field and its line: a run's Subject and Date are mostly the same for every message. */
  private readonly lastLines = new Map<string, { value: string | number; line: string }>();
  /** The message being built, and a text part's UTF-8 (looked at and encoded at once): buffers kept from message to message. */
  private readonly building = new MessageBytes();
  private utf8 = Buffer.allocUnsafe(16 * 1024);
  private readonly qp = new QuotedPrintable();

  /**
   * A transport done with a message's bytes (written to a file, or accepted by the server) gives
   * them back, and the next message is copied into them. A new buffer per message stayed
   * allocated until the young generation's next collection, a few hundred messages later: about
   * 3 MB more at the peak of a 100,000-message run, and a malloc and a free per message. Bytes
   * this writer did not build are ignored; the caller must not read them again.
   */
  recycle(raw: Buffer): void {
    this.building.giveBack(raw);
  }

  async build(message: MimeInput): Promise<Buffer> {
    await loadMime();
    return this.buildNow(message);
  }

  buildNow(message: MimeInput): Buffer {
    return this.planned(this.options(message), (header) => checkHeaderLines(header, message));
  }

  /** The same build for any MailComposer options (the tests compare it with MailComposer's build()). */
  async buildFromOptions(options: ComposerOptions): Promise<Buffer> {
    await loadMime();
    return this.planned(options);
  }

  /** MailComposer's options for a message, the shared attachments' bytes read once. */
  options(message: MimeInput): ComposerOptions {
    return mailOptions(message, (a) => this.bytesOf(a));
  }

  private bytesOf(attachment: Attachment): Buffer {
    if (!attachment.shared) return readAttachment(attachment);
    const key = `${attachment.path}\u0000${attachment.maxBytes}`;
    let bytes = this.shared.get(key);
    if (!bytes) this.shared.set(key, (bytes = readAttachment(attachment)));
    return bytes;
  }

  private planned(options: ComposerOptions, checkHeader?: (header: string) => void): Buffer {
    const key = shapeOf(options);
    let plan = this.plans.get(key);
    if (!plan) {
      if (this.plans.size >= 64) this.plans.clear(); // personal attachments with names of their own: a plan each
      this.plans.set(key, (plan = planOf(options)));
    }
    // Every part is ASCII by now (headers encoded, bodies 7bit, quoted-printable or base64): it is
    // written into one buffer, reused from message to message, and copied out once.
    const out = this.building;
    out.clear();
    this.writePlanned(plan.root, plan, options, checkHeader);
    // nodemailer's LastNewline: the message ends with a line break.
    const last = out.lastByte();
    if (last !== 0x0a) out.text(last === 0x0d ? '\n' : '\r\n');
    return out.take();
  }

  /**
   * MimeNode.stream(), synchronously and from a plan: the header block, the encoded content
   * (the same encoders over the same single chunk), then the children between boundaries.
   * nodemailer's LeWindows then turns every LF not preceded by CR into CRLF: only a text part's
   * own lines can have one (headers, boundaries and base64 are written with CRLF), and no piece
   * starts with an LF that a CR ending the piece before would pair with, so each text piece is
   * converted on its own.
   */
  private writePlanned(node: PlanNode, plan: Plan, o: ComposerOptions, checkHeader?: (header: string) => void): void {
    const out = this.building;
    const { mimeFuncs } = loaded();
    const content = contentOf(node.source, o);
    // MimeNode.getTransferEncoding(), for the contents a message has here (strings and Buffers).
    let transferEncoding = 'base64';
    let bytes: Buffer | undefined;
    if (typeof content === 'string' && node.textual) {
      if (mimeFuncs.isPlainText(content) && !mimeFuncs.hasLongerLines(content, 76)) transferEncoding = '7bit';
      else transferEncoding = textEncodingOf((bytes = this.utf8Of(content))) === 'Q' ? 'quoted-printable' : 'base64';
    }
    const base = o.baseBoundary as string;
    let header = '';
    let longLine = false;
    for (const field of node.fields) {
      const line = PER_MESSAGE.has(field.name) ? this.messageField(field, node, plan, o, transferEncoding) : field.line;
      header += header ? '\r\n' + line : line;
      if (line.length > MAX_LINE) longLine = true;
    }
    header = crlf(header);
    // (No physical line is longer than the field's line it is part of.)
    if (longLine) checkHeader?.(header);
    out.text(header + '\r\n\r\n');
    if (content !== undefined) {
      if (transferEncoding === '7bit')
        out.text(crlf(content as string)); // plain ASCII text
      else if (typeof content !== 'string')
        out.bytes(this.base64Of(content)); // an attachment's bytes: encoded once per run
      else if (transferEncoding === 'base64') out.bytes(base64Lines(bytes ?? this.utf8Of(content)));
      else this.quotedPrintable(bytes ?? this.utf8Of(content), !node.textual);
    }
    if (!node.boundary) return;
    const boundary = node.boundary.replaceAll(plan.base, base);
    node.children.forEach((child, index) => {
      out.text(`${index > 0 ? '\r\n' : ''}--${boundary}\r\n`);
      this.writePlanned(child, plan, o);
    });
    out.text(`\r\n--${boundary}--\r\n`);
  }

  /** A field the plan does not keep as written (PER_MESSAGE): this message's line for it. */
  private messageField(field: PlanNode['fields'][number], node: PlanNode, plan: Plan, o: ComposerOptions, transferEncoding: string): string {
    switch (field.name) {
      case 'Content-Type':
        return node.boundary ? field.line.replaceAll(plan.base, o.baseBoundary as string) : field.line;
      case 'Content-Transfer-Encoding':
        return node.textual ? `Content-Transfer-Encoding: ${transferEncoding}` : field.line;
      case 'Date':
        return this.remembered('Date', (o.date as Date).getTime(), () => `Date: ${(o.date as Date).toUTCString().replace(/GMT/, '+0000')}`);
      case 'Subject':
        return this.remembered('Subject', o.subject as string, () => headerLine('Subject', o.subject));
      case 'List-Unsubscribe': {
        // A URL in angle brackets, percent-encoded: printable ASCII that MimeNode returns as it is.
        const value = (o.headers as Record<string, string>)['List-Unsubscribe']!;
        return /^[\x21\x23-\x7e]*$/.test(value) && !value.includes('=?')
          ? loaded().mimeFuncs.foldLines(`List-Unsubscribe: ${value}`, 76)
          : headerLine(field.name, value);
      }
      default: // To, Message-ID
        return headerLine(field.name, field.name === 'To' ? o.to : o.messageId);
    }
  }

  private remembered(name: string, value: string | number, line: () => string): string {
    const last = this.lastLines.get(name);
    if (last?.value === value) return last.line;
    const made = line();
    this.lastLines.set(name, { value, line: made });
    return made;
  }

  private base64Of(bytes: Buffer): Buffer {
    let encoded = this.base64.get(bytes);
    if (encoded === undefined) this.base64.set(bytes, (encoded = base64Lines(bytes)));
    return encoded;
  }

  /**
   * qp.Encoder over one chunk, as MimeNode feeds it a string or Buffer content, with LF made CRLF
   * as LeWindows does: up to one slice (64 kB) by the port in qp.ts, longer by the Encoder's own
   * transform and flush, run in place.
   */
  private quotedPrintable(bytes: Buffer, binary: boolean): void {
    const out = this.building;
    if (bytes.length <= QP_SLICE) return this.qp.lines(bytes, binary, out);
    const encoder = new (loaded().qp.Encoder)({ binary }) as unknown as SyncTransform;
    const pushed: string[] = [];
    encoder.push = (chunk) => (pushed.push(String(chunk)), true);
    encoder._transform(bytes, 'buffer', noop);
    encoder._flush(noop);
    out.text(crlf(pushed.join('')));
  }

  /** A text's UTF-8, in the buffer kept for it. */
  private utf8Of(text: string): Buffer {
    if (this.utf8.length < 3 * text.length) this.utf8 = Buffer.allocUnsafe(3 * text.length);
    return this.utf8.subarray(0, this.utf8.write(text, 0, 'utf8'));
  }
}

/** One message on its own (tests, and anything outside a run). */
export async function buildRaw(message: MimeInput): Promise<Buffer> {
  return new MimeWriter().build(message);
}

/** MimeNode's header line for a field: the value encoded, the line folded. */
function headerLine(name: string, value: MimeNodeHeaderValue): string {
  const { mimeFuncs, headerEncoder } = loaded();
  return mimeFuncs.foldLines(`${name}: ${headerEncoder.encodeHeaderValue(name, value)}`, 76);
}

/**
 * For each byte of a text's UTF-8: what MimeNode's count makes of it, counting UTF-16 code units
 * as it does. 2: a Latin letter (A–Z, a–z). 1: a control character it counts as non-Latin, or
 * the first byte of a character from U+0080 to U+FFFF (one code unit). 3: the first byte of a
 * character above U+FFFF (two code units, a surrogate pair). 0: anything else, continuation
 * bytes included. (A lone surrogate becomes U+FFFD in UTF-8: one code unit, one first byte.)
 */
const BYTE_CLASS = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) {
  if (byte <= 0x08 || byte === 0x0b || byte === 0x0c || (byte >= 0x0e && byte <= 0x1f)) BYTE_CLASS[byte] = 1;
  else if ((byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)) BYTE_CLASS[byte] = 2;
  else if (byte >= 0xc0) BYTE_CLASS[byte] = byte >= 0xf0 ? 3 : 1;
}

/**
 * MimeNode._getTextEncoding: quoted-printable when Latin letters outnumber the other characters
 * (control characters and non-ASCII, counted in UTF-16 code units), else base64. Counted on the
 * UTF-8 bytes that are encoded next anyway.
 */
function textEncodingOf(bytes: Uint8Array): 'Q' | 'B' {
  let nonLatin = 0;
  let latin = 0;
  for (let i = 0; i < bytes.length; i++) {
    const kind = BYTE_CLASS[bytes[i]!]!;
    if (kind === 2) latin++;
    else if (kind !== 0) nonLatin += kind === 3 ? 2 : 1;
  }
  return nonLatin < latin ? 'Q' : 'B';
}

/** The parts of nodemailer's MimeNode that the plan reads. */
interface MimeTree {
  filename?: string;
  buildHeaders(): string;
  content?: string | Buffer | object;
  contentType?: string;
  /** Set by buildHeaders(). */
  multipart?: string | false;
  boundary?: string | false;
  childNodes: MimeTree[];
}

/**
 * base64.Encoder's output, the same as nodemailer's wrap(encode(bytes), 76) however the input is
 * split: lines of 76 characters, each but the last followed by CRLF (base64.Encoder's wrapBuffer).
 */
function base64Lines(bytes: Buffer): Buffer {
  const encoded = Buffer.from(bytes.toString('base64'), 'latin1');
  const lines = Math.ceil(encoded.length / 76);
  if (lines <= 1) return encoded;
  const out = Buffer.allocUnsafe(encoded.length + 2 * (lines - 1));
  let to = 0;
  for (let from = 0; from < encoded.length; from += 76) {
    if (from > 0) {
      out[to++] = 0x0d;
      out[to++] = 0x0a;
    }
    to += encoded.copy(out, to, from, Math.min(from + 76, encoded.length));
  }
  return out;
}

interface SyncTransform {
  push(chunk: unknown): boolean;
  _transform(chunk: Buffer, encoding: string, done: () => void): void;
  _flush(done: () => void): void;
}

const noop = () => {};

/** nodemailer's LeWindows: every LF not preceded by CR becomes CRLF. */
function crlf(raw: string): string {
  return raw.replace(/(?<!\r)\n/g, '\r\n');
}

/** SMTP allows 998 octets a line (RFC 5322 §2.1.1); a server answers a longer header line with "500 Line too long". */
const MAX_LINE = 998;

/** Refuses a message whose header (ASCII: a character is an octet) has an unfoldable line over 998 octets (a word that long in the subject). */
function checkHeaderLines(header: string, message: MimeInput): void {
  const end = header.length;
  let start = 0;
  let name = '';
  while (start < end) {
    let next = header.indexOf('\r\n', start);
    if (next < 0) next = end;
    // A line starting with a space or tab continues the field above it.
    if (header[start] !== ' ' && header[start] !== '\t') name = header.slice(start, Math.min(next, start + 80)).split(':')[0]!;
    if (next - start > MAX_LINE) {
      throw new RecipientFailure(
        `the ${name} header of the message to ${message.to.email} has a line of ${next - start} octets, more than the ${MAX_LINE} SMTP allows`,
        undefined,
        true,
        false,
      );
    }
    start = next + 2;
  }
}
