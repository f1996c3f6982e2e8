// Preparation shared by every command that reads a campaign: load it and its contacts, settle
// the current time, and run every check (the same ones `invite validate` prints).
import path from 'node:path';
import { DateTime } from 'luxon';
import { realPaths } from '../campaign/attachments.js';
import { checkTiming, loadCampaign, type Campaign, type MailKind } from '../campaign/load.js';
import { BUILT_IN_VARIABLES, builtInsFor } from '../compose/context.js';
import { loadContacts, rowProblems, type Contact, type ContactList } from '../contacts/rules.js';
import { formatProblem, InputError, shownPath, UsageError, type Problem } from '../errors.js';
import type { MailTemplates, Template } from '../campaign/templates.js';
import { checkVariables, type Shape } from '../campaign/templates.js';
import { colourFor, type Io } from '../io.js';
import { campaignSecret } from '../campaign/secret.js';
import { campaignSmtpProblems } from '../transports/server.js';
import { languageName, letterFor, primaryLanguage } from '../locale/languages.js';

export interface CampaignOptions {
  campaign?: string;
  contacts?: string;
  delimiter?: string;
  encoding?: string;
  now?: string;
}

export interface Checked {
  campaign: Campaign;
  contacts: ContactList;
  now: Date;
  /** Problems that stop any run: the campaign, the templates, the contacts file as a whole. */
  errors: Problem[];
  /** Problems of single rows: they stop a run unless --skip-invalid. */
  rowErrors: Problem[];
  warnings: Problem[];
}

export type Prepared = Pick<Checked, 'campaign' | 'contacts' | 'now'>;

/** The current time: --now, else $INVITE_NOW, else the clock. Without an offset, in the event's zone. */
export function resolveNow(value: string | undefined, zone: string, io: Io): Date {
  const given = value ?? io.env.INVITE_NOW;
  if (!given) return io.clock ? io.clock() : new Date();
  const parsed = DateTime.fromISO(given, { zone });
  if (!parsed.isValid) {
    throw new UsageError(
      `--now "${given}" is not an ISO 8601 date and time`,
      "e.g. --now 2027-04-18T09:00+02:00 (without an offset, the event's time zone is meant)",
    );
  }
  return parsed.toJSDate();
}

export function loadCampaignOnly(options: CampaignOptions): Campaign {
  return loadCampaign(options.campaign ?? 'invite.yaml');
}

/** Every template of every mail kind: the default letter's and each language's. */
function templatesOf(campaign: Campaign): [MailKind, Template][] {
  return (Object.entries(campaign.mails) as [MailKind, MailTemplates | undefined][]).flatMap(([kind, t]) =>
    t ? [t, ...(t.letters?.values() ?? [])].flatMap((l) => [l.subject, l.html, l.text].map((template) => [kind, template] as [MailKind, Template])) : [],
  );
}

/** The lines a warning is about: the first 20 listed, the rest counted ("lines 3, 7 and 12 more"). */
class LineSample {
  count = 0;
  private readonly lines: number[] = [];

  add(line: number): void {
    this.count++;
    if (this.lines.length < 20) this.lines.push(line);
  }

  toString(): string {
    const more = this.count > this.lines.length ? ` and ${this.count - this.lines.length} more` : '';
    return `line${this.count > 1 ? 's' : ''} ${this.lines.join(', ')}${more}`;
  }
}

/**
 * Runs every check. Throws InputError only when the campaign or the contacts file cannot be
 * read at all. The contacts are kept in memory ('keep'), only counted ('count', for validate),
 * or read again from the file whenever they are walked ('stream', for the sending commands:
 * memory stays flat however long the list).
 */
