// The campaign: reads invite.yaml, checks every key and type (naming the key and its line),
// resolves paths relative to the file, and turns the event's local times into UTC instants.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import YAML, { LineCounter, isMap, isPair, isScalar, type Node } from 'yaml';
import { z } from 'zod';
import { isKnownEncoding } from './encoding.js';
import { parseRate, type Rate } from './rate.js';
import { InputError, type Problem, shownPath } from './errors.js';
import { loadTemplates, type MailTemplates } from './templates.js';

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
}

export interface Registration {
  url: string;
  /** The last day to register, YYYY-MM-DD, in the event's zone. */
  deadline: string;
}

export interface Attachment {
  /** Absolute path on disk. */
  path: string;
  /** The name the recipient sees. */
  filename: string;
  /** Path as written in invite.yaml, for messages. */
  source: string;
  size: number;
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
}

export interface ContactSource {
  /** Absolute path of the contacts CSV. */
  file: string;
  delimiter?: string;
  encoding?: string;
  /** A column naming a file to attach for that row. */
  attachmentColumn?: string;
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
  /** Templates per mail kind: invitation always; update, cancel and reminder:<stage> when configured. */
  mails: Partial<Record<MailKind, MailTemplates>> & { invitation: MailTemplates };
  /** Reminder stages, earliest first. */
  reminders: ReminderStage[];
  /** Defaults for delivery; command-line flags override them. */
  sending: SendingDefaults;
  /** Problems that do not stop the campaign from being read (dates that do not fit together). */
  problems: Problem[];
}

/** A web link: http or https only (a calendar URL, an HTML href), written out as the WHATWG URL parser normalises it. */
const webUrl = z.url({ protocol: /^https?$/, error: 'expected a web address starting with https:// (or http://)' }).transform((u) => new URL(u).href);
const email = z.string().regex(/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/, 'expected an e-mail address like events@example.org');
const person = z.strictObject({ name: z.string().min(1), email });
const localTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/, 'expected a local date and time like 2027-05-06T09:00');
const mailSpec = z.strictObject({
  subject: z.string().min(1),
  html: z.string().min(1),
  text: z.string().min(1),
});

const campaignSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, dots, dashes or underscores'),
  event: z.strictObject({
    title: z.string().min(1),
    description: z.string().default(''),
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
    }),
  ]),
  attachments: z
    .array(z.union([z.string().min(1), z.strictObject({ path: z.string().min(1), filename: z.string().min(1).optional() })]))
    .default([]),
  mails: z.strictObject({ invitation: mailSpec, update: mailSpec.optional(), cancel: mailSpec.optional() }),
  reminders: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes, e.g. week-before'),
        days_before: z.int().min(0).max(365),
        time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day like 09:00').default('09:00'),
        subject: z.string().min(1),
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
    })
    .default({}),
});

type CampaignFile = z.infer<typeof campaignSchema>;

/** Reads, checks and resolves a campaign. Every problem found is reported at once. */
export function loadCampaign(fileOrDir: string): Campaign {
  const absolute = campaignFile(fileOrDir);
  const shown = shownPath(absolute);
  let source: string;
  try {
    source = readFileSync(absolute, 'utf8');
  } catch {
    throw new InputError({
      file: shown,
      message: 'campaign file not found',
      hint: 'run invite in the campaign folder, pass --campaign DIR (a folder holding invite.yaml) or --campaign FILE, or start one with `invite init DIR`',
    });
  }
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(source, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file: shown, line: pos.line, column: pos.col, message: `YAML: ${e.message.split('\n')[0]}`, hint: 'check indentation and quoting' };
      }),
    );
  }
  const parsed = campaignSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new InputError(parsed.error.issues.flatMap((issue) => locateIssue(issue, doc, lineCounter, shown)));
  }
  const lineOf = (keys: (string | number)[]) => lineAt(doc, lineCounter, keys);
  return resolveCampaign(parsed.data, absolute, shown, lineOf);
}

/** --campaign names a folder (meaning its invite.yaml) or the file itself. */
export function campaignFile(fileOrDir: string): string {
  const absolute = path.resolve(fileOrDir);
  try {
    if (statSync(absolute).isDirectory()) return path.join(absolute, 'invite.yaml');
  } catch {
    // not there: reported as "campaign file not found" by the reader
  }
  return absolute;
}

