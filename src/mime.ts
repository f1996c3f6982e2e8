// MIME: turns a composed message into the exact RFC 5322 bytes that go over SMTP or into
// an .eml file, with nodemailer's MailComposer (the calendar both as a text/calendar
// alternative and as an invite.ics attachment with the same bytes).
import { createHash } from 'node:crypto';
import type MailComposer from 'nodemailer/lib/mail-composer';
import { readAttachment } from './attachments.js';
import type { Attachment } from './campaign/model.js';
import type { Message } from './compose.js';
import { RecipientFailure } from './errors.js';

export interface Envelope {
  from: string;
  to: string[];
}

type ComposerOptions = ConstructorParameters<typeof MailComposer>[0];

export function mailOptions(message: Message): ComposerOptions {
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

// invite.yaml's attachments go with every message: read once per loaded campaign.
const sharedBytes = new WeakMap<Attachment, Buffer>();

function bytesOf(attachment: Attachment): Buffer {
  if (!attachment.shared) return readAttachment(attachment);
  let bytes = sharedBytes.get(attachment);
  if (!bytes) sharedBytes.set(attachment, (bytes = readAttachment(attachment)));
  return bytes;
}

export function envelopeOf(message: Message): Envelope {
  return { from: message.from.email, to: [message.to.email] };
}

let composer: Promise<typeof MailComposer> | undefined;

export async function buildRaw(message: Message): Promise<Buffer> {
  // Loaded on first use: a dry run never builds MIME, and start-up should not pay for it.
  composer ??= import('nodemailer/lib/mail-composer/index.js').then((m) => m.default);
  const Composer = await composer;
  const raw = await new Composer(mailOptions(message)).compile().build();
  checkHeaderLines(raw, message);
  return raw;
}

/** SMTP allows 998 octets a line (RFC 5322 §2.1.1); a server answers a longer header line with "500 Line too long". */
const MAX_LINE = 998;

/** Refuses a message whose header has an unfoldable line over 998 octets (a word that long in the subject). */
function checkHeaderLines(raw: Buffer, message: Message): void {
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
