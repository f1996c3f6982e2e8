// MIME: turns a composed message into the exact RFC 5322 bytes that go over SMTP or into
// an .eml file, with nodemailer's MailComposer (the calendar both as a text/calendar
// alternative and as an invite.ics attachment with the same bytes).
import { createHash } from 'node:crypto';
import type MailComposer from 'nodemailer/lib/mail-composer';
import type * as Base64 from 'nodemailer/lib/base64';
import type * as Qp from 'nodemailer/lib/qp';
import type * as MimeFuncs from 'nodemailer/lib/mime-funcs';
import type MimeNode from 'nodemailer/lib/mime-node';
import type { MimeNodeHeaderValue } from 'nodemailer/lib/mime-node';
import { readAttachment } from './attachments.js';
import type { Attachment } from './campaign/model.js';
import type { Message } from './compose.js';
import { RecipientFailure } from './errors.js';

export interface Envelope {
  from: string;
  to: string[];
}

type ComposerOptions = NonNullable<ConstructorParameters<typeof MailComposer>[0]>;

/** What building a message reads of it. */
export type MimeInput = Pick<Message, 'from' | 'sender' | 'to' | 'replyTo' | 'subject' | 'text' | 'html' | 'date' | 'messageId' | 'campaignId' | 'attachments'> & {
  calendar: Pick<Message['calendar'], 'method' | 'content'>;
};

export function mailOptions(message: MimeInput): ComposerOptions {
  return {
    from: { name: message.from.name, address: message.from.email },
    // Sent for the organiser by someone else: Sender names the mailbox that sends, as ORGANIZER's SENT-BY does.
    ...(message.sender ? { sender: { name: message.sender.name, address: message.sender.email } } : {}),
    to: [{ name: message.to.name, address: message.to.email }],
    replyTo: message.replyTo.map((p) => ({ name: p.name, address: p.email })),
    subject: message.subject,
    text: message.text,
    html: message.html,
    date: message.date,
    messageId: message.messageId,
    icalEvent: message.calendar.content === undefined ? undefined : { method: message.calendar.method, filename: 'invite.ics', content: message.calendar.content },
    // The bytes, read here through the same confinement that checked them, never a path for
    // nodemailer to open later (a file swapped for a symlink in between would go instead).
    attachments: message.attachments.map((a) => ({ filename: a.filename, content: bytesOf(a) })),
    headers: { 'X-Invite-Campaign': message.campaignId },
    // Boundaries from the Message-ID rather than chance: the same message builds to the same
    // bytes every time, so an .eml file from --out is exactly what SMTP carries.
    baseBoundary: createHash('sha256').update(message.messageId).digest('hex').slice(0, 16),
    // RFC 5322 lines end in CRLF; templates written on Linux or macOS have bare LF.
    newline: 'windows',
  };
}

// invite.yaml's attachments go with every message: read once per run.
const sharedBytes = new Map<string, Buffer>();

function bytesOf(attachment: Attachment): Buffer {
  if (!attachment.shared) return readAttachment(attachment);
  const key = `${attachment.path}\u0000${attachment.maxBytes}`;
  let bytes = sharedBytes.get(key);
  if (!bytes) sharedBytes.set(key, (bytes = readAttachment(attachment)));
  return bytes;
}

export function envelopeOf(message: MimeInput): Envelope {
  return { from: message.from.email, to: [message.to.email] };
}

type Composer = typeof MailComposer;
let composer: Composer | undefined;
let headerEncoder: MimeNode | undefined;
let base64: typeof Base64;
let qp: typeof Qp;
let mimeFuncs: typeof MimeFuncs;
let loading: Promise<void> | undefined;

/** Loads nodemailer's MIME code once (a dry run never builds MIME, and start-up should not pay for it). */
export async function loadMime(): Promise<void> {
  if (composer) return;
  await (loading ??= Promise.all([
    import('nodemailer/lib/mail-composer/index.js'),
    import('nodemailer/lib/mime-node/index.js'),
    import('nodemailer/lib/base64/index.js'),
    import('nodemailer/lib/qp/index.js'),
    import('nodemailer/lib/mime-funcs/index.js'),
  ]).then(([c, n, b, q, f]) => {
    [base64, qp, mimeFuncs] = [b, q, f];
    headerEncoder = new n.default();
    composer = c.default;
  }));
}