function resolveCampaign(
  data: CampaignFile,
  absolute: string,
  shown: string,
  lineOf: (keys: (string | number)[]) => number | undefined,
): Campaign {
  const dir = path.dirname(absolute);
  const problems: Problem[] = [];
  // A problem at a key, into one list or the other.
  const problemAt = (list: Problem[]) => (keys: (string | number)[], message: string, hint?: string) =>
    list.push({ file: shown, line: lineOf(keys), column: keys.join('.'), message, hint });
  const at = problemAt(problems);

  const zoneKnown = DateTime.local().setZone(data.event.timezone).isValid;
  if (!zoneKnown) {
    at(['event', 'timezone'], `unknown time zone "${data.event.timezone}"`, 'use an IANA name such as Europe/Stockholm');
  }
  // With an unknown zone every date would fail too; check the dates in UTC instead of repeating it.
  const zone = zoneKnown ? data.event.timezone : 'UTC';
  const start = DateTime.fromISO(data.event.start.replace(' ', 'T'), { zone });
  const end = DateTime.fromISO(data.event.end.replace(' ', 'T'), { zone });
  if (!start.isValid) at(['event', 'start'], `"${data.event.start}" is not a valid date and time`);
  if (!end.isValid) at(['event', 'end'], `"${data.event.end}" is not a valid date and time`);
  // Dates that do not fit together are reported with every other check, not instead of them.
  const soft: Problem[] = [];
  const softAt = problemAt(soft);
  if (start.isValid && end.isValid && end <= start) {
    softAt(['event', 'end'], `the event ends (${data.event.end}) before it starts (${data.event.start})`, 'check event.start and event.end');
  }
  if (data.registration) {
    const deadline = DateTime.fromISO(data.registration.deadline, { zone });
    if (!deadline.isValid) at(['registration', 'deadline'], `"${data.registration.deadline}" is not a valid date`);
    else if (start.isValid && deadline.startOf('day') > start.startOf('day')) {
      softAt(['registration', 'deadline'], 'the registration deadline is after the event', 'set it on or before the event day');
    }
  }

  const attachments: Attachment[] = [];
  data.attachments.forEach((entry, index) => {
    const spec = typeof entry === 'string' ? { path: entry } : entry;
    const full = path.resolve(dir, spec.path);
    try {
      const stat = statSync(full);
      if (!stat.isFile()) throw new Error('not a file');
      attachments.push({ path: full, filename: spec.filename ?? path.basename(full), source: spec.path, size: stat.size });
    } catch {
      at(['attachments', index], `attachment "${spec.path}" not found`, `paths are relative to ${path.basename(absolute)}`);
    }
  });

  if (typeof data.contacts === 'object' && data.contacts.encoding && !isKnownEncoding(data.contacts.encoding)) {
    at(['contacts', 'encoding'], `unknown encoding "${data.contacts.encoding}"`, 'e.g. windows-1257, windows-1250, windows-1252, iso-8859-13, utf-8');
  }

  let rate: Rate | undefined;
  if (data.sending.rate) {
    try {
      rate = parseRate(data.sending.rate);
    } catch {
      at(['sending', 'rate'], `"${data.sending.rate}" is not a sending rate`, 'write it as N/s, N/min or N/h, e.g. 20/s or 100/min');
    }
  }

  let reminders: ReminderStage[] = [];
  if (data.reminders.length > 0) {
    if (!data.registration) at(['reminders'], 'reminders need a registration deadline', 'add registration.url and registration.deadline');
    const names = new Set<string>();
    data.reminders.forEach((r, i) => {
      if (names.has(r.name)) at(['reminders', i, 'name'], `two reminder stages are called "${r.name}"`, 'give each stage its own name');
      names.add(r.name);
    });
    if (data.registration && zoneKnown) {
      const deadlineDay = DateTime.fromISO(data.registration.deadline, { zone });
      reminders = data.reminders
        .map((r) => {
          const [hour, minute] = r.time.split(':').map(Number);
          const at = deadlineDay.minus({ days: r.days_before }).set({ hour, minute, second: 0, millisecond: 0 });
          return { name: r.name, daysBefore: r.days_before, time: r.time, at: at.toMillis() };
        })
        .sort((a, b) => a.at - b.at);
    }
  }

  const mails: Partial<Record<MailKind, MailTemplates>> = {};
  const specs: [MailKind, { subject: string; html: string; text: string }, (string | number)[]][] = [
    ['invitation', data.mails.invitation, ['mails', 'invitation']],
    ...(data.mails.update ? [['update', data.mails.update, ['mails', 'update']] as [MailKind, typeof data.mails.update, string[]]] : []),
    ...(data.mails.cancel ? [['cancel', data.mails.cancel, ['mails', 'cancel']] as [MailKind, typeof data.mails.cancel, string[]]] : []),
    ...data.reminders.map((r, i) => [`reminder:${r.name}` as MailKind, r, ['reminders', i]] as [MailKind, typeof r, (string | number)[]]),
  ];
  for (const [kind, spec, keys] of specs) {
    try {
      mails[kind] = loadTemplates(dir, spec, (key) => ({ file: shown, line: lineOf([...keys, key]), column: [...keys, key].join('.') }));
    } catch (error) {
      if (error instanceof InputError) problems.push(...error.problems);
      else throw error;
    }
  }

  if (problems.length > 0 || !mails.invitation) throw new InputError(problems);

  const organiserDomain = data.organiser.email.split('@')[1] ?? 'invite.invalid';
  return {
    file: absolute,
    dir,
    id: data.id,
    event: {
      title: data.event.title,
      description: data.event.description,
      location: data.event.location,
      url: data.event.url,
      start: start.toMillis(),
      end: end.toMillis(),
      timezone: zone,
      uid: data.event.uid ?? `${data.id}@${organiserDomain}`,
    },
    registration: data.registration,
    organiser: data.organiser,
    from: data.from ?? data.organiser,
    replyTo: data.reply_to === undefined ? [] : Array.isArray(data.reply_to) ? data.reply_to : [data.reply_to],
    contacts:
      typeof data.contacts === 'string'
        ? { file: path.resolve(dir, data.contacts) }
        : {
            file: path.resolve(dir, data.contacts.file),
            delimiter: data.contacts.delimiter,
            encoding: data.contacts.encoding,
            attachmentColumn: data.contacts.attachment_column,
          },
    attachments,
    mails: { ...mails, invitation: mails.invitation },
    reminders,
    sending: {
      rate,
      connections: data.sending.connections,
      retries: data.sending.retries,
      retryDelay: data.sending.retry_delay,
      max: data.sending.max,
      timeout: data.sending.timeout,
    },
    problems: soft,
  };
}