export function check(options: CampaignOptions, io: Io, contactsAre: 'keep' | 'count' | 'stream' = 'keep'): Checked {
  const campaign = loadCampaignOnly(options);
  campaign.secret = campaignSecret(campaign.dir, io.env);
  const now = resolveNow(options.now, campaign.event.timezone, io);
  const source = campaign.contacts;
  const subjectColumns = Object.values(campaign.mails).flatMap((m) => (m ? m.subject.uses.map((u) => u.root) : []));
  const contactsFile = options.contacts ? path.resolve(options.contacts) : source.file;
  const watch = new ContactWatch(campaign, contactsFile);
  const contacts = loadContacts(contactsFile, {
    delimiter: options.delimiter ?? source.delimiter,
    encoding: options.encoding ?? source.encoding,
    attachmentColumn: source.attachmentColumn,
    baseDir: campaign.dir,
    confinement: { ...campaign.confinement, private: [...campaign.confinement.private, ...realPaths([contactsFile])] },
    limits: campaign.limits,
    sharedAttachments: campaign.attachments,
    headerColumns: subjectColumns,
    maxCell: source.maxCellSize,
    languageFromCountry: campaign.language.fromCountry,
    keep: contactsAre === 'keep',
    stream: contactsAre === 'stream',
    // Called on the first walk only, the one that checks every row.
    onContact: (contact) => watch.see(contact),
  });
  const errors: Problem[] = [...checkTiming(campaign, now), ...campaignSmtpProblems(campaign.smtp, campaign.file)];
  for (const [kind, template] of templatesOf(campaign)) {
    const builtIns = builtInsFor(kind);
    const available: Record<string, Shape> = Object.fromEntries([...contacts.columns, ...contacts.headers].map((c) => [c, 'value' as const]));
    Object.assign(available, builtIns); // a built-in hides a column of the same name, as in the message
    const hint = `columns of ${contacts.file}: ${contacts.columns.join(', ')}; built-ins: ${Object.keys(builtIns).join(', ')}`;
    errors.push(...checkVariables(template, available, hint));
  }
  return { campaign, contacts, now, errors, rowErrors: rowProblems(contacts), warnings: [...watch.warnings(contacts), ...letterWarnings(campaign)] };
}

/** A mail kind without a letter in a language the invitation has one in: those readers get that kind in the default language. */
function letterWarnings(campaign: Campaign): Problem[] {
  const languages = [...(campaign.mails.invitation.letters?.keys() ?? [])];
  const warnings: Problem[] = [];
  for (const [kind, mail] of Object.entries(campaign.mails) as [MailKind, MailTemplates | undefined][]) {
    const missing = languages.filter((l) => !mail?.letters?.has(l));
    if (kind === 'invitation' || !mail || missing.length === 0) continue;
    warnings.push({
      file: shownPath(campaign.file),
      message: `the ${kind.replace(':', ' ')} has no letter in ${missing.map((l) => `${languageName(l)} (${l})`).join(', ')}, as the invitation has: those readers get it in ${languageName(campaign.language.default)}`,
      hint: `write ${path.basename(mail.html.file).replace(/^([^.]+)/, `$1.${missing[0]}`)} and its .txt beside it`,
      severity: 'warning',
    });
  }
  return warnings;
}

/**
 * What the check's walk notices of each valid row: calendars reject an invitation to its own
 * organiser, so that row is rejected like a bad one; columns the templates use are watched for
 * empty cells, and rows for countries without a known zone.
 */
class ContactWatch {
  private readonly organiser: string;
  /** Columns used outside a guard: inside {{#if organisation}}, an empty organisation shows nothing, as meant. */
  private readonly watched: string[];
  private readonly empty = new Map<string, LineSample>();
  private readonly noZone = new LineSample();
  private readonly noZoneCountries = new Set<string>();
  /** Readers of a language the invitation has no letter in (they get the default one), by language. */
  private readonly noLetter = new Map<string, LineSample>();
  /** Every name a template uses (a column, or a built-in). */
  private readonly used: Set<string>;

  constructor(
    private readonly campaign: Campaign,
    private readonly contactsFile: string,
  ) {
    this.organiser = campaign.organiser.email.toLowerCase();
    const uses = templatesOf(campaign).flatMap(([, t]) => t.uses);
    this.used = new Set(uses.map((u) => u.root));
    const unguarded = new Set(uses.filter((u) => !u.guarded).map((u) => u.root));
    this.watched = [...unguarded].filter((column) => !BUILT_IN_VARIABLES.includes(column as (typeof BUILT_IN_VARIABLES)[number]));
  }

  /** A contact that passed every row check; problems returned reject it. */
  see(contact: Contact): Problem[] | undefined {
    if (contact.email.toLowerCase() === this.organiser) {
      return [
        {
          file: shownPath(this.contactsFile),
          line: contact.line,
          column: 'email',
          message: `${contact.email} is the organiser of the event`,
          hint: 'calendars reject an invitation to its own organiser; remove the row',
        },
      ];
    }
    const fields = contact.fields;
    for (const column of this.watched) {
      if (!Object.hasOwn(fields, column) || (fields[column] ?? '').trim() !== '') continue;
      if (!this.empty.has(column)) this.empty.set(column, new LineSample());
      this.empty.get(column)!.add(contact.line);
    }
    // A country whose zone invite does not know (or one with several), and no timezone value:
    // the letter can show only the event's own time.
    const country = (fields.country ?? '').trim();
    if (!contact.timezone && country) {
      this.noZone.add(contact.line);
      if (this.noZoneCountries.size < 10) this.noZoneCountries.add(country);
    }
    const { language } = contact;
    if (
      language &&
      primaryLanguage(language) !== primaryLanguage(this.campaign.language.default) &&
      !letterFor(this.campaign.mails.invitation.letters, language)
    ) {
      if (!this.noLetter.has(language) && this.noLetter.size < 50) this.noLetter.set(language, new LineSample());
      this.noLetter.get(language)?.add(contact.line);
    }
    return undefined;
  }

