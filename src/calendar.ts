// The calendar: one VEVENT per message, built with the `ics` package from UTC instants (never
// the machine's zone), then made safe for real clients: names that cannot break a parameter,
// and lines folded at 75 octets without splitting a UTF-8 character.
import { createEvent, type Attendee, type EventAttributes } from 'ics';
import type { CampaignEvent, Person } from './campaign/load.js';

export type CalendarMethod = 'REQUEST' | 'CANCEL' | 'PUBLISH';

export interface CalendarRequest {
  event: CampaignEvent;
  method: CalendarMethod;
  sequence: number;
  organiser: Person;
  /** The recipient, invited with RSVP=TRUE; none for a PUBLISH file. */
  attendee?: Person;
  /** DTSTAMP: when this version of the invitation was made. */
  now: Date;
  status?: 'CONFIRMED' | 'CANCELLED';
}

const PRODUCT_ID = '-//invite//invite 0.1//EN';

export function buildCalendar(request: CalendarRequest): string {
  const { event, attendee } = request;
  // `timestamp` (DTSTAMP) is read by ics at run time but missing from its type declarations.
  const attributes: EventAttributes & { timestamp: number } = {
    productId: PRODUCT_ID,
    method: request.method,
    uid: event.uid,
    sequence: request.sequence,
    timestamp: request.now.getTime(),
    start: event.start,
    startInputType: 'utc',
    startOutputType: 'utc',
    end: event.end,
    endInputType: 'utc',
    endOutputType: 'utc',
    title: event.title,
    description: event.description || undefined,
    location: event.location || undefined,
    url: event.url,
    status: request.status ?? 'CONFIRMED',
    organizer: { name: parameterSafe(request.organiser.name), email: request.organiser.email },
    attendees: attendee
      ? [
          {
            name: parameterSafe(attendee.name || attendee.email),
            email: attendee.email,
            rsvp: true,
            partstat: 'NEEDS-ACTION',
            role: 'REQ-PARTICIPANT',
            cutype: 'INDIVIDUAL',
          } satisfies Attendee,
        ]
      : undefined,
  };
  const { error, value } = createEvent(attributes);
  if (error || !value) throw new Error(`calendar: ${error?.message ?? 'no output'}`);
  // `ics` writes X-PUBLISHED-TTL into every calendar; it belongs to published feeds only.
  const lines = unfold(value).filter((line) => request.method === 'PUBLISH' || !line.startsWith('X-PUBLISHED-TTL:'));
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

/**
 * RFC 5545 parameter values may not contain DQUOTE at all (there is no escape that clients
 * agree on), nor control characters; `ics` writes \" which breaks every parser.
 */
export function parameterSafe(value: string): string {
  return value.replace(/"/g, "'").replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
}

/** Undoes folding: a CRLF followed by a space or tab continues the previous line. */
export function unfold(text: string): string[] {
  return text
    .replace(/\r?\n[ \t]/g, '')
    .split(/\r?\n/)
    .filter((line) => line !== '');
}

/**
 * Folds one content line so that no physical line exceeds 75 octets (RFC 5545 §3.1),
 * breaking only between characters, never inside a UTF-8 sequence.
 */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let current = '';
  let currentBytes = 0;
  let limit = 75;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    if (currentBytes + size > limit) {
      parts.push(current);
      current = '';
      currentBytes = 0;
      limit = 74; // continuation lines start with a space
    }
    current += char;
    currentBytes += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}
