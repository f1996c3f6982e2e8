// An iTIP REPLY (RFC 5546) as calendar clients send it: the one attendee's answer to this
// campaign's event, read with ical.js and checked: the UID, exactly one ATTENDEE with an
// answer, a SEQUENCE between 0 and the event's current one, a DTSTAMP that is a date-time and
// not in the future (a day of slack for clocks).
import ICAL from 'ical.js';
import type { PartStat } from '../journal/lifecycle.js';
import { mailtoAddressOf } from '../locale/address.js';

const ANSWERS = new Set<string>(['ACCEPTED', 'TENTATIVE', 'DECLINED']);
/** A client's clock may be ahead of ours: a DTSTAMP up to a day in the future is still believed. */
const CLOCK_SLACK_MS = 86_400_000;

export type CalendarReply =
  | { type: 'reply'; attendee: string; sentBy?: string; partstat: PartStat; sequence: number; dtstamp: string }
  /** About this event, but not an answer that counts: why. */
  | { type: 'not-counted'; attendee?: string; reason: string }
  /** Not about this event, or no reply at all. */
  | { type: 'skipped'; reason: string }
  /** A calendar that does not parse: nothing can be said of it. */
  | { type: 'unreadable'; reason: string };

/** An address from a calendar's mailto: value, lower-cased; undefined when it is not one. */
export function mailtoAddress(value: unknown): string | undefined {
  // Percent-encoded as RFC 6068 asks (invite writes a?cc=x@… as a%3Fcc%3Dx@…), or not.
  return addressIn(mailtoAddressOf(typeof value === 'string' ? value.trim() : '') ?? '');
}

/** An address as text, lower-cased; undefined when it is not one. */
export function addressIn(text: string | undefined): string | undefined {
  const address = (text ?? '').trim().toLowerCase();
  return /^[^\s@<>"]{1,64}@[^\s@<>"]{1,255}$/.test(address) ? address : undefined;
}

export interface ReplyCheck {
  uid: string;
  /** The highest SEQUENCE sent for the event. */
  sequence: number;
  now: Date;
}

/** The answer in an iTIP REPLY for the event, or why it does not count, or why it is not one. ical.js reads values lazily: any error it throws is the calendar's, not ours. */
export function replyIn(ics: string, check: ReplyCheck): CalendarReply {
  if (ics.trim() === '') return { type: 'unreadable', reason: 'an empty calendar part' };
  try {
    return readReplyIn(ics, check);
  } catch (error) {
    return { type: 'unreadable', reason: `a calendar that cannot be read (${String((error as Error).message ?? error).split('\n')[0]})` };
  }
}

function readReplyIn(ics: string, check: ReplyCheck): CalendarReply {
  let calendar: ICAL.Component;
  try {
    calendar = new ICAL.Component(ICAL.parse(ics) as unknown[]);
  } catch (error) {
    return { type: 'unreadable', reason: `a calendar that cannot be read (${String((error as Error).message).split('\n')[0]})` };
  }
  const method = String(calendar.getFirstPropertyValue('method') ?? '').toUpperCase();
  if (method !== 'REPLY')
    return { type: 'skipped', reason: method ? `a calendar with METHOD:${method}, not a reply` : 'a calendar without METHOD, not a reply' };
  const event = calendar.getFirstSubcomponent('vevent');
  if (!event) return { type: 'skipped', reason: 'a reply without an event' };
  const uid = String(event.getFirstPropertyValue('uid') ?? '');
  if (uid !== check.uid) return { type: 'skipped', reason: `a reply for another event (UID ${uid || 'missing'})` };
  const attendees = event.getAllProperties('attendee');
  if (attendees.length !== 1) return { type: 'not-counted', reason: `a reply with ${attendees.length} attendees (iTIP: exactly one)` };
  const property = attendees[0]!;
  const attendee = mailtoAddress(property.getFirstValue());
  if (!attendee) return { type: 'not-counted', reason: 'a reply whose attendee is no address' };
  const sentByParameter = property.getParameter('sent-by');
  const sentBy = sentByParameter === undefined ? undefined : mailtoAddress(sentByParameter);
  const partstat = String(property.getParameter('partstat') ?? '').toUpperCase();
  if (!ANSWERS.has(partstat))
    return { type: 'not-counted', attendee, reason: `PARTSTAT=${partstat || 'missing'} is no answer (only ACCEPTED, TENTATIVE and DECLINED are)` };
  // SEQUENCE is an INTEGER; absent means 0 (RFC 5545 §3.8.7.4). It names a version that was sent, or it is a claim about none.
  const rawSequence = event.getFirstPropertyValue('sequence');
  const sequence = rawSequence === null || rawSequence === undefined ? 0 : Number(rawSequence);
  if (!Number.isSafeInteger(sequence) || sequence < 0 || sequence > check.sequence) {
    // As written: a number past 2^53 would otherwise be shown as another.
    const written = /^SEQUENCE[^:\r\n]*:([^\r\n]{0,40})/im.exec(ics)?.[1] ?? String(rawSequence);
    return { type: 'not-counted', attendee, reason: `SEQUENCE ${written} is not a version that was sent (0 to ${check.sequence})` };
  }
  const stamp = event.getFirstPropertyValue('dtstamp');
  if (!(stamp instanceof ICAL.Time) || stamp.isDate) return { type: 'not-counted', attendee, reason: 'no DTSTAMP date and time (when the answer was given)' };
  const when = stamp.toJSDate();
  if (Number.isNaN(when.getTime())) return { type: 'not-counted', attendee, reason: 'a DTSTAMP that is no date and time' };
  if (when.getTime() > check.now.getTime() + CLOCK_SLACK_MS)
    return { type: 'not-counted', attendee, reason: `a DTSTAMP in the future (${when.toISOString()})` };
  return { type: 'reply', attendee, ...(sentBy ? { sentBy } : {}), partstat: partstat as PartStat, sequence, dtstamp: when.toISOString() };
}