  /** The warnings of the whole list, once it has been walked. */
  warnings(contacts: ContactList): Problem[] {
    const warnings: Problem[] = [];
    const warn = (column: string, message: string, hint: string, line?: number) =>
      warnings.push({ file: contacts.file, line, column, message, hint, severity: 'warning' });
    for (const builtIn of BUILT_IN_VARIABLES) {
      // A language column is read by invite itself: {{language}} is its value, made canonical.
      if (contacts.columns.includes(builtIn) && !contacts.understood.has(builtIn))
        warn(builtIn, `the column "${builtIn}" is hidden by the built-in {{${builtIn}}}`, 'rename the column to use it in templates', 1);
    }
    if (this.noZone.count > 0) {
      const countries = [...this.noZoneCountries].map((c) => `"${c}"`).join(', ');
      warn(
        'country',
        `no time zone known for ${countries} (${this.noZone.toString()}): those letters show only the event's own time`,
        'add a timezone column with an IANA name such as America/New_York for those rows',
      );
    }
    if (this.noLetter.size > 0) {
      // How many read a language without a letter, and which: one warning for all of them.
      const count = [...this.noLetter.values()].reduce((sum, lines) => sum + lines.count, 0);
      const which = [...this.noLetter].map(([language, lines]) => `${languageName(language)} (${language}): ${lines.count}, ${lines.toString()}`).join('; ');
      const first = primaryLanguage([...this.noLetter.keys()][0]!);
      warn(
        '',
        `${count === 1 ? '1 recipient reads a language' : `${count} recipients read languages`} with no letter of ${count === 1 ? 'its' : 'their'} own — ${which}: they get the ${languageName(this.campaign.language.default)} one`,
        `to write to them in their language, add templates such as invitation.${first}.html.hbs and invitation.${first}.txt.hbs beside the default ones`,
      );
    }
    const unused = contacts.columns.filter(
      (column, i) => i < contacts.headers.length && !contacts.understood.has(column) && !this.used.has(column) && !this.used.has(contacts.headers[i]!),
    );
    if (unused.length > 0) {
      const named = unused.map((c) => `"${contacts.headers[contacts.columns.indexOf(c)]}"`).join(', ');
      warn(
        unused.length === 1 ? named.slice(1, -1) : '',
        `${unused.length === 1 ? 'the column' : 'the columns'} ${named} ${unused.length === 1 ? 'is' : 'are'} used by no template, and invite does not read ${unused.length === 1 ? 'it' : 'them'}: ${unused.length === 1 ? 'its values appear' : 'their values appear'} in no letter`,
        `use ${unused.length === 1 ? 'it' : 'them'} in a template ({{${unused[0]}}}), or leave ${unused.length === 1 ? 'it' : 'them'} out of the file; invite reads the address, name (or given and family name), organisation, country, timezone, language and registered columns`,
        1,
      );
    }
    for (const column of contacts.columns) {
      const seen = this.empty.get(column);
      if (!seen) continue;
      warn(
        column,
        `"${column}" is used by the templates but empty on ${seen.toString()}`,
        'those letters will show nothing there; fill it in or use {{#if}} in the template',
      );
    }
    return warnings;
  }
}

/**
 * What a sending command needs: every check passed. With `skipInvalid`, rejected rows are
 * left out (the caller lists them) instead of stopping the run.
 */
export function prepare(options: CampaignOptions, io: Io, skipInvalid = false): Prepared & { skipInvalid: boolean } {
  const checked = check(options, io, 'stream');
  // --skip-invalid, or settled once in invite.yaml (contacts.skip_invalid).
  skipInvalid ||= Boolean(checked.campaign.contacts.skipInvalid);
  const fatal = skipInvalid ? checked.errors : [...checked.errors, ...checked.rowErrors];
  if (fatal.length > 0) throw new InputError(fatal);
  // The same warnings `invite validate` prints, before anything is previewed, written or asked.
  const yellow = colourFor(io.stderr, io.env).yellow;
  for (const warning of checked.warnings) io.stderr.write(yellow(`warning: ${formatProblem(warning)}`) + '\n');
  return { campaign: checked.campaign, contacts: checked.contacts, now: checked.now, skipInvalid };
}
