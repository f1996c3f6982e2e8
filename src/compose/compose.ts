// Compose: the pure heart of invite. (campaign, contact, kind, now) → the message a recipient
// receives: headers, both bodies, the calendar invitation. No I/O, no clock, no environment.
import { hash } from 'node:crypto';
import { buildCalendar, type CalendarMethod } from './calendar.js';
import type { Attachment, Campaign, MailKind, Person } from '../campaign/load.js';
import type { Contact } from '../contacts/rules.js';
import type { Shape } from '../campaign/templates.js';
import { FORMAT, inZone } from '../locale/words.js';
import { cityOfZone } from '../locale/zones.js';

/** Variables every template has, whatever the contacts' columns. */
export const BUILT_IN_VARIABLES = ['event', 'registration', 'organiser', 'sender', 'campaign'] as const;

const PERSON = { name: 'value', email: 'value' } as const satisfies Shape;
const EVENT_PARTS = {
  title: 'value', description: 'value', location: 'value', url: 'value', date: 'value', start: 'value', end: 'value',
  time: 'value', timezone: 'value', zone_abbreviation: 'value', local_time: 'value', when: 'value',
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

export interface Message {
  /** What the journal records: invitation, reminder:<stage>, update:<sequence>, cancel. */
  kind: string;
  campaignId: string;
  contact: Contact;
  from: Person;
  /** The Sender header: the from address, when the organiser (the event's owner) is someone else. */
  sender?: Person;
  replyTo: Person[];
  to: Person;
  subject: string;
  text: string;
  html: string;
  date: Date;
  /** The same for the same (campaign, kind, recipient), so a resend is recognisable. */
  messageId: string;
  /**
   * The event's UID and SEQUENCE (for the journal), and the calendar the message carries:
   * none for a reminder, which is a letter, not a scheduling message (a REQUEST would
   * re-invite, and show as an update of the event in the recipient's calendar).
   */
  calendar: { method: CalendarMethod; uid: string; sequence: number; content?: string };
  attachments: Attachment[];
  /** The List-Unsubscribe header (RFC 2369): a mailto to the organiser whose subject names the recipient, with a token only the campaign can make. */
  listUnsubscribe: string;
  /** The event as the recipient will read it (title, date and time, place), for previews. */
  eventSummary: string;
  /** What the calendar said about the event, for the journal (to tell later what changed). */
  event: EventSnapshot;
}

/** The parts of an event a recipient's calendar shows, and its attachments; a change to any of them needs an update. */
export type EventSnapshot = {
  title: string;
  start: string;
  end: string;
  location: string;
  url: string;
  /** sha256 of the description: long text stays out of the journal. */
  description: string;
  /** The files every message carries, by name and size (absent in journals written before it was kept). */
  attachments?: string;
};

const snapshots = new WeakMap<Campaign, Readonly<EventSnapshot>>();

/** The same (frozen) object for every message of a run: the journal keeps it once. */
export function snapshotOf(campaign: Campaign): Readonly<EventSnapshot> {
  let snapshot = snapshots.get(campaign);
  if (!snapshot) {
    const e = campaign.event;
    snapshot = Object.freeze({
      title: e.title,
      start: new Date(e.start).toISOString(),
      end: new Date(e.end).toISOString(),
      location: e.location,
      url: e.url ?? '',
      description: hash('sha256', e.description, 'hex').slice(0, 16),
      attachments: campaign.attachments.map((a) => `${a.filename} (${a.size})`).join(', '),
    });
    snapshots.set(campaign, snapshot);
  }
  return snapshot;
}

export interface ComposeOptions {
  /** The calendar's SEQUENCE: 0 for the first invitation, one more for each update or the cancellation. */
  sequence?: number;
  /** The attendee's answer a minor update keeps (RFC 5546: the same SEQUENCE, the answer stands); default NEEDS-ACTION. */
  answer?: 'ACCEPTED' | 'TENTATIVE' | 'DECLINED';
  /** The kind the journal and the Message-ID use, when it differs from the template kind. */
  journalKind?: string;
  /** More template variables for this kind (stage and days_left, changes). */
  extra?: Record<string, unknown>;
}


export function compose(campaign: Campaign, contact: Contact, kind: MailKind, now: Date, options: ComposeOptions = {}): Message {
  const templates = campaign.mails[kind];
  if (!templates) throw new Error(`no templates for ${kind}`); // callers check the campaign first
  const context = templateContext(campaign, contact, now, options.extra);
  const to: Person = { name: contact.name, email: contact.email };
  const sequence = options.sequence ?? 0;
  const method = methodOf(kind);
  const key = recipientKey(campaign, contact.email);
  return {
    kind: options.journalKind ?? kind,
    campaignId: campaign.id,
    contact,
    from: campaign.from,
    ...(campaign.from.email.toLowerCase() !== campaign.organiser.email.toLowerCase() ? { sender: campaign.from } : {}),
    replyTo: campaign.replyTo,
    to,
    subject: templates.subject.render(context).replace(/\s+/g, ' ').trim(),
    text: templates.text.render(context),
    html: templates.html.render(context),
    date: now,
    messageId: messageIdFor(campaign, options.journalKind ?? kind, contact.email, campaign.event.uid, key),
    calendar: { method, uid: campaign.event.uid, sequence, content: calendarFor(campaign, kind, to, now, sequence, campaign.event, options.answer) },
    attachments: kind === 'cancel' ? [] : [...campaign.attachments, ...contact.attachments],
    listUnsubscribe: listUnsubscribe(campaign, contact.email, key),
    eventSummary: [campaign.event.title, context.event.when, campaign.event.location].filter(Boolean).join(' · '),
    event: snapshotOf(campaign),
  };
}

const methodOf = (kind: string): CalendarMethod => (kind === 'cancel' ? 'CANCEL' : 'REQUEST');

/** The calendar a message of this kind carries (none for a reminder: a letter, not a scheduling message). */
function calendarFor(campaign: Campaign, kind: string, to: Person, now: Date, sequence: number, event = campaign.event, answer?: ComposeOptions['answer']): string | undefined {
  if (kind.startsWith('reminder:')) return undefined;
  return buildCalendar({
    event,
    method: methodOf(kind),
    sequence,
    organiser: campaign.organiser,
    sentBy: campaign.from.email,
    attendee: to,
    ...(answer ? { partstat: answer } : {}),
    now,
    status: kind === 'cancel' ? 'CANCELLED' : 'CONFIRMED',
  });
}

/**
 * A proof: the message a contact would receive, sent to the organiser's own `address` instead,
 * the subject marked [Proof], with a Message-ID of its own (`id`, unique per proof: mail clients
 * drop a second message with a Message-ID they have seen) and a calendar UID of its own, so that
 * accepting a proof never touches the real event.
 */
export function proofOf(message: Message, campaign: Campaign, address: string, id: string): Message {
  const to: Person = { name: message.to.name, email: address };
  const event = { ...campaign.event, uid: `proof-${campaign.event.uid}` };
  const domain = campaign.from.email.split('@')[1] ?? 'invite.invalid';
  return {
    ...message,
    to,
    // Unsubscribing from a proof takes the proof's address off, never the contact's.
    listUnsubscribe: listUnsubscribe(campaign, address),
    subject: `[Proof] ${message.subject}`,
    messageId: `<proof.${id}@${domain}>`,
    calendar: { ...message.calendar, uid: event.uid, content: message.calendar.content === undefined ? undefined : calendarFor(campaign, message.kind, to, message.date, message.calendar.sequence, event) },
  };
}

/**
 * A recipient's key: HMAC-SHA256 of the campaign and the address with the campaign's secret (a
 * plain hash before any secret exists, for a preview). The recipient's Message-IDs and
 * unsubscribe token are SHA-256 hashes of it with public data: one HMAC a message (10,000 take
 * about 20 ms), the key itself never leaves the process, and none of them can be made without
 * the secret.
 */
export function recipientKey(campaign: Pick<Campaign, 'id' | 'secret'>, address: string): string {
  const data = `${campaign.id}\u0000${address.toLowerCase()}`;
  return campaign.secret ? hmacSha256(campaign.secret, data) : hash('sha256', data, 'hex');
}

/** The secret's inner and outer HMAC blocks, made once (not for every message). */
let lastPads: { secret: string; inner: Buffer; outer: Buffer } | undefined;

/**
 * HMAC-SHA256 (RFC 2104) on Node's one-shot hash(): the same digest as createHmac, whose object
 * costs on Node 20 about 8 µs a message in a send (OpenSSL looks the digest up anew for each),
 * a fifth of what invite adds to a message; hash() keeps its digest. test/compose.test.ts
 * checks it against createHmac.
 */
export function hmacSha256(secret: string, data: string): string {
  if (lastPads?.secret !== secret) {
    const BLOCK = 64;
    let key = Buffer.from(secret, 'utf8');
    if (key.length > BLOCK) key = hash('sha256', key, 'buffer');
    const inner = Buffer.alloc(BLOCK, 0x36);
    const outer = Buffer.alloc(BLOCK, 0x5c);
    for (let i = 0; i < key.length; i++) {
      inner[i]! ^= key[i]!;
      outer[i]! ^= key[i]!;
    }
    lastPads = { secret, inner, outer };
  }
  const innerDigest = hash('sha256', Buffer.concat([lastPads.inner, Buffer.from(data, 'utf8')]), 'buffer');
  return hash('sha256', Buffer.concat([lastPads.outer, innerDigest]), 'hex');
}

/** The token that proves an unsubscribe request for `address` came from a link we sent. */
export function unsubscribeToken(campaign: Pick<Campaign, 'id' | 'secret'>, address: string, key = recipientKey(campaign, address)): string {
  return hash('sha256', `${key}\u0000unsubscribe`, 'hex').slice(0, 20);
}

/** List-Unsubscribe (RFC 2369): a mailto (RFC 6068, percent-encoded) to the organiser, subject "unsubscribe ADDRESS TOKEN". */
export function listUnsubscribe(campaign: Pick<Campaign, 'id' | 'secret' | 'organiser'>, address: string, key = recipientKey(campaign, address)): string {
  const subject = `unsubscribe ${address.toLowerCase()} ${unsubscribeToken(campaign, address, key)}`;
  return `<mailto:${campaign.organiser.email}?subject=${encodeURIComponent(subject)}>`;
}

/**
 * The same for the same (campaign, event UID, kind, recipient): a resend is recognisable, and a
 * new event (a new UID) gets new ones. Made from the recipient's key, so that nobody without the
 * campaign's secret can compute another recipient's from one they have seen.
 */
export function messageIdFor(campaign: Pick<Campaign, 'id' | 'event' | 'from' | 'secret'>, kind: string, email: string, uid = campaign.event.uid, key = recipientKey(campaign, email)): string {
  const digest = hash('sha256', `${key}\u0000${uid}\u0000${kind}`, 'hex').slice(0, 32);
  const domain = campaign.from.email.split('@')[1] ?? 'invite.invalid';
  return `<${kind.replace(/[^A-Za-z0-9.-]/g, '-')}.${digest}@${domain}>`;
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

// The registration reads the same in every letter of a campaign: formatted once, as it reads
// while registration is open and after it has closed (the deadline day ends at midnight in the
// event's zone).
type RegistrationView = Readonly<{ url: string; deadline: string; deadline_iso: string; open: boolean }>;
const registrations = new WeakMap<Campaign, { closes: number; open: RegistrationView; closed: RegistrationView }>();

function registrationViews(campaign: Campaign) {
  let views = registrations.get(campaign);
  if (!views) {
    const r = campaign.registration;
    const shown = r ? { url: r.url, deadline: inZone(r.deadline, campaign.event.timezone).toFormat(FORMAT.day), deadline_iso: r.deadline } : { url: '', deadline: '', deadline_iso: '' };
    views = {
      closes: r ? inZone(r.deadline, campaign.event.timezone).plus({ days: 1 }).startOf('day').toMillis() : 0,
      open: Object.freeze({ ...shown, open: true }),
      closed: Object.freeze({ ...shown, open: false }),
    };
    registrations.set(campaign, views);
  }
  return views;
}

/**
 * Everything a template can use: the contact's columns plus the built-ins (and `extra`, this
 * kind's own); `now` tells whether registration is still open (a letter may ask to register by
 * the deadline). One object a message: the rest is shared.
 */
export function templateContext(campaign: Campaign, contact: Contact, now?: Date, extra?: Record<string, unknown>) {
  const views = registrationViews(campaign);
  const open = now === undefined ? views.closes > 0 : now.getTime() < views.closes;
  return {
    ...contact.fields,
    event: eventView(campaign, contact.timezone),
    registration: open ? views.open : views.closed,
    organiser: campaign.organiser,
    sender: campaign.from,
    campaign: { id: campaign.id },
    ...extra,
  };
}

// Formatting dates through Intl is the slowest part of composing; a campaign's event looks the
// same to everyone in one zone, so each (event, zone) is formatted once.
const views = new WeakMap<Campaign['event'], Map<string, EventView>>();

/** The event in the organiser's zone, and in the contact's own zone when its clock differs. */
export function eventView(campaign: Campaign, contactZone?: string): Readonly<EventView> {
  let byZone = views.get(campaign.event);
  if (!byZone) views.set(campaign.event, (byZone = new Map()));
  const key = contactZone ?? '';
  let view = byZone.get(key);
  if (!view) byZone.set(key, (view = Object.freeze(formatEventView(campaign, contactZone))));
  return view;
}

function formatEventView(campaign: Campaign, contactZone?: string): EventView {
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

/** One line of the dry run's table: who, their local time, and what they will miss. */
export interface Recipient {
  email: string;
  name: string;
  /** The event's time as the recipient reads it: "10:00–13:00 in Vilnius", or the event's own ("09:00–12:00 CEST"). */
  localTime: string;
  warnings: string[];
}

export function recipientOf(c: Contact, campaign: Campaign): Recipient {
  const warnings: string[] = [];
  if (!c.name) warnings.push('no name');
  const country = c.fields.country ?? '';
  if (!c.timezone && country) warnings.push(`no time zone known for "${country}": event time only`);
  const view = eventView(campaign, c.timezone);
  return { email: c.email, name: c.name, localTime: view.local_time || view.time, warnings };
}
