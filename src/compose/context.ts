// What a template can use, and the event as a recipient reads it: the built-in variables, the
// event's date and time in the organiser's zone and the recipient's own, the registration.
// Pure functions of the campaign; the Composer of a run keeps what they make.
import type { Campaign, MailKind } from '../campaign/model.js';
import type { Shape } from '../campaign/templates.js';
import { DateTime } from 'luxon';
import { primaryLanguage } from '../locale/languages.js';
import { FORMAT, inZone } from '../locale/words.js';
import { cityOfZone } from '../locale/zones.js';

/** Variables every template has, whatever the contacts' columns. */
export const BUILT_IN_VARIABLES = ['event', 'registration', 'organiser', 'sender', 'campaign', 'language'] as const;

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
    language: 'value',
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

/**
 * The event in the organiser's zone, and in the contact's own zone when its clock differs, as a
 * reader of `language` reads it: English as invite has always written it ("Thursday 6 May 2027",
 * "10:00–13:00 in Riga"); any other language with Intl's words and order ("ceturtdiena, 2027. gada
 * 6. maijs", "czwartek, 6 maja 2027"), its clock ("9.00" in Finnish) and its name for the zone.
 * The title and description in that language when invite.yaml gives them so.
 */
export function eventView(campaign: Campaign, contactZone?: string, language = 'en'): EventView {
  const e = campaign.event;
  const { english, at, day, clock } = readerOf(language);
  const start = at(e.start, e.timezone);
  const end = at(e.end, e.timezone);
  const date = day(start);
  const time = `${clock(start)}–${clock(end)} ${start.toFormat(FORMAT.zone)}`;
  let localTime = '';
  if (contactZone && contactZone !== e.timezone) {
    const ls = start.setZone(contactZone);
    const le = end.setZone(contactZone);
    if (ls.toFormat('yyyy-MM-dd HH:mm') !== start.toFormat('yyyy-MM-dd HH:mm')) {
      const otherDay = ls.toFormat('yyyy-MM-dd') !== start.toFormat('yyyy-MM-dd');
      if (english) localTime = `${clock(ls)}–${clock(le)}${otherDay ? ` on ${ls.toFormat(FORMAT.dayInYear)}` : ''} in ${cityOfZone(contactZone)}`;
      else {
        const day = otherDay ? `${ls.toLocaleString({ weekday: 'long', day: 'numeric', month: 'long' })}, ` : '';
        localTime = `${day}${clock(ls)}–${clock(le)} ${zoneName(ls, language)}`;
      }
    }
  }
  const translated = e.translations?.[language];
  return {
    title: translated?.title ?? e.title,
    description: translated?.description ?? e.description,
    location: e.location,
    url: e.url ?? '',
    date,
    start: clock(start),
    end: clock(end),
    time,
    timezone: e.timezone,
    zone_abbreviation: start.toFormat(FORMAT.zone),
    local_time: localTime,
    when: `${date}, ${time}${localTime ? ` (${localTime})` : ''}`,
  };
}

/**
 * How a reader of `language` has dates written: invite's own English forms (FORMAT), else Intl's
 * in that language — the moment in a zone, the day with its weekday, the clock.
 */
function readerOf(language: string) {
  const english = primaryLanguage(language) === 'en';
  return {
    english,
    at: (when: number | string, zone: string) => inZone(when, zone, english ? undefined : language),
    day: (t: DateTime) => (english ? t.toFormat(FORMAT.day) : t.toLocaleString(DateTime.DATE_HUGE)),
    clock: (t: DateTime) => (english ? t.toFormat(FORMAT.time) : t.toLocaleString(DateTime.TIME_SIMPLE)),
  };
}

/** The zone as a reader of `language` names it: "Austrumeiropas laiks", "czas środkowoeuropejski". */
function zoneName(at: DateTime, language: string): string {
  const parts = new Intl.DateTimeFormat(language, { timeZone: at.zoneName ?? undefined, timeZoneName: 'longGeneric' }).formatToParts(at.toJSDate());
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? at.toFormat(FORMAT.zone);
}

/** The registration as a letter reads it while registration is open, and after it closed. */
export type RegistrationView = Readonly<{ url: string; deadline: string; deadline_iso: string; open: boolean }>;

/** Both views of the registration in a language, and when it closes: the deadline day ends at midnight in the event's zone. */
export function registrationViews(campaign: Campaign, language = 'en'): { closes: number; open: RegistrationView; closed: RegistrationView } {
  const r = campaign.registration;
  const { at, day } = readerOf(language);
  const deadline = r ? at(r.deadline, campaign.event.timezone) : undefined;
  const shown = r ? { url: r.url, deadline: day(deadline!), deadline_iso: r.deadline } : { url: '', deadline: '', deadline_iso: '' };
  return {
    closes: deadline ? deadline.plus({ days: 1 }).startOf('day').toMillis() : 0,
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
  /** The language of the letter they get. */
  language: string;
}
