// What came back: the Accept / Tentative / Decline replies calendar clients send to the
// organiser (iTIP METHOD:REPLY, RFC 5546, in a text/calendar part or an attached .ics) and the
// bounces mail servers send (RFC 3464 delivery status notifications). Each mail is read with
// mailparser and each calendar with ical.js; what it means is decided here against the journal.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ICAL from 'ical.js';
import { simpleParser, type Attachment as MailPart, type ParsedMail } from 'mailparser';
import type { Campaign } from './campaign/model.js';
import { InputError, shownPath, stripSecrets, UsageError } from './errors.js';
import type { JournalEntry } from './journal.js';
import type { PartStat } from './lifecycle.js';

const ANSWERS = new Set<string>(['ACCEPTED', 'TENTATIVE', 'DECLINED']);

/** One mail read from a source, and where it was found (for messages). */
export interface Incoming {
  where: string;
  raw: Buffer;
}

/** What a mail turned out to be. */
export type Reading =
  | { type: 'rsvp'; entry: JournalEntry }
  | { type: 'bounce'; entry: JournalEntry }
  | { type: 'temporary-bounce'; recipient: string }
  | { type: 'skipped'; reason: string; where: string }
  | { type: 'other' };

/** Every .eml file under a folder, recursively, in name order. */
export function* emlFiles(dir: string): Generator<Incoming> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    throw new InputError({ file: shownPath(dir), message: 'folder not found', hint: 'pass --dir with the folder your mail client saved the replies to' });
  }
  for (const name of names) {
    const full = path.join(dir, name);
    const stat = statSync(full);
    if (stat.isDirectory()) yield* emlFiles(full);
    else if (stat.isFile() && /\.eml$/i.test(name)) yield { where: shownPath(full), raw: readFileSync(full) };
  }
}

/**
 * The messages of an mbox file (mboxo/mboxrd, as Thunderbird and `mail` keep them): each starts
 * at a line "From " after a blank line (or at the top); ">From " lines are unescaped.
 */
export function* mboxMessages(file: string): Generator<Incoming> {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    throw new InputError({ file: shownPath(file), message: 'mbox file not found', hint: 'pass --mbox with the mailbox file your mail client keeps' });
  }
  const starts: number[] = [];
  const separator = /(^|\n\n|\r\n\r\n)From [^\n]*\n/g;
  for (let m; (m = separator.exec(text)); ) starts.push(m.index + m[1]!.length);
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    const end = i + 1 < starts.length ? starts[i + 1]! : text.length;
    const body = text.slice(text.indexOf('\n', start) + 1, end).replace(/^>(>*From )/gm, '$1');
    yield { where: `${shownPath(file)} (message ${i + 1})`, raw: Buffer.from(body, 'latin1') };
  }
}

/** What the journal already knows, for deciding what a reply means. */
export interface ReplyContext {
  campaign: Campaign;
  /** Lower-case addresses whose invitation the server accepted. */
  invited: Set<string>;
  /** Message-IDs of our own messages, to the recipient each went to (bounces name them). */
  sent: Map<string, string>;
}

/** Reads one mail: an RSVP for this event, a bounce of one of our messages, something skipped with its reason, or other mail. */
export async function readReply(mail: Incoming, context: ReplyContext): Promise<Reading> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(mail.raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
  } catch (error) {
    return { type: 'skipped', reason: `not a readable mail (${(error as Error).message})`, where: mail.where };
  }
  const id = parsed.messageId ?? `<sha256.${createHash('sha256').update(mail.raw).digest('hex').slice(0, 32)}@invite.invalid>`;
  const date = parsed.date?.toISOString();
  const report = bounceOf(parsed, mail.raw, context);
  if (report) {
    if (report.type === 'skipped') return { ...report, where: mail.where };
    if (!report.permanent) return { type: 'temporary-bounce', recipient: report.recipient };
    return {
      type: 'bounce',
      entry: entry(context, id, report.recipient, { bounce: { status: report.status, diagnostic: report.diagnostic, ...(date ? { date } : {}) } }),
    };
  }
  const calendars = parsed.attachments.filter(isCalendar);
  if (calendars.length === 0) return { type: 'other' };
  let reason = 'no METHOD:REPLY calendar in it';
  for (const part of calendars) {
    const reply = replyIn(part.content.toString('utf8'), context);
    if (reply.type === 'skipped') {
      reason = reply.reason;
      continue;
    }
    return {
      type: 'rsvp',
      entry: entry(context, id, reply.attendee, {
        reply: { partstat: reply.partstat, sequence: reply.sequence, ...(reply.dtstamp ? { dtstamp: reply.dtstamp } : {}), ...(date ? { date } : {}) },
      }),
    };
  }
  return { type: 'skipped', reason, where: mail.where };
}