/** The campaign's own problems and those relative to the current time (kept apart so loading stays clock-free). */
export function checkTiming(campaign: Campaign, now: Date): Problem[] {
  const problems: Problem[] = [...campaign.problems];
  const file = shownPath(campaign.file);
  if (campaign.event.end <= now.getTime()) {
    problems.push({
      file,
      column: 'event.end',
      message: `the event is already over (it ended ${new Date(campaign.event.end).toISOString()}, now is ${now.toISOString()})`,
      hint: 'update event.start and event.end, or pass --now for a replay',
    });
  }
  return problems;
}

function locateIssue(issue: z.core.$ZodIssue, doc: YAML.Document, lc: LineCounter, file: string, prefix: PropertyKey[] = []): Problem[] {
  const keys = [...prefix, ...issue.path].filter((k): k is string | number => typeof k !== 'symbol');
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the alternative the author meant: the one whose shape matched (not a plain type mismatch).
    const meant = issue.errors.find((branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
    if (meant) return meant.flatMap((inner) => locateIssue(inner, doc, lc, file, keys));
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      file,
      line: lineAt(doc, lc, [...keys, key]),
      column: [...keys, key].join('.'),
      message: `unknown key "${key}"`,
      hint: `allowed here: ${allowedKeys(keys).join(', ')}`,
    }));
  }
  const present = doc.hasIn(keys);
  let message = issue.message;
  if (!present) message = `missing required key "${keys.join('.')}"`;
  else if (issue.code === 'invalid_type') message = `${issue.message.replace(/^Invalid input: /, '')}`;
  return [{ file, line: lineAt(doc, lc, keys), column: keys.join('.') || undefined, message }];
}

function allowedKeys(keys: (string | number)[]): string[] {
  let schema: z.ZodType = campaignSchema;
  for (const key of keys) {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) schema = inner.shape[key as string] as z.ZodType;
    else if (inner instanceof z.ZodArray) schema = inner.element as z.ZodType;
    else return [];
  }
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) return Object.keys(inner.shape);
  if (inner instanceof z.ZodUnion) {
    for (const option of inner.options) {
      const o = unwrap(option as z.ZodType);
      if (o instanceof z.ZodObject) return Object.keys(o.shape);
    }
  }
  return [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** The line of the key (or, for a missing key, of its nearest present parent). */
function lineAt(doc: YAML.Document, lc: LineCounter, keys: (string | number)[]): number | undefined {
  for (let depth = keys.length; depth >= 1; depth--) {
    const parent = depth === 1 ? doc.contents : doc.getIn(keys.slice(0, depth - 1), true);
    const key = keys[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      const node = pair?.key as Node | undefined;
      if (node?.range) return lc.linePos(node.range[0]).line;
    } else if (parent && typeof key === 'number') {
      const node = doc.getIn(keys.slice(0, depth), true) as Node | undefined;
      if (node?.range) return lc.linePos(node.range[0]).line;
    }
  }
  const root = doc.contents as Node | null;
  return root?.range ? lc.linePos(root.range[0]).line : undefined;
}
