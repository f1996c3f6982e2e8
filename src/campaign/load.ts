// Loading a campaign: reads invite.yaml (a folder means its invite.yaml), checks it against the
// schema, resolves paths relative to the file, and turns the event's local times into UTC.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import YAML, { LineCounter } from 'yaml';
import { checkAttachment, DEFAULT_LIMITS, messageTooLarge, parseSize, realPaths } from './attachments.js';
import { isKnownEncoding } from '../locale/encoding.js';
import { MAX_ROW_CHARS } from '../defaults.js';
import { InputError, shownPath, type Problem } from '../errors.js';
import { parseRate, type Rate } from './rate.js';
import { FORMAT, inZone } from '../locale/words.js';
import { loadTemplates, type MailSpec, type MailTemplates } from './templates.js';
import { byLanguage, canonicalLanguage } from '../locale/languages.js';
import type { Attachment, Campaign, CampaignEvent, CampaignLanguage, CampaignSmtp, MailKind, ReminderStage } from './model.js';
import type { CampaignFile } from './schema.js';
import { campaignSchema } from './schema.js';
import { lineAt, locateIssue } from './yaml-problems.js';

export type * from './model.js';

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
  let data: unknown;
  try {
    // yaml refuses more than 100 alias expansions: a "billion laughs" file cannot eat the memory.
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    throw new InputError({
      file: shown,
      message: `YAML: ${error.message}`,
      hint: 'invite.yaml needs no anchors and aliases (&name, *name): write the values out',
    });
  }
  const lineOf = (keys: (string | number)[]) => lineAt(doc, lineCounter, keys);
  const controls = controlCharacters(data).map(({ keys, message }) => ({
    file: shown,
    line: lineOf(keys),
    column: keys.join('.'),
    message,
    hint: 'remove it; in a spreadsheet or editor it may be invisible',
  }));
  if (controls.length > 0) throw new InputError(controls);
  const parsed = campaignSchema.safeParse(data);
  if (!parsed.success) {
    throw new InputError(parsed.error.issues.flatMap((issue) => locateIssue(issue, doc, lineCounter, shown)));
  }
  return resolveCampaign(parsed.data, absolute, shown, lineOf);
}

/** Keys whose text may run over several lines; every other string of invite.yaml is one line. */
const MULTI_LINE = new Set(['event.description']);

/**
 * Control characters in any string of invite.yaml: never allowed (they would reach headers,
 * calendars and the terminal), and line breaks only where text may have several lines.
 */
