// What came back, mail by mail: an iTIP REPLY (Accept / Tentative / Decline, in a text/calendar
// part or an attached .ics), a bounce (RFC 3464) of one of our messages, or an unsubscribe
// request (the mailto of our List-Unsubscribe). Each is a claim, and counts only when it holds:
// the attendee's own From:, a Message-ID made for that recipient, a verified unsubscribe token,
// and, when invite.yaml names the receiving server, its DMARC verdict. What fails is "not
// counted", with the reason; what is not about this campaign is skipped; a mail that cannot be
// read at all is "unreadable" and the rest are still read.
import { createHash } from 'node:crypto';
import { simpleParser, type Attachment as MailPart, type ParsedMail } from 'mailparser';
import type { Campaign } from '../campaign/model.js';
import type { CampaignKeys } from '../compose/keys.js';
import { bounded, BOUNDS, type ReceivedEntry } from '../journal/schema.js';
import { bounceOf, type SentMessage } from './dsn.js';
import { addressIn, replyIn } from './itip.js';
import type { Incoming, MailSummary } from './sources.js';
import { fromAddress, notAuthenticated, notTheAttendee } from './trust.js';

/** What the journal already knows, for deciding what a mail means. */
export interface ReplyContext {
  campaign: Campaign;
  /** The campaign's keys: our Message-IDs and unsubscribe tokens, to check what comes back against. */
  keys: CampaignKeys;
  /** Lower-case addresses whose invitation the server accepted. */
  invited: Set<string>;
  /** Message-IDs of our own messages, and what each was (bounces name them). */
  sent: Map<string, SentMessage>;
  /** The highest SEQUENCE sent: an answer claims to be to one of the versions 0 … this. */
  sequence: number;
  now: Date;
}

/** What a mail turned out to be. */
export type Reading =
  /** A reply, bounce or unsubscribe request that counts. */
  | { type: 'counted'; entry: ReceivedEntry }
  /** About this campaign, but it does not count; with the journal line that records the refusal, when it names an address. */
  | { type: 'not-counted'; reason: string; where: string; entry?: ReceivedEntry }
  | { type: 'temporary-bounce'; recipient: string }
  | { type: 'skipped'; reason: string; where: string }
  /** Could not be read at all (a mail or a calendar that does not parse): listed, and the reading goes on. */
  | { type: 'unreadable'; reason: string; where: string }
  | { type: 'other' };

/** A mail's Message-ID as the journal can keep it: the mail's own when it is a plain one, else a hash of the mail. */
function idOf(parsed: ParsedMail, raw: Buffer): string {
  const id = parsed.messageId;
  return id && /^<[^\s<>]{1,990}>$/.test(id) ? id : `<sha256.${createHash('sha256').update(raw).digest('hex').slice(0, 32)}@invite.invalid>`;
}

/** A journal line about mail that came back. */
function entry(
  context: ReplyContext,
  messageId: string,
  kind: 'reply' | 'bounce' | 'unsubscribe',
  recipient: string,
  extra: Partial<Pick<ReceivedEntry, 'reply' | 'bounce' | 'reason'>>,
  counted: boolean,
): ReceivedEntry {
  return {
    time: context.now.toISOString(),
    campaign: context.campaign.id,
    kind,
    recipient,
    messageId,
    uid: context.campaign.event.uid,
    status: counted ? 'received' : 'not-counted',
    ...extra,
    ...(extra.reason ? { reason: bounded(extra.reason, BOUNDS.reason) } : {}),
  };
}

function isCalendar(part: MailPart): boolean {
  return part.contentType === 'text/calendar' || part.contentType === 'application/ics' || /\.ics$/i.test(part.filename ?? '');
}

/** The Subject our List-Unsubscribe mailto asks for: "unsubscribe ADDRESS TOKEN". */
const UNSUBSCRIBE = /^\s*unsubscribe\s+(\S+@\S+)\s+([0-9a-f]{20})\s*$/i;

/** Whether a mail, from what IMAP tells before downloading it, can be a reply, a bounce or an unsubscribe request for this campaign. */
export function mayMatter(summary: MailSummary, sent: Map<string, SentMessage>): boolean {
  return (
    summary.types.some((t) => t === 'text/calendar' || t === 'application/ics' || t === 'multipart/report') ||
    summary.filenames.some((f) => /\.ics$/i.test(f)) ||
    summary.inReplyTo.some((id) => sent.has(id)) ||
    UNSUBSCRIBE.test(summary.subject)
  );
}

