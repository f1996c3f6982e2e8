// Compose: the pure heart of invite. (campaign, contact, kind, now) → the message a recipient
// receives: headers, both bodies, the calendar invitation. No I/O, no clock, no environment.
// A Composer is made per run and keeps what is the same for every message of it (the event as
// each zone reads it, the registration, the calendar's frame, the keys): nothing is shared
// between runs.
import { hash } from 'node:crypto';
import { formatSize, messageSize } from '../campaign/attachments.js';
import type { Attachment, Campaign, MailKind, Person } from '../campaign/model.js';
import { RenderBudget, RenderTooLarge, type Letter, type Template } from '../campaign/templates.js';
import { letterFor, primaryLanguage } from '../locale/languages.js';
import { InputError, shownPath } from '../errors.js';
import type { Contact, ContactKey } from '../contacts/rules.js';
import { CalendarWriter, type CalendarMethod } from './calendar.js';
import { eventView, registrationViews, type EventView, type Recipient } from './context.js';
import { CampaignKeys } from './keys.js';

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
  /** The language of the letter the recipient gets (a canonical tag): theirs when there is a letter in it, else the default. */
  language: string;
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

/** What the calendar of a message says about the event, for the journal. */
export function snapshotOf(campaign: Campaign): Readonly<EventSnapshot> {
  const e = campaign.event;
  return Object.freeze({
    title: e.title,
    start: new Date(e.start).toISOString(),
    end: new Date(e.end).toISOString(),
    location: e.location,
    url: e.url ?? '',
    description: hash('sha256', e.description, 'hex').slice(0, 16),
    attachments: campaign.attachments.map((a) => `${a.filename} (${a.size})`).join(', '),
  });
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

const methodOf = (kind: string): CalendarMethod => (kind === 'cancel' ? 'CANCEL' : 'REQUEST');

export class Composer {
  readonly keys: CampaignKeys;
  private readonly calendars = new CalendarWriter();
  // Formatting dates through Intl is the slowest part of composing; the event looks the same to
  // everyone in one zone who reads one language, so each zone's and language's view is made once.
  private readonly views = new Map<string, Readonly<EventView>>();
  private readonly registrations = new Map<string, ReturnType<typeof registrationViews>>();
  /** The same (frozen) object for every message of a run: the journal keeps it once. */
  readonly snapshot: Readonly<EventSnapshot>;

  /** What the bodies of a message without attachments of its own may take, and how that limit is named in an error. */
  private readonly room: number;
  private readonly limitNamed: string;

  constructor(readonly campaign: Campaign) {
    this.room = campaign.limits.perMessage - messageSize(campaign.attachments);
    this.limitNamed = `the message limit of ${formatSize(campaign.limits.perMessage)} (sending.max_message_size, less the attachments)`;
    this.keys = new CampaignKeys(campaign);
    this.snapshot = snapshotOf(campaign);
  }

  compose(contact: Contact, kind: MailKind, now: Date, options: ComposeOptions = {}): Message {
    const { campaign } = this;
    const templates = campaign.mails[kind];
    if (!templates) throw new Error(`no templates for ${kind}`); // callers check the campaign first
    const reader = contact.language ?? campaign.language.default;
    // The recipient's own letter when there is one in their language, else the default one.
    const [language, letter] = letterFor(templates.letters, reader) ?? [campaign.language.default, templates];
    const context = this.templateContext(contact, now, options.extra, language);
    const to: Person = { name: contact.name, email: contact.email };
    const sequence = options.sequence ?? 0;
    const key = this.keys.recipientKey(contact.email);
    const bodies = this.bodies(letter, context, contact);
    // The spreads last (see templateContext: a spread followed by more properties costs a hidden class a message).
    return {
      kind: options.journalKind ?? kind,
      campaignId: campaign.id,
      contact,
      from: campaign.from,
      replyTo: campaign.replyTo,
      to,
      date: now,
      messageId: this.keys.messageIdFor(options.journalKind ?? kind, contact.email, campaign.event.uid, key),
      calendar: {
        method: methodOf(kind),
        uid: campaign.event.uid,
        sequence,
        content: this.calendarFor(kind, to, now, sequence, campaign.event, options.answer, language),
      },
      attachments: kind === 'cancel' ? [] : [...campaign.attachments, ...contact.attachments],
      listUnsubscribe: this.keys.listUnsubscribe(contact.email, key),
      eventSummary: [context.event.title, context.event.when, campaign.event.location].filter(Boolean).join(' · '),
      event: this.snapshot,
      language,
      ...bodies,
      ...(campaign.from.email.toLowerCase() !== campaign.organiser.email.toLowerCase() ? { sender: campaign.from } : {}),
    };
  }

  /**
   * The subject, text and HTML, rendered within the message limit (less the attachments): a
   * part that passes it stops rendering at once, an error naming the template and the row.
   */
  private bodies(templates: Letter, context: object, contact: Contact): Pick<Message, 'subject' | 'text' | 'html'> {
    const { limits, attachments } = this.campaign;
    const room = contact.attachments.length ? limits.perMessage - messageSize([...attachments, ...contact.attachments]) : this.room;
    const budget = new RenderBudget(room, this.limitNamed);
    const part = (name: string, template: Template) => {
      try {
        return template.render(context, budget);
      } catch (error) {
        if (!(error instanceof RenderTooLarge)) throw error;
        throw new InputError({
          file: template.file,
          message: `the ${name} rendered for ${contact.email} (${shownPath(this.campaign.contacts.file)}, line ${contact.line}) is too large: ${error.message}; rendering stopped`,
          hint: 'a {{#each}} inside another multiplies the text: check the loops and the columns they show, or raise sending.max_message_size',
        });
      }
    };
    return { subject: part('subject', templates.subject).replace(/\s+/g, ' ').trim(), html: part('HTML', templates.html), text: part('text', templates.text) };
  }

  /**
   * A proof: the message a contact would receive, sent to the organiser's own `address` instead,
   * the subject marked [Proof], with a Message-ID of its own (`id`, unique per proof: mail clients
   * drop a second message with a Message-ID they have seen) and a calendar UID of its own, so that
   * accepting a proof never touches the real event.
   */
  proof(message: Message, address: string, id: string): Message {
    const { campaign } = this;
    const to: Person = { name: message.to.name, email: address };
    const event = { ...campaign.event, uid: `proof-${campaign.event.uid}` };
    const domain = campaign.from.email.split('@')[1] ?? 'invite.invalid';
    return {
      ...message,
      to,
      // Unsubscribing from a proof takes the proof's address off, never the contact's.
      listUnsubscribe: this.keys.listUnsubscribe(address),
      subject: `[Proof] ${message.subject}`,
      messageId: `<proof.${id}@${domain}>`,
      calendar: {
        ...message.calendar,
        uid: event.uid,
        content:
          message.calendar.content === undefined
            ? undefined
            : this.calendarFor(message.kind, to, message.date, message.calendar.sequence, event, undefined, message.language),
      },
    };
  }

  /** The event in the organiser's zone, and in the contact's own zone when its clock differs, in a letter's language (default: the campaign's). */
  eventView(contactZone?: string, language = this.campaign.language.default): Readonly<EventView> {
    const key = `${contactZone ?? ''} ${language}`;
    let view = this.views.get(key);
    if (!view) this.views.set(key, (view = Object.freeze(eventView(this.campaign, contactZone, language))));
    return view;
  }

  private registrationIn(language: string): ReturnType<typeof registrationViews> {
    let views = this.registrations.get(language);
    if (!views) this.registrations.set(language, (views = registrationViews(this.campaign, language)));
    return views;
  }

  /**
   * Everything a template can use: the contact's columns plus the built-ins (and `extra`, this
   * kind's own); `now` tells whether registration is still open (a letter may ask to register by
   * the deadline). One object a message: the rest is shared.
   */
  templateContext(contact: Contact, now?: Date, extra?: Record<string, unknown>, language = this.campaign.language.default) {
    const { campaign } = this;
    const registration = this.registrationIn(language);
    const open = now === undefined ? registration.closes > 0 : now.getTime() < registration.closes;
    const builtIns = {
      event: this.eventView(contact.timezone, language),
      registration: open ? registration.open : registration.closed,
      organiser: campaign.organiser,
      sender: campaign.from,
      campaign: { id: campaign.id },
      // The recipient's language, as {{#if (eq language "lv")}} compares it: lv, pl, de.
      language: primaryLanguage(contact.language ?? campaign.language.default),
    };
    // Object.assign, not { ...contact.fields, event, … }: V8 gives each object made by a spread
    // followed by more properties a hidden class of its own, freed only by a full collection
    // (100,000 messages: some 60 MB more peak memory). Built-ins hide columns of the same name.
    return Object.assign({}, contact.fields, builtIns, extra) as Record<string, unknown> & typeof builtIns;
  }

  /** One line of the dry run's table: who, their local time, and what they will miss. */
  recipientOf(c: ContactKey): Recipient {
    const warnings: string[] = [];
    if (!c.name) warnings.push('no name');
    const country = c.fields.country ?? '';
    if (!c.timezone && country) warnings.push(`no time zone known for "${country}": event time only`);
    const language = this.letterLanguage(c.language);
    const view = this.eventView(c.timezone, language);
    return { email: c.email, name: c.name, localTime: view.local_time || view.time, warnings, language };
  }

  /** The language of the invitation a reader of `language` gets: theirs when there is a letter in it, else the default. */
  letterLanguage(language: string | undefined): string {
    return letterFor(this.campaign.mails.invitation.letters, language)?.[0] ?? this.campaign.language.default;
  }

  /** The calendar a message of this kind carries (none for a reminder: a letter, not a scheduling message). */
  private calendarFor(
    kind: string,
    to: Person,
    now: Date,
    sequence: number,
    event: Campaign['event'],
    answer?: ComposeOptions['answer'],
    language?: string,
  ): string | undefined {
    if (kind.startsWith('reminder:')) return undefined;
    const { campaign } = this;
    return this.calendars.build({
      event,
      // The title and description in the letter's language, marked with it, when invite.yaml gives them per language.
      ...(event.translations ? { language: event.translations[language ?? ''] ? language! : campaign.language.default } : {}),
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
}