function entry(context: ReplyContext, messageId: string, recipient: string, extra: Pick<JournalEntry, 'reply' | 'bounce'>): JournalEntry {
  return {
    time: new Date().toISOString(),
    campaign: context.campaign.id,
    kind: extra.reply ? 'reply' : 'bounce',
    recipient,
    messageId,
    uid: context.campaign.event.uid,
    status: 'received',
    ...extra,
  };
}

function isCalendar(part: MailPart): boolean {
  return part.contentType === 'text/calendar' || part.contentType === 'application/ics' || /\.ics$/i.test(part.filename ?? '');
}

type CalendarReply = { type: 'reply'; attendee: string; partstat: PartStat; sequence: number; dtstamp?: string } | { type: 'skipped'; reason: string };

/** The answer in an iTIP REPLY for this campaign's event from an invited attendee, or why not. */
export function replyIn(ics: string, context: Pick<ReplyContext, 'campaign' | 'invited'>): CalendarReply {
  let calendar: ICAL.Component;
  try {
    calendar = new ICAL.Component(ICAL.parse(ics));
  } catch (error) {
    return { type: 'skipped', reason: `a calendar that cannot be read (${(error as Error).message.split('\n')[0]})` };
  }
  const method = String(calendar.getFirstPropertyValue('method') ?? '').toUpperCase();
  if (method !== 'REPLY') return { type: 'skipped', reason: method ? `a calendar with METHOD:${method}, not a reply` : 'a calendar without METHOD, not a reply' };
  const event = calendar.getFirstSubcomponent('vevent');
  if (!event) return { type: 'skipped', reason: 'a reply without an event' };
  const uid = String(event.getFirstPropertyValue('uid') ?? '');
  if (uid !== context.campaign.event.uid) return { type: 'skipped', reason: `a reply for another event (UID ${uid || 'missing'})` };
  const attendees = event.getAllProperties('attendee');
  if (attendees.length !== 1) return { type: 'skipped', reason: `a reply with ${attendees.length} attendees (iTIP: exactly one)` };
  const attendee = attendees[0]!;
  const address = String(attendee.getFirstValue() ?? '').replace(/^mailto:/i, '').trim().toLowerCase();
  const partstat = String(attendee.getParameter('partstat') ?? '').toUpperCase();
  if (!ANSWERS.has(partstat)) return { type: 'skipped', reason: `a reply with PARTSTAT=${partstat || 'missing'} (only ACCEPTED, TENTATIVE and DECLINED are answers)` };
  if (!context.invited.has(address)) return { type: 'skipped', reason: `a reply from ${address || 'no address'}, who was not invited` };
  const sequence = Number(event.getFirstPropertyValue('sequence') ?? 0);
  const stamp = event.getFirstPropertyValue('dtstamp');
  const dtstamp = stamp instanceof ICAL.Time ? stamp.toJSDate().toISOString() : undefined;
  return { type: 'reply', attendee: address, partstat: partstat as PartStat, sequence: Number.isFinite(sequence) ? sequence : 0, ...(dtstamp ? { dtstamp } : {}) };
}

/** The parts of a (flat) multipart/report: each one's Content-Type and body, undecoded (the report parts are 7-bit text). */
function reportParts(raw: Buffer, boundary: string): { type: string; body: string }[] {
  if (!boundary) return [];
  const text = raw.toString('utf8').replace(/\r\n/g, '\n');
  return text
    .split(`\n--${boundary}`)
    .slice(1)
    .filter((part) => !part.startsWith('--'))
    .map((part) => {
      const split = part.indexOf('\n\n');
      const headers = split < 0 ? part : part.slice(0, split);
      const type = /^content-type:\s*([^;\s]+)/im.exec(headers)?.[1]?.toLowerCase() ?? 'text/plain';
      return { type, body: split < 0 ? '' : part.slice(split + 2) };
    });
}

type Bounce = { type: 'bounce'; recipient: string; status: string; permanent: boolean; diagnostic?: string } | { type: 'skipped'; reason: string };

