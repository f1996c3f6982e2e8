// The campaign as the rest of invite sees it: the event with UTC instants, people, contacts
// source, attachments, templates per mail kind, reminder stages, delivery defaults.
import type { Problem } from '../errors.js';
import type { Attachment, AttachmentLimits, Confinement } from './attachments.js';
import type { Rate } from './rate.js';
import type { MailTemplates } from './templates.js';

export type { Attachment };

/** Which templates a message uses: the invitation, an update, the cancellation, or a reminder stage. */
export type MailKind = 'invitation' | 'update' | 'cancel' | `reminder:${string}`;

export interface ReminderStage {
  name: string;
  /** Days before the registration deadline. */
  daysBefore: number;
  /** HH:MM in the event's zone. */
  time: string;
  /** When the stage becomes due: UTC milliseconds. */
  at: number;
}

export interface Person {
  name: string;
  email: string;
}

export interface CampaignEvent {
  title: string;
  description: string;
  location: string;
  url?: string;
  /** UTC instant, milliseconds since the epoch. */
  start: number;
  end: number;
  /** IANA zone in which the organiser wrote the times, e.g. Europe/Stockholm. */
  timezone: string;
  /** One UID for the event, stable across runs and mail kinds. */
  uid: string;
  /** The title and description per language, when invite.yaml gives them so (the default language's among them). */
  translations?: Record<string, { title?: string; description?: string }>;
}

/** The campaign's languages: the default letters' language, and whether a row without a language cell reads its country's. */
export interface CampaignLanguage {
  /** A canonical BCP 47 tag; `en` unless language.default says otherwise. */
  default: string;
  fromCountry: boolean;
}

export interface Registration {
  url: string;
  /** The last day to register, YYYY-MM-DD, in the event's zone. */
  deadline: string;
  /** An Accept from the calendar counts as registered (registration.accept_counts_as_registered). */
  acceptCountsAsRegistered: boolean;
  /** registration.export: the form's export kept with the campaign (absolute path), read by remind. */
  export?: string;
}

export interface SendingDefaults {
  rate?: Rate;
  connections?: number;
  retries?: number;
  /** Seconds before the first retry. */
  retryDelay?: number;
  max?: number;
  /** SMTP socket timeout in seconds. */
  timeout?: number;
  /** Seconds to wait for the reply to a message's final dot. */
  dataTimeout?: number;
}

/** invite.yaml's `smtp:`: where messages go and how to log in, never a secret. The environment overrides it. */
export interface CampaignSmtp {
  /** A preset: microsoft365, google, or a service nodemailer knows (checked when SMTP is resolved). */
  provider?: string;
  host?: string;
  port?: number;
  /** tls: TLS from the first byte (465); starttls: upgraded (587). */
  security?: 'tls' | 'starttls';
  user?: string;
  auth?: 'password' | 'oauth2';
  /** Microsoft: the directory (tenant ID or domain) whose sign-in endpoints OAuth uses. */
  tenant?: string;
  /** The line of each key in invite.yaml, for messages about it. */
  lines: Partial<Record<'provider' | 'host' | 'port' | 'security' | 'user' | 'auth' | 'tenant' | 'smtp', number>>;
}

export interface ContactSource {
  /** Absolute path of the contacts CSV. */
  file: string;
  delimiter?: string;
  encoding?: string;
  /** A column naming a file to attach for that row. */
  attachmentColumn?: string;
  /** contacts.skip_invalid: invalid rows are left out and listed, as --skip-invalid does. */
  skipInvalid?: boolean;
  /** contacts.max_cell_size, in characters (default MAX_FIELD). */
  maxCellSize?: number;
}

export interface Campaign {
  /** Absolute path of invite.yaml. */
  file: string;
  /** The folder holding invite.yaml; every path in the campaign is relative to it. */
  dir: string;
  id: string;
  event: CampaignEvent;
  registration?: Registration;
  organiser: Person;
  from: Person;
  replyTo: Person[];
  contacts: ContactSource;
  attachments: Attachment[];
  /** Where attachments may come from and what may never go (see attachments.ts). */
  confinement: Confinement;
  limits: AttachmentLimits;
  language: CampaignLanguage;
  /** Templates per mail kind: invitation always; update, cancel and reminder:<stage> when configured. */
  mails: Partial<Record<MailKind, MailTemplates>> & { invitation: MailTemplates };
  /** Reminder stages, earliest first. */
  reminders: ReminderStage[];
  /** Defaults for delivery; command-line flags override them. */
  sending: SendingDefaults;
  /** invite.yaml's `smtp:` section, when there is one. */
  smtp?: CampaignSmtp;
  /** Reading what came back: replies.trusted_authserv_id. */
  replies?: { trustedAuthservId?: string };
  /** The suppression list (absolute path): who unsubscribed; send, remind and update leave them out. */
  suppression: string;
  /** The key of Message-IDs and unsubscribe links (INVITE_SECRET or .invite/secret); none yet before the first real send. */
  secret?: string;
  /** Problems that do not stop the campaign from being read (dates that do not fit together). */
  problems: Problem[];
}
