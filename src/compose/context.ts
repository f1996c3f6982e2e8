// What a template can use, and the event as a recipient reads it: the built-in variables, the
// event's date and time in the organiser's zone and the recipient's own, the registration.
// Pure functions of the campaign; the Composer of a run keeps what they make.
import type { Campaign, MailKind } from '../campaign/model.js';
import type { Shape } from '../campaign/templates.js';
import { FORMAT, inZone } from '../locale/words.js';
import { cityOfZone } from '../locale/zones.js';

/** Variables every template has, whatever the contacts' columns. */
export const BUILT_IN_VARIABLES = ['event', 'registration', 'organiser', 'sender', 'campaign'] as const;

const PERSON = { name: 'value', email: 'value' } as const satisfies Shape;
const EVENT_PARTS = {
  title: 'value',
  description: 'value',
  location: 'value',
  url: 'value',
  date: 'value',
  start: 'value',
  end: 'value',
  time: 'value',
  timezone: 'value',
  zone_abbreviation: 'value',
  local_time: 'value',
  when: 'value',
} as const satisfies Record<keyof EventView, 'value'>;

/** The built-in variables of a mail kind, to the end of every path (what templateContext and the commands' extras provide). */
export function builtInsFor(kind: MailKind): Record<string, Shape> {
  const common = {
    event: EVENT_PARTS,
    registration: { url: 'value', deadline: 'value', deadline_iso: 'value', open: 'value' },
    organiser: PERSON,
    sender: PERSON,
    campaign: { id: 'value' },
  } as const satisfies Record<(typeof BUILT_IN_VARIABLES)[number], Shape>;
  if (kind.startsWith('reminder:')) return { ...common, stage: { name: 'value', days_before: 'value', days_left: 'value' }, days_left: 'value' };
  if (kind === 'update') return { ...common, changes: 'list' };
  return common;
}

export interface EventView {
  title: string;
  description: string;
  location: string;
  url: string;
  date: string;
  start: string;
  end: string;
  time: string;
  timezone: string;
  zone_abbreviation: string;
  local_time: string;
  when: string;
}

/** The event in the organiser's zone, and in the contact's own zone when its clock differs. */
export function eventView(campaign: Campaign, contactZone?: string): EventView {
  const e = campaign.event;
  const start = inZone(e.start, e.timezone);
  const end = inZone(e.end, e.timezone);
  const date = start.toFormat(FORMAT.day);
  const time = `${start.toFormat(FORMAT.time)}–${end.toFormat(FORMAT.time)} ${start.toFormat(FORMAT.zone)}`;
  let localTime = '';
  if (contactZone && contactZone !== e.timezone) {
    const ls = start.setZone(contactZone);
    const le = end.setZone(contactZone);
    if (ls.toFormat('yyyy-MM-dd HH:mm') !== start.toFormat('yyyy-MM-dd HH:mm')) {
      const day = ls.toFormat('yyyy-MM-dd') === start.toFormat('yyyy-MM-dd') ? '' : ` on ${ls.toFormat(FORMAT.dayInYear)}`;
      localTime = `${ls.toFormat(FORMAT.time)}–${le.toFormat(FORMAT.time)}${day} in ${cityOfZone(contactZone)}`;
    }
  }
  return {
    title: e.title,
    description: e.description,
    location: e.location,
    url: e.url ?? '',
    date,
    start: start.toFormat(FORMAT.time),
    end: end.toFormat(FORMAT.time),
    time,
    timezone: e.timezone,
    zone_abbreviation: start.toFormat(FORMAT.zone),
    local_time: localTime,
    when: `${date}, ${time}${localTime ? ` (${localTime})` : ''}`,
  };
}

/** The registration as a letter reads it while registration is open, and after it closed. */
export type RegistrationView = Readonly<{ url: string; deadline: string; deadline_iso: string; open: boolean }>;

/** Both views of the registration, and when it closes: the deadline day ends at midnight in the event's zone. */
export function registrationViews(campaign: Campaign): { closes: number; open: RegistrationView; closed: RegistrationView } {
  const r = campaign.registration;
  const shown = r
    ? { url: r.url, deadline: inZone(r.deadline, campaign.event.timezone).toFormat(FORMAT.day), deadline_iso: r.deadline }
    : { url: '', deadline: '', deadline_iso: '' };
  return {
    closes: r ? inZone(r.deadline, campaign.event.timezone).plus({ days: 1 }).startOf('day').toMillis() : 0,
    open: Object.freeze({ ...shown, open: true }),
    closed: Object.freeze({ ...shown, open: false }),
  };
}

/** One line of the dry run's table: who, their local time, and what they will miss. */
export interface Recipient {
  email: string;
  name: string;
  /** The event's time as the recipient reads it: "10:00–13:00 in Vilnius", or the event's own ("09:00–12:00 CEST"). */
  localTime: string;
  warnings: string[];
}