/** Reads one mail. Never throws for what is in the mail: the caller reads the next one either way. */
export async function readReply(mail: Incoming, context: ReplyContext): Promise<Reading> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(mail.raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
  } catch (error) {
    return { type: 'unreadable', reason: `not a readable mail (${String((error as Error).message).split('\n')[0]})`, where: mail.where };
  }
  const id = idOf(parsed, mail.raw);
  const from = fromAddress(parsed.from);
  const authserv = context.campaign.replies?.trustedAuthservId;
  const read: MailRead = {
    mail,
    context,
    parsed,
    id,
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date.toISOString() : undefined,
    from,
    authentication: authserv ? notAuthenticated(authenticationResults(parsed), authserv, from) : undefined,
    refuse: (kind, recipient, reason) => ({
      type: 'not-counted',
      reason,
      where: mail.where,
      ...(recipient ? { entry: entry(context, id, kind, recipient, { reason }, false) } : {}),
    }),
  };
  const report = bounceOf(parsed, mail.raw, context.campaign, context.keys, context.sent);
  if (report) return bounceReading(read, report);
  const unsubscribe = UNSUBSCRIBE.exec(parsed.subject ?? '');
  if (unsubscribe) return unsubscribeReading(read, unsubscribe[1], unsubscribe[2]!);
  return calendarReading(read);
}

/** A mail parsed, and what it claims that does not yet depend on its kind. */
interface MailRead {
  mail: Incoming;
  context: ReplyContext;
  parsed: ParsedMail;
  id: string;
  date: string | undefined;
  from: string | undefined;
  /** Why the trusted server's Authentication-Results do not vouch for the sender, if they do not (and are asked for). */
  authentication: string | undefined;
  /** A mail of this kind that is not counted, and why (journaled when it names a recipient). */
  refuse: (kind: 'reply' | 'bounce' | 'unsubscribe', recipient: string | undefined, reason: string) => Reading;
}

function bounceReading(read: MailRead, report: NonNullable<ReturnType<typeof bounceOf>>): Reading {
  if (report.type === 'skipped') return { ...report, where: read.mail.where };
  if (report.type === 'not-counted') return read.refuse('bounce', report.recipient, report.reason);
  if (read.authentication) return read.refuse('bounce', report.recipient, read.authentication);
  if (!report.permanent) return { type: 'temporary-bounce', recipient: report.recipient };
  const bounce = { status: report.status, ...(report.diagnostic ? { diagnostic: report.diagnostic } : {}), ...(read.date ? { date: read.date } : {}) };
  return { type: 'counted', entry: entry(read.context, read.id, 'bounce', report.recipient, { bounce }, true) };
}

/** A request sent by our List-Unsubscribe mailto: counted only with the token made for that address. */
function unsubscribeReading(read: MailRead, to: string | undefined, token: string): Reading {
  const address = addressIn(to);
  if (!address) return read.refuse('unsubscribe', undefined, 'an unsubscribe request for no address');
  const { campaign, keys } = read.context;
  if (!campaign.secret || keys.unsubscribeToken(address) !== token.toLowerCase()) {
    return read.refuse('unsubscribe', address, `an unsubscribe request for ${address} whose token does not verify`);
  }
  if (read.authentication) return read.refuse('unsubscribe', address, read.authentication);
  return { type: 'counted', entry: entry(read.context, read.id, 'unsubscribe', address, {}, true) };
}

/** A calendar reply (METHOD:REPLY) from the attendee it names, who was invited. */
function calendarReading(read: MailRead): Reading {
  const { context, mail } = read;
  const calendars = read.parsed.attachments.filter(isCalendar);
  if (calendars.length === 0) return { type: 'other' };
  let skipped = 'no METHOD:REPLY calendar in it';
  let unreadable: string | undefined;
  for (const part of calendars) {
    const reply = replyIn(part.content?.toString('utf8') ?? '', { uid: context.campaign.event.uid, sequence: context.sequence, now: context.now });
    if (reply.type === 'skipped' || reply.type === 'unreadable') {
      if (reply.type === 'unreadable') unreadable = reply.reason;
      else skipped = reply.reason;
      continue;
    }
    if (reply.type === 'not-counted') return read.refuse('reply', reply.attendee, reply.reason);
    if (!context.invited.has(reply.attendee)) return read.refuse('reply', reply.attendee, `${reply.attendee} was not invited`);
    const stranger = notTheAttendee(read.from, reply.attendee, reply.sentBy);
    if (stranger) return read.refuse('reply', reply.attendee, stranger);
    if (read.authentication) return read.refuse('reply', reply.attendee, read.authentication);
    const answer = { partstat: reply.partstat, sequence: reply.sequence, dtstamp: reply.dtstamp, ...(read.date ? { date: read.date } : {}) };
    return { type: 'counted', entry: entry(context, read.id, 'reply', reply.attendee, { reply: answer }, true) };
  }
  return unreadable ? { type: 'unreadable', reason: unreadable, where: mail.where } : { type: 'skipped', reason: skipped, where: mail.where };
}

/** Every Authentication-Results header, topmost first, as text. */
function authenticationResults(parsed: ParsedMail): string[] {
  return parsed.headerLines.filter((h) => h.key === 'authentication-results').map((h) => h.line.replace(/^[^:]*:\s*/, '').replace(/\r?\n[ \t]+/g, ' '));
}
