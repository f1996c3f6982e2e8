// Reads a calendar with Mozilla's ical.js, the parser Thunderbird uses.
import ICAL from 'ical.js';

export function readEvent(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const event = calendar.getFirstSubcomponent('vevent');
  if (!event) throw new Error('no VEVENT in the calendar');
  const value = (name: string) => event.getFirstPropertyValue(name);
  const attendee = event.getFirstProperty('attendee');
  const organizer = event.getFirstProperty('organizer');
  return {
    method: String(calendar.getFirstPropertyValue('method')),
    uid: String(value('uid')),
    sequence: Number(value('sequence')),
    summary: String(value('summary')),
    description: value('description') === null ? undefined : String(value('description')),
    location: value('location') === null ? undefined : String(value('location')),
    status: value('status') === null ? undefined : String(value('status')),
    start: (value('dtstart') as ICAL.Time).toJSDate().toISOString(),
    end: (value('dtend') as ICAL.Time).toJSDate().toISOString(),
    stamp: (value('dtstamp') as ICAL.Time).toJSDate().toISOString(),
    organizer: organizer ? { value: String(organizer.getFirstValue()), cn: organizer.getParameter('cn') as string | undefined } : undefined,
    attendee: attendee
      ? {
          value: String(attendee.getFirstValue()),
          cn: attendee.getParameter('cn') as string | undefined,
          rsvp: attendee.getParameter('rsvp') as string | undefined,
          partstat: attendee.getParameter('partstat') as string | undefined,
        }
      : undefined,
  };
}

/** Every physical line of a calendar, split on CRLF (the file must use CRLF only). */
export function physicalLines(text: string): string[] {
  return text.replace(/\r\n$/, '').split('\r\n');
}
