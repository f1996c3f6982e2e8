// How invite writes counts and dates for people, in one place: plurals, and the date formats
// of letters, summaries and notes (British English, in the event's zone unless told otherwise).
import { DateTime } from 'luxon';

export const LOCALE = 'en-GB';

/** "1 invitation", "2 invitations"; `many` for the irregular ("address", "addresses"). */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** A person as mail clients show one: "Ada Lovelace <ada@example.org>", or the bare address. */
export function shownPerson(p: { name: string; email: string }): string {
  return p.name ? `${p.name} <${p.email}>` : p.email;
}

export const FORMAT = {
  /** Thursday 6 May 2027 */
  day: 'cccc d LLLL yyyy',
  /** Thursday 6 May */
  dayInYear: 'cccc d LLLL',
  /** 25 April 2027 */
  date: 'd LLLL yyyy',
  /** 09:00 */
  time: 'HH:mm',
  /** CEST */
  zone: 'ZZZZ',
  /** Sunday 18 April 2027, 09:00 CEST */
  moment: 'cccc d LLLL yyyy, HH:mm ZZZZ',
} as const;

/** A UTC instant (ms) or ISO date as people in `zone` read it (in British English, unless another locale is given). */
export function inZone(when: number | string, zone: string, locale: string = LOCALE): DateTime {
  const at = typeof when === 'number' ? DateTime.fromMillis(when, { zone }) : DateTime.fromISO(when, { zone });
  return at.setLocale(locale);
}
