// The calendar: one VEVENT per message, written here from UTC instants (never the machine's
// zone) as RFC 5545 wants it and real clients read it: TEXT values escaped, names that cannot
// break a parameter, the token parameters (CUTYPE, ROLE, PARTSTAT, RSVP) bare as Google and
// Exchange write them, names per RFC 6868 and quoted only when they must be, and lines folded at
// 75 octets without splitting a UTF-8 character.
import type { CampaignEvent, Person } from '../campaign/load.js';
import { mailtoUri } from '../locale/address.js';

export type CalendarMethod = 'REQUEST' | 'CANCEL' | 'PUBLISH';

export interface CalendarRequest {
  event: CampaignEvent;
  method: CalendarMethod;
  sequence: number;
  organiser: Person;
  /** The address the message comes from, when it is not the organiser's: ORGANIZER gets SENT-BY (RFC 5545 §3.2.18). */
  sentBy?: string;
  /** The recipient, invited with RSVP=TRUE; none for a PUBLISH file. */
  attendee?: Person;
  /** The attendee's answer so far (a minor update keeps it); default NEEDS-ACTION. */
  partstat?: 'NEEDS-ACTION' | 'ACCEPTED' | 'TENTATIVE' | 'DECLINED';
  /** DTSTAMP: when this version of the invitation was made. */
  now: Date;
  status?: 'CONFIRMED' | 'CANCELLED';
  /** The title and description in this language (event.translations), SUMMARY and DESCRIPTION marked with LANGUAGE (RFC 5545 §3.2.10). */
  language?: string;
}

const PRODUCT_ID = '-//invite//invite 0.1//EN';

/** 2027-05-06T07:00:00Z → 20270506T070000Z (a UTC DATE-TIME, RFC 5545 §3.3.5 form 2). */
function utc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}/, '')
    .replace(/[-:]/g, '');
}

/** A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks escaped. */
function text(value: string): string {
  return value.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, '\\n');
}

/** A person as ORGANIZER or ATTENDEE: the name as a quoted CN, the address as a mailto: URI. */
function person(property: string, p: Person, parameters: string[] = [], after: string[] = []): string {
  return `${property}${parameters.map((x) => `;${x}`).join('')};CN=${parameterValue(p.name || p.email)}${after.map((x) => `;${x}`).join('')}:${mailtoUri(p.email)}`;
}

/**
 * Writes the calendars of a run. Everything but the ATTENDEE line is the same for every
 * recipient of a run: the writer keeps the frame it built last and reuses it while the request
 * asks for the same one. One writer per run (a Composer has one), never shared between runs.
 */
export class CalendarWriter {
  /** The frame last built for each language, and what it was built for. */
  private readonly last = new Map<string, Omit<CalendarRequest, 'now' | 'attendee'> & { time: number; frame: [string, string] }>();

  build(request: CalendarRequest): string {
    const [head, tail] = this.framed(request);
    const { attendee } = request;
    if (!attendee) return head + tail;
    return (
      head +
      foldLine(person('ATTENDEE', attendee, ['RSVP=TRUE', 'CUTYPE=INDIVIDUAL', 'ROLE=REQ-PARTICIPANT', `PARTSTAT=${request.partstat ?? 'NEEDS-ACTION'}`])) +
      '\r\n' +
      tail
    );
  }

  /** The calendar's lines before and after the ATTENDEE line, folded, each part ending in CRLF. */
  private framed(request: CalendarRequest): [string, string] {
    const last = this.last.get(request.language ?? '');
    if (
      last &&
      last.event === request.event &&
      last.method === request.method &&
      last.sequence === request.sequence &&
      last.organiser === request.organiser &&
      last.sentBy === request.sentBy &&
      last.time === request.now.getTime() &&
      last.status === request.status
    ) {
      return last.frame;
    }
    const frame = frameOf(request);
    this.last.set(request.language ?? '', {
      event: request.event,
      method: request.method,
      sequence: request.sequence,
      organiser: request.organiser,
      sentBy: request.sentBy,
      time: request.now.getTime(),
      status: request.status,
      frame,
    });
    return frame;
  }
}

/** One calendar, on its own (`invite ics`, tests). */
export function buildCalendar(request: CalendarRequest): string {
  return new CalendarWriter().build(request);
}

/** The calendar's lines before and after the ATTENDEE line, folded, each part ending in CRLF. */
function frameOf(request: CalendarRequest): [string, string] {
  const { event, language } = request;
  const translated = language === undefined ? undefined : event.translations?.[language];
  const languageParameter = translated?.title !== undefined ? `;LANGUAGE=${language}` : '';
  const description = translated?.description ?? event.description;
  const head = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'CALSCALE:GREGORIAN',
    `PRODID:${PRODUCT_ID}`,
    `METHOD:${request.method}`,
    'BEGIN:VEVENT',
    `UID:${text(event.uid)}`,
    `SUMMARY${languageParameter}:${text(translated?.title ?? event.title)}`,
    `DTSTAMP:${utc(request.now.getTime())}`,
    `DTSTART:${utc(event.start)}`,
    `DTEND:${utc(event.end)}`,
    `SEQUENCE:${request.sequence}`,
    ...(description ? [`DESCRIPTION${translated?.description !== undefined ? languageParameter : ''}:${text(description)}`] : []),
    // A URI value is not TEXT: written as the campaign checked and normalised it.
    ...(event.url ? [`URL:${event.url}`] : []),
    ...(event.location ? [`LOCATION:${text(event.location)}`] : []),
    `STATUS:${request.status ?? 'CONFIRMED'}`,
    person(
      'ORGANIZER',
      request.organiser,
      [],
      request.sentBy && request.sentBy.toLowerCase() !== request.organiser.email.toLowerCase() ? [`SENT-BY="${mailtoUri(request.sentBy)}"`] : [],
    ),
  ];
  const tail = ['END:VEVENT', 'END:VCALENDAR'];
  return [head.map(foldLine).join('\r\n') + '\r\n', tail.join('\r\n') + '\r\n'];
}

/**
 * A parameter value such as CN (RFC 5545 §3.2): a double quote, a caret and a line break are
 * written as RFC 6868 has them (^' ^^ ^n), so "Gosia" stays "Gosia" in clients that read it
 * (ical.js, Thunderbird); other control characters become spaces. The value is quoted only when
 * it must be, when it holds ; : or ,.
 */
export function parameterValue(value: string): string {
  const encoded = value
    .replace(/\^/g, '^^')
    .replace(/"/g, "^'")
    .replace(/\r\n|\r|\n/g, '^n')
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim();
  return /[;:,]/.test(encoded) ? `"${encoded}"` : encoded;
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
  // ASCII (a character is an octet): 75 octets, then 74 after each continuation's space.
  if (/^[\x00-\x7f]*$/.test(line)) {
    if (line.length <= 75) return line;
    let folded = line.slice(0, 75);
    for (let at = 75; at < line.length; at += 74) folded += '\r\n ' + line.slice(at, at + 74);
    return folded;
  }
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