function controlCharacters(value: unknown, keys: (string | number)[] = []): { keys: (string | number)[]; message: string }[] {
  if (typeof value === 'string') {
    const multi = MULTI_LINE.has(keys.join('.'));
    const bad = (multi ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/ : /[\u0000-\u001f\u007f-\u009f]/).exec(value);
    if (!bad) return [];
    const code = `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    const what = bad[0] === '\n' || bad[0] === '\r' ? 'a line break' : bad[0] === '\t' ? 'a tab' : `a control character (${code})`;
    return [{ keys, message: `"${keys.join('.')}" contains ${what}${multi ? '' : '; it must be one line'}` }];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => controlCharacters(item, [...keys, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => controlCharacters(v, [...keys, k]));
  return [];
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

/** Reports a problem at a key of invite.yaml. */
type At = (keys: (string | number)[], message: string, hint?: string) => void;
type LineOf = (keys: (string | number)[]) => number | undefined;

function resolveCampaign(data: CampaignFile, absolute: string, shown: string, lineOf: LineOf): Campaign {
  const dir = path.dirname(absolute);
  const problems: Problem[] = [];
  // A problem at a key, into one list or the other.
  const problemAt =
    (list: Problem[]): At =>
    (keys, message, hint) =>
      list.push({ file: shown, line: lineOf(keys), column: keys.join('.'), message, hint });
  const at = problemAt(problems);
  // Dates that do not fit together are reported with every other check, not instead of them.
  const soft: Problem[] = [];
  const times = eventTimes(data, at, problemAt(soft));
  const limits = sizeLimits(data, at);
  const contactsFile = path.resolve(dir, typeof data.contacts === 'string' ? data.contacts : data.contacts.file);
  const files = campaignAttachments(data, absolute, contactsFile, limits, at);
  if (typeof data.contacts === 'object' && data.contacts.encoding && !isKnownEncoding(data.contacts.encoding)) {
    at(['contacts', 'encoding'], `unknown encoding "${data.contacts.encoding}"`, 'e.g. windows-1257, windows-1250, windows-1252, iso-8859-13, utf-8');
  }
  const rate = sendingRate(data, at);
  const reminders = reminderStages(data, times, at);
  const language = languageOf(data, at);
  const mails = mailTemplates(data, dir, shown, lineOf, problems, language.default);
  const contacts = contactsOf(data, contactsFile, at);
  const event = eventOf(data, times, language.default, at);
  if (problems.length > 0 || !mails.invitation) throw new InputError(problems);
  return {
    file: absolute,
    dir,
    id: data.id,
    event,
    language,
    registration: registrationOf(data, dir),
    organiser: data.organiser,
    from: data.from ?? data.organiser,
    replyTo: data.reply_to === undefined ? [] : Array.isArray(data.reply_to) ? data.reply_to : [data.reply_to],
    contacts,
    attachments: files.attachments,
    confinement: files.confinement,
    limits,
    mails: { ...mails, invitation: mails.invitation },
    reminders,
    sending: sendingOf(data.sending, rate),
    ...(data.smtp ? { smtp: { ...data.smtp, lines: smtpLines(data.smtp, lineOf) } } : {}),
    ...(data.replies?.trusted_authserv_id ? { replies: { trustedAuthservId: data.replies.trusted_authserv_id } } : {}),
    suppression: path.resolve(dir, data.suppression ?? path.join('.invite', 'unsubscribed.csv')),
    problems: soft,
  };
}

interface EventTimes {
  zoneKnown: boolean;
  /** The event's zone, or UTC when it is unknown (so the dates are checked once, not failed twice). */
  zone: string;
  start: DateTime;
  end: DateTime;
}

/** The event's zone and times and the registration deadline: unusable ones to `at`, ones that do not fit together to `softAt`. */
function eventTimes(data: CampaignFile, at: At, softAt: At): EventTimes {
  const zoneKnown = DateTime.local().setZone(data.event.timezone).isValid;
  if (!zoneKnown) {
    at(['event', 'timezone'], `unknown time zone "${data.event.timezone}"`, 'use an IANA name such as Europe/Stockholm');
  }
  const zone = zoneKnown ? data.event.timezone : 'UTC';
  const start = DateTime.fromISO(data.event.start.replace(' ', 'T'), { zone });
  const end = DateTime.fromISO(data.event.end.replace(' ', 'T'), { zone });
  if (!start.isValid) at(['event', 'start'], `"${data.event.start}" is not a valid date and time`);
  if (!end.isValid) at(['event', 'end'], `"${data.event.end}" is not a valid date and time`);
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
  return { zoneKnown, zone, start, end };
}

function sizeLimits(data: CampaignFile, at: At): typeof DEFAULT_LIMITS {
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, field] of [
    ['max_attachment_size', 'perAttachment'],
    ['max_message_size', 'perMessage'],
  ] as const) {
    const given = data.sending[key];
    if (given === undefined) continue;
    const bytes = parseSize(given);
    if (bytes === undefined || bytes <= 0) at(['sending', key], `"${given}" is not a size`, 'write it as a number and KB, MB or GB, e.g. 10 MB');
    else limits[field] = bytes;
  }
  return limits;
}

/** The attachments every message carries, checked, and the folders a contact's own attachment must stay in. */
function campaignAttachments(
  data: CampaignFile,
  absolute: string,
  contactsFile: string,
  limits: typeof DEFAULT_LIMITS,
  at: At,
): { attachments: Attachment[]; confinement: Campaign['confinement'] } {
  const dir = path.dirname(absolute);
  let attachmentsDir: string | undefined;
  if (data.attachments_dir) {
    attachmentsDir = path.resolve(dir, data.attachments_dir);
    if (!existsSync(attachmentsDir))
      at(['attachments_dir'], `the folder "${data.attachments_dir}" does not exist`, `it is relative to ${path.basename(absolute)}`);
  }
  const confinement = { roots: realPaths([dir, ...(attachmentsDir ? [attachmentsDir] : [])]), private: realPaths([absolute, contactsFile]) };
  const attachments: Attachment[] = [];
  data.attachments.forEach((entry, index) => {
    const spec = typeof entry === 'string' ? { path: entry } : entry;
    const checked = checkAttachment(spec.path, dir, confinement, limits, spec.filename);
    if (checked.ok) attachments.push({ ...checked.attachment, shared: true });
    else at(['attachments', index], checked.message, checked.hint);
  });
  const tooLarge = messageTooLarge(attachments, limits);
  if (tooLarge) at(['attachments'], tooLarge.message, tooLarge.hint);
  return { attachments, confinement };
}

function sendingRate(data: CampaignFile, at: At): Rate | undefined {
  if (!data.sending.rate) return undefined;
  try {
    return parseRate(data.sending.rate);
  } catch {
    at(['sending', 'rate'], `"${data.sending.rate}" is not a sending rate`, 'write it as N/s, N/min or N/h, e.g. 20/s or 100/min');
    return undefined;
  }
}

/** The reminder stages, each at its moment in the event's zone, earliest first. */
function reminderStages(data: CampaignFile, times: EventTimes, at: At): ReminderStage[] {
  if (data.reminders.length === 0) return [];
  if (!data.registration) at(['reminders'], 'reminders need a registration deadline', 'add registration.url and registration.deadline');
  const names = new Set<string>();
  data.reminders.forEach((r, i) => {
    if (names.has(r.name)) at(['reminders', i, 'name'], `two reminder stages are called "${r.name}"`, 'give each stage its own name');
    names.add(r.name);
  });
  if (!data.registration || !times.zoneKnown) return [];
  const deadlineDay = DateTime.fromISO(data.registration.deadline, { zone: times.zone });
  return data.reminders
    .map((r) => {
      const [hour, minute] = r.time.split(':').map(Number);
      const moment = deadlineDay.minus({ days: r.days_before }).set({ hour, minute, second: 0, millisecond: 0 });
      return { name: r.name, daysBefore: r.days_before, time: r.time, at: moment.toMillis() };
    })
    .sort((a, b) => a.at - b.at);
}

/** Every kind of mail's templates, loaded; their problems are added to `problems`. */
function mailTemplates(
  data: CampaignFile,
  dir: string,
  shown: string,
  lineOf: LineOf,
  problems: Problem[],
  language: string,
): Partial<Record<MailKind, MailTemplates>> {
  const mails: Partial<Record<MailKind, MailTemplates>> = {};
  const specs: [MailKind, MailSpec, (string | number)[]][] = [
    ['invitation', data.mails.invitation, ['mails', 'invitation']],
    ...(data.mails.update ? [['update', data.mails.update, ['mails', 'update']] as [MailKind, typeof data.mails.update, string[]]] : []),
    ...(data.mails.cancel ? [['cancel', data.mails.cancel, ['mails', 'cancel']] as [MailKind, typeof data.mails.cancel, string[]]] : []),
    ...data.reminders.map((r, i) => [`reminder:${r.name}` as MailKind, r, ['reminders', i]] as [MailKind, typeof r, (string | number)[]]),
  ];
  for (const [kind, spec, keys] of specs) {
    try {
      mails[kind] = loadTemplates(dir, spec, (key) => ({ file: shown, line: lineOf([...keys, key]), column: [...keys, key].join('.') }), language);
    } catch (error) {
      if (error instanceof InputError) problems.push(...error.problems);
      else throw error;
    }
  }
  return mails;
}

function registrationOf(data: CampaignFile, dir: string): Campaign['registration'] {
  return (
    data.registration && {
      url: data.registration.url,
      deadline: data.registration.deadline,
      acceptCountsAsRegistered: data.registration.accept_counts_as_registered,
      ...(data.registration.export ? { export: path.resolve(dir, data.registration.export) } : {}),
    }
  );
}

function languageOf(data: CampaignFile, at: At): CampaignLanguage {
  const tag = canonicalLanguage(data.language.default);
  if (!tag) at(['language', 'default'], `"${data.language.default}" is not a language tag`, 'e.g. en, lv, pl, de-AT');
  return { default: tag ?? 'en', fromCountry: data.language.from_country };
}

/** The event with UTC instants; a title or description given per language is kept per canonical language, the default's as the one. */
function eventOf(data: CampaignFile, times: { start: DateTime; end: DateTime; zone: string }, language: string, at: At): CampaignEvent {
  const translations: NonNullable<CampaignEvent['translations']> = {};
  const oneOf = (key: 'title' | 'description', given: string | Record<string, string>): string => {
    if (typeof given === 'string') return given;
    const texts = byLanguage(given, (tag) => at(['event', key, tag], `"${tag}" is not a language tag`, 'use tags such as en, lv, pl, de-AT'));
    for (const [language, text] of texts) (translations[language] ??= {})[key] = text;
    const text = translations[language]?.[key];
    if (text === undefined) at(['event', key], `has no text in the default language (${language})`, `add ${language}: "…" under event.${key}:`);
    return text ?? '';
  };
  const organiserDomain = data.organiser.email.split('@')[1] ?? 'invite.invalid';
  return {
    title: oneOf('title', data.event.title),
    description: oneOf('description', data.event.description),
    location: data.event.location,
    url: data.event.url,
    start: times.start.toMillis(),
    end: times.end.toMillis(),
    timezone: times.zone,
    uid: data.event.uid ?? `${data.id}@${organiserDomain}`,
    ...(Object.keys(translations).length > 0 ? { translations } : {}),
  };
}

function sendingOf(sending: CampaignFile['sending'], rate: Rate | undefined): Campaign['sending'] {
  const { connections, retries, max, timeout } = sending;
  return { rate, connections, retries, retryDelay: sending.retry_delay, max, timeout, dataTimeout: sending.data_timeout };
}

function contactsOf(data: CampaignFile, file: string, at: At): Campaign['contacts'] {
  if (typeof data.contacts === 'string') return { file };
  return {
    file,
    delimiter: data.contacts.delimiter,
    encoding: data.contacts.encoding,
    attachmentColumn: data.contacts.attachment_column,
    skipInvalid: data.contacts.skip_invalid,
    maxCellSize: maxCellSize(data.contacts.max_cell_size, at),
  };
}

/** contacts.max_cell_size in characters: a size ("64 KB": 65,536 characters) or a number, at most a row's bound. */
function maxCellSize(given: string | number | undefined, at: At): number | undefined {
  if (given === undefined) return undefined;
  const size = typeof given === 'number' ? given : parseSize(given);
  if (size === undefined || size < 1 || size > MAX_ROW_CHARS) {
    at(
      ['contacts', 'max_cell_size'],
      `"${given}" is not a cell size from 1 character to 1 MB`,
      'write a number of characters or a size such as 4 KB or 64 KB (1 KB = 1,024 characters)',
    );
    return undefined;
  }
  return size;
}

function smtpLines(smtp: NonNullable<CampaignFile['smtp']>, lineOf: LineOf): CampaignSmtp['lines'] {
  const lines: CampaignSmtp['lines'] = { smtp: lineOf(['smtp']) };
  for (const key of Object.keys(smtp) as (keyof typeof smtp)[]) lines[key] = lineOf(['smtp', key]);
  return lines;
}

/** The campaign's own problems and those relative to the current time (kept apart so loading stays clock-free). */
export function checkTiming(campaign: Campaign, now: Date): Problem[] {
  const problems: Problem[] = [...campaign.problems];
  const file = shownPath(campaign.file);
  if (campaign.event.end <= now.getTime()) {
    problems.push({
      file,
      column: 'event.end',
      message: `the event is already over (it ended ${inZone(campaign.event.end, campaign.event.timezone).toFormat(FORMAT.moment)}; now is ${inZone(now.getTime(), campaign.event.timezone).toFormat(FORMAT.moment)})`,
      hint: 'update event.start and event.end, or pass --now for a replay',
    });
  }
  return problems;
}
