// invite.yaml's schema: every key, its type and what a value must look like (zod). Unknown
// keys are errors; yaml-problems.ts turns zod's findings into file:line:key messages.
import * as z from 'zod';
import { LANGUAGE_TAG } from '../locale/languages.js';

/** A web link: http or https only (a calendar URL, an HTML href), written out as the WHATWG URL parser normalises it. */
export const webUrl = z.url({ protocol: /^https?$/, error: 'expected a web address starting with https:// (or http://)' }).transform((u) => new URL(u).href);
export const email = z.string().regex(/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/, 'expected an e-mail address like events@example.org');
const person = z.strictObject({ name: z.string().min(1), email });
/** HH:MM, 00:00 to 23:59. */
export const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day like 09:00');
const localTime = z.string().regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/, 'expected a local date and time like 2027-05-06T09:00');
/** A BCP 47 language tag as a key: en, lv, pl, de-AT. */
export const languageTag = z.string().regex(LANGUAGE_TAG, 'expected a language tag such as en, lv, pl or de-AT');
/** A text for everyone, or one per language: { en: …, lv: … } (the default language's among them). */
const translated = z.union([z.string().min(1), z.record(languageTag, z.string().min(1))], {
  error: 'expected a text, or one per language such as { en: "…", lv: "…" }',
});
const mailSpec = z.strictObject({
  subject: translated,
  html: z.string().min(1),
  text: z.string().min(1),
});

export const campaignSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, dots, dashes or underscores'),
  /** Which language the default letters are in, and whether a row without a language cell reads its country's. */
  language: z.strictObject({ default: languageTag.default('en'), from_country: z.boolean().default(false) }).default({ default: 'en', from_country: false }),
  event: z.strictObject({
    title: translated,
    description: z
      .union([z.string(), z.record(languageTag, z.string())], { error: 'expected a text, or one per language such as { en: "…", lv: "…" }' })
      .default(''),
    location: z.string().default(''),
    url: webUrl.optional(),
    start: localTime,
    end: localTime,
    timezone: z.string().min(1),
    uid: z.string().min(3).optional(),
  }),
  registration: z
    .strictObject({
      url: webUrl,
      deadline: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2027-04-25'),
      /** An Accept sent back from the calendar counts as registered (remind leaves them out). */
      accept_counts_as_registered: z.boolean().default(false),
      /** The registration form's export committed with the campaign (a CSV with an email column): remind reads it. */
      export: z.string().min(1).optional(),
    })
    .optional(),
  organiser: person,
  from: person.optional(),
  reply_to: z.union([person, z.array(person)]).optional(),
  contacts: z.union([
    z.string().min(1),
    z.strictObject({
      file: z.string().min(1),
      delimiter: z.enum([',', ';', '\t', '|']).optional(),
      encoding: z.string().min(1).optional(),
      attachment_column: z.string().min(1).optional(),
      /** Invalid rows are left out (each listed with its reason) instead of stopping every run: --skip-invalid, settled once. */
      skip_invalid: z.boolean().optional(),
      /** The longest cell a row may have (characters; "4 KB", "64 KB"): a longer one is an error naming row and column. */
      max_cell_size: z.union([z.string().min(1), z.int().min(1)]).optional(),
    }),
  ]),
  /** A folder (relative to invite.yaml) whose files may be attached too, besides the campaign folder's own. */
  attachments_dir: z.string().min(1).optional(),
  attachments: z.array(z.union([z.string().min(1), z.strictObject({ path: z.string().min(1), filename: z.string().min(1).optional() })])).default([]),
  mails: z.strictObject({ invitation: mailSpec, update: mailSpec.optional(), cancel: mailSpec.optional() }),
  reminders: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes, e.g. week-before'),
        days_before: z.int().min(0).max(365),
        time: timeOfDay.default('09:00'),
        subject: translated,
        html: z.string().min(1),
        text: z.string().min(1),
      }),
    )
    .default([]),
  sending: z
    .strictObject({
      rate: z.string().min(1).optional(),
      connections: z.int().min(1).max(50).optional(),
      retries: z.int().min(0).max(20).optional(),
      retry_delay: z.number().positive().optional(),
      max: z.int().min(1).optional(),
      timeout: z.number().positive().optional(),
      data_timeout: z.number().positive().optional(),
      max_attachment_size: z.string().min(1).optional(),
      max_message_size: z.string().min(1).optional(),
    })
    .default({}),
  /** Reading what came back (invite replies). */
  replies: z
    .strictObject({
      /** The authserv-id of the organiser's receiving server: only its Authentication-Results are believed (RFC 8601). */
      trusted_authserv_id: z
        .string()
        .min(1)
        .max(255)
        .regex(/^[^\s;]+$/, 'expected a host name, as the server writes it first in Authentication-Results')
        .optional(),
    })
    .optional(),
  /** The suppression list: who unsubscribed (a CSV invite replies appends to); shareable by several campaigns. */
  suppression: z.string().min(1).optional(),
  /** Where the messages go: a provider preset or a server, the login user and method; never a secret (the environment holds those). */
  smtp: z
    .strictObject({
      provider: z.string().min(1).optional(),
      host: z.string().min(1).optional(),
      port: z.int().min(1).max(65535).optional(),
      security: z.enum(['tls', 'starttls']).optional(),
      user: z.string().min(1).optional(),
      auth: z.enum(['password', 'oauth2']).optional(),
      tenant: z.string().min(1).optional(),
    })
    .optional(),
});

export type CampaignFile = z.infer<typeof campaignSchema>;