/** A delivery status notification (RFC 3464) for one of our messages, or why it is not one; undefined for any other mail. */
function bounceOf(parsed: ParsedMail, raw: Buffer, context: ReplyContext): Bounce | undefined {
  const type = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (type?.value?.toLowerCase() !== 'multipart/report' || type.params?.['report-type']?.toLowerCase() !== 'delivery-status') return undefined;
  // mailparser reads message/delivery-status as text and merges it into the body: the parts
  // of the report are taken from the raw mail, by its boundary, instead.
  const parts = reportParts(raw, type.params?.boundary ?? '');
  const status = parts.find((p) => p.type === 'message/delivery-status');
  if (!status) return { type: 'skipped', reason: 'a delivery report without its delivery-status part' };
  const original = parts.find((p) => p.type === 'message/rfc822' || p.type === 'text/rfc822-headers');
  const originalId = original ? /^Message-ID:\s*(<[^>\s]+>)/im.exec(original.body)?.[1] : undefined;
  const recipient = originalId ? context.sent.get(originalId) : undefined;
  if (!recipient) return { type: 'skipped', reason: originalId ? `a bounce of ${originalId}, not a message of this campaign` : 'a bounce that does not quote the Message-ID of the message' };
  // Per-recipient fields: the block with Final-Recipient; Status is class.subject.detail.
  const fields = status.body.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ');
  const code = /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(fields)?.[1];
  if (!code) return { type: 'skipped', reason: 'a delivery report without a Status' };
  const diagnostic = /^Diagnostic-Code:\s*(.+)$/im.exec(fields)?.[1]?.trim();
  return { type: 'bounce', recipient, status: code, permanent: code.startsWith('5'), ...(diagnostic ? { diagnostic } : {}) };
}

export interface ImapSource {
  url: string;
  user?: string;
  pass?: string;
  mailbox: string;
}

/**
 * The messages of a mailbox over IMAP, read-only: the mailbox is EXAMINEd (never SELECTed)
 * and fetched with BODY.PEEK, so nothing is moved, deleted or flagged, not even \Seen.
 * imap:// must upgrade with STARTTLS; certificates are checked; the password is never shown.
 */
export async function* imapMessages(source: ImapSource): AsyncGenerator<Incoming> {
  let url: URL;
  try {
    url = new URL(source.url);
  } catch {
    throw new UsageError('IMAP_URL is not a valid URL', 'write it as imaps://imap.example.org (port 993) or imap://imap.example.org (port 143, with STARTTLS)');
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'imap' && scheme !== 'imaps') throw new UsageError(`IMAP_URL must start with imaps:// or imap://, not ${scheme}://`, 'e.g. imaps://imap.example.org');
  const user = source.user || decodeURIComponent(url.username);
  const pass = source.pass || decodeURIComponent(url.password);
  if (!user || !pass) throw new UsageError('no IMAP login', 'set IMAP_USER and IMAP_PASS (or put the user in IMAP_URL and the password in IMAP_PASS)');
  const where = `${url.hostname}:${url.port || (scheme === 'imaps' ? 993 : 143)}`;
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host: url.hostname,
    port: url.port ? Number(url.port) : scheme === 'imaps' ? 993 : 143,
    secure: scheme === 'imaps',
    // imap://: STARTTLS or nothing; the password never goes over a plain connection.
    ...(scheme === 'imap' ? { doSTARTTLS: true } : {}),
    auth: { user, pass },
    logger: false,
  });
  client.on('error', () => {}); // reported by the awaited call that fails
  try {
    await client.connect();
  } catch (error) {
    const e = error as { authenticationFailed?: boolean; code?: string; message?: string };
    const text = stripSecrets(String(e.message ?? error), { user, pass });
    if (e.authenticationFailed) throw new UsageError(`the IMAP server ${where} refused the login for ${user}`, 'check IMAP_USER and IMAP_PASS');
    throw new UsageError(`cannot read the mailbox on ${where}: ${text}`, scheme === 'imap' ? 'imap:// needs a server that offers STARTTLS; imaps:// is TLS from the first byte (port 993); a private CA goes in NODE_EXTRA_CA_CERTS' : 'check the host and port of IMAP_URL; a private CA goes in NODE_EXTRA_CA_CERTS');
  }
  try {
    let lock;
    try {
      lock = await client.getMailboxLock(source.mailbox, { readOnly: true });
    } catch {
      throw new UsageError(`the IMAP server ${where} has no mailbox "${source.mailbox}"`, 'pass --mailbox NAME (default INBOX)');
    }
    try {
      const total = (client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0) ?? 0;
      if (total > 0) {
        for await (const message of client.fetch('1:*', { uid: true, source: true })) {
          if (message.source) yield { where: `${source.mailbox} UID ${message.uid}`, raw: message.source };
        }
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}