export async function buildRaw(message: MimeInput): Promise<Buffer> {
  await loadMime();
  return buildRawNow(message);
}

/**
 * The message's bytes, built in one synchronous pass (after loadMime), the same bytes
 * nodemailer's MailComposer gives (test/mime-golden.test.ts compares them for every kind and
 * many names and texts). The first message of each shape (which parts, which attachment
 * names, which campaign) is laid out by MailComposer itself; its layout is kept as a plan:
 * every header that is the same for all (From, Reply-To, each attachment's headers) is kept
 * as written, and per message only To, Subject, Message-ID, Date, the boundaries and each
 * text part's transfer encoding are written, with nodemailer's own encoders.
 */
export function buildRawNow(message: MimeInput): Buffer {
  const raw = planned(mailOptions(message));
  checkHeaderLines(raw, message);
  return raw;
}

/** The same build for any MailComposer options (the tests compare it with MailComposer's build()). */
export async function buildRawFromOptions(options: ComposerOptions): Promise<Buffer> {
  await loadMime();
  return planned(options);
}

function planned(options: ComposerOptions): Buffer {
  const key = shapeOf(options);
  let plan = plans.get(key);
  if (!plan) {
    if (plans.size >= 64) plans.clear(); // personal attachments with names of their own: a plan each
    plans.set(key, (plan = planOf(options)));
  }
  // Every part is ASCII by now (headers encoded, bodies 7bit, quoted-printable or base64): the
  // message is put together as one string and becomes bytes once.
  const parts: string[] = [];
  writePlanned(plan.root, plan, options, parts);
  return Buffer.from(crlf(lastNewline(parts.join(''))), 'utf8');
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

const plans = new Map<string, Plan>();

/** Everything the layout and the constant headers depend on; the per-message values are not in it. */
function shapeOf(o: ComposerOptions): string {
  const attachments = (o.attachments ?? []).map((a) => a.filename).join('\u0000');
  return JSON.stringify([o.from, o.sender, o.replyTo, o.headers, Boolean(o.text), Boolean(o.html), Boolean(String(o.subject ?? '').trim()), o.icalEvent ? (o.icalEvent as { method: string }).method : '', attachments]);
}

function planOf(options: ComposerOptions): Plan {
  if (!composer) throw new Error('loadMime() first');
  const root = new composer(options).compile() as unknown as MimeTree;
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
const PER_MESSAGE = new Set(['To', 'Subject', 'Message-ID', 'Date', 'Content-Transfer-Encoding', 'Content-Type']);

function contentOf(source: Source, o: ComposerOptions): string | Buffer | undefined {
  if (source === 'none') return undefined;
  if (source === 'text') return o.text as string;
  if (source === 'html') return o.html as string;
  if (source === 'calendar' || source === 'ics') return (o.icalEvent as { content: string }).content;
  return (o.attachments as { content: Buffer }[])[source]!.content;
}

/**
 * MimeNode.stream(), synchronously and from a plan: the header block, the encoded content
 * (the same encoders over the same single chunk), then the children between boundaries.
 */
function writePlanned(node: PlanNode, plan: Plan, o: ComposerOptions, out: string[]): void {
  const content = contentOf(node.source, o);
  // MimeNode.getTransferEncoding(), for the contents a message has here (strings and Buffers).
  let transferEncoding = 'base64';
  if (typeof content === 'string' && node.textual) {
    transferEncoding = mimeFuncs.isPlainText(content) && !mimeFuncs.hasLongerLines(content, 76) ? '7bit' : textEncodingOf(content) === 'Q' ? 'quoted-printable' : 'base64';
  }
  const base = o.baseBoundary as string;
  const lines: string[] = [];
  for (const field of node.fields) {
    if (!PER_MESSAGE.has(field.name)) lines.push(field.line);
    else if (field.name === 'Content-Type') lines.push(node.boundary ? field.line.split(plan.base).join(base) : field.line);
    else if (field.name === 'Content-Transfer-Encoding') lines.push(node.textual ? `Content-Transfer-Encoding: ${transferEncoding}` : field.line);
    else if (field.name === 'Date') lines.push(`Date: ${(o.date as Date).toUTCString().replace(/GMT/, '+0000')}`);
    else lines.push(mimeFuncs.foldLines(`${field.name}: ${headerEncoder!.encodeHeaderValue(field.name, field.name === 'To' ? (o.to as MimeNodeHeaderValue) : field.name === 'Subject' ? (o.subject as string) : (o.messageId as string))}`, 76));
  }
  out.push(lines.join('\r\n') + '\r\n\r\n');
  if (content !== undefined) {
    if (transferEncoding === '7bit') out.push(content as string); // plain ASCII text
    else if (typeof content !== 'string') out.push(base64Of(content)); // an attachment's bytes: encoded once per run
    else if (transferEncoding === 'base64') out.push(base64Lines(Buffer.from(content)));
    else out.push(quotedPrintable(Buffer.from(content), !node.textual));
  }
  if (!node.boundary) return;
  const boundary = node.boundary.split(plan.base).join(base);
  node.children.forEach((child, index) => {
    out.push(`${index > 0 ? '\r\n' : ''}--${boundary}\r\n`);
    writePlanned(child, plan, o, out);
  });
  out.push(`\r\n--${boundary}--\r\n`);
}

/** MimeNode._getTextEncoding: quoted-printable when Latin letters outnumber the other characters, else base64. */
function textEncodingOf(value: string): 'Q' | 'B' {
  let nonLatin = 0;
  let latin = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code >= 0x80) nonLatin++;
    else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) latin++;
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

// An attachment shared by every message (invite.yaml's PDF) is encoded once per run.
const base64Cache = new WeakMap<Buffer, string>();

function base64Of(bytes: Buffer): string {
  let encoded = base64Cache.get(bytes);
  if (encoded === undefined) base64Cache.set(bytes, (encoded = base64Lines(bytes)));
  return encoded;
}

/** base64.Encoder's output: wrap(encode(bytes), 76), documented by nodemailer as the same however the input is split. */
function base64Lines(bytes: Buffer): string {
  return base64.wrap(base64.encode(bytes), 76);
}

/** qp.Encoder over one chunk, as MimeNode feeds it a string or Buffer content: its own transform and flush, run in place. */
function quotedPrintable(bytes: Buffer, binary: boolean): string {
  const encoder = new qp.Encoder({ binary }) as unknown as SyncTransform;
  const out: string[] = [];
  encoder.push = (chunk) => (out.push(String(chunk)), true);
  encoder._transform(bytes, 'buffer', noop);
  encoder._flush(noop);
  return out.join('');
}

interface SyncTransform {
  push(chunk: unknown): boolean;
  _transform(chunk: Buffer, encoding: string, done: () => void): void;
  _flush(done: () => void): void;
}

const noop = () => {};

/** nodemailer's LastNewline: the message ends with a line break. */
function lastNewline(raw: string): string {
  if (raw.endsWith('\n')) return raw;
  return raw + (raw.endsWith('\r') ? '\n' : '\r\n');
}

/** nodemailer's LeWindows: every LF not preceded by CR becomes CRLF. */
function crlf(raw: string): string {
  return raw.replace(/(?<!\r)\n/g, '\r\n');
}

/** SMTP allows 998 octets a line (RFC 5322 §2.1.1); a server answers a longer header line with "500 Line too long". */
const MAX_LINE = 998;

/** Refuses a message whose header has an unfoldable line over 998 octets (a word that long in the subject). */
function checkHeaderLines(raw: Buffer, message: MimeInput): void {
  const end = raw.indexOf('\r\n\r\n');
  let start = 0;
  let name = '';
  while (start < end) {
    let next = raw.indexOf('\r\n', start);
    if (next < 0 || next > end) next = end;
    // A line starting with a space or tab continues the field above it.
    if (raw[start] !== 0x20 && raw[start] !== 0x09) name = raw.subarray(start, Math.min(next, start + 80)).toString('latin1').split(':')[0]!;
    if (next - start > MAX_LINE) {
      throw new RecipientFailure(`the ${name} header of the message to ${message.to.email} has a line of ${next - start} octets, more than the ${MAX_LINE} SMTP allows`, undefined, true, false);
    }
    start = next + 2;
  }
}
