// `invite init [DIR]`: a new campaign folder that dry-runs at once. On a terminal it asks for
// the event, the organiser and the registration; otherwise (or with --yes) it takes sample
// values and says what to edit. It never overwrites a file.
import { constants, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { email, timeOfDay, webUrl } from '../campaign/schema.js';
import { EXIT, isPromptInterrupt, PromptInterrupted, UsageError } from '../errors.js';
import { isInteractive, type Io } from '../io.js';
import { resolveNow } from '../prepare.js';

export interface InitOptions {
  yes?: boolean;
  now?: string;
}

/** What the new campaign says about its event; every value is what the organiser typed or a sample. */
export interface InitAnswers {
  title: string;
  /** YYYY-MM-DD */
  date: string;
  /** HH:MM */
  start: string;
  end: string;
  timezone: string;
  /** A place, or a link for an online event. */
  where: string;
  organiserName: string;
  organiserEmail: string;
  registrationUrl: string;
  /** YYYY-MM-DD */
  deadline: string;
}

/** The shipped starter files: starter/ in the package's root, found from here whether this runs from src/ or bundled in dist/. */
const STARTER = path.join(packageRoot(), 'starter');

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`invite's package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** Starter files and where they go: npm leaves dot-files out of a package, so two are renamed. */
function starterFiles(): { from: string; to: string }[] {
  const files: { from: string; to: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(STARTER, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (relative !== 'README.md') files.push({ from: relative, to: relative.replace(/^gitignore$/, '.gitignore').replace(/^github\//, '.github/') });
    }
  };
  walk('');
  return files.sort((a, b) => a.to.localeCompare(b.to));
}

/** Every IANA zone this Node.js knows, plus UTC. */
function knownZones(): string[] {
  return [...Intl.supportedValuesOf('timeZone'), 'UTC'];
}

/** The zone a name means: itself when it is an IANA name, else the one zone whose city matches ("Riga" → Europe/Riga). */
export function zoneFor(input: string): string | undefined {
  const typed = input.trim();
  if (!typed) return undefined;
  if (DateTime.local().setZone(typed).isValid && typed.includes('/')) return knownZones().find((z) => z.toLowerCase() === typed.toLowerCase()) ?? typed;
  const city = typed.toLowerCase().replace(/[\s-]+/g, '_');
  const matches = knownZones().filter((z) => z.toLowerCase().split('/').at(-1) === city);
  return matches.length === 1 ? matches[0] : typed === 'UTC' ? 'UTC' : undefined;
}

/** Up to five zones whose name contains what was typed, for "did you mean". */
export function suggestZones(input: string): string[] {
  const typed = input.trim().toLowerCase().replace(/[\s-]+/g, '_');
  if (typed.length < 2) return [];
  // A city that starts with what was typed comes before one that merely contains it (Rig → Europe/Riga before America/Marigot).
  const rank = (zone: string) => (zone.toLowerCase().split('/').at(-1)!.startsWith(typed) ? 0 : 1);
  return knownZones()
    .filter((z) => z.toLowerCase().includes(typed))
    .sort((a, b) => rank(a) - rank(b))
    .slice(0, 5);
}

/** The organiser's own zone when the machine has one, else Europe/Stockholm. */
function localZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && zone.includes('/') && !zone.startsWith('Etc/') ? zone : 'Europe/Stockholm';
}

/** Sample values: an event eight weeks from now (a Thursday, 10:00–12:00), registration closing a week before. */
export function sampleAnswers(now: Date): InitAnswers {
  const timezone = localZone();
  let day = DateTime.fromJSDate(now, { zone: timezone }).plus({ weeks: 8 }).startOf('day');
  while (day.weekday !== 4) day = day.plus({ days: 1 });
  return {
    title: 'Annual members’ meeting',
    date: day.toISODate()!,
    start: '10:00',
    end: '12:00',
    timezone,
    where: 'Online (the link follows after registration)',
    organiserName: 'Events team',
    organiserEmail: 'events@example.org',
    registrationUrl: 'https://events.example.org/register',
    deadline: day.minus({ days: 7 }).toISODate()!,
  };
}

/** A campaign id from the title and the year: "Spring meetup" on 2027-03-04 → spring-meetup-2027. */
export function campaignId(title: string, date: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  const year = date.slice(0, 4);
  return slug ? (slug.endsWith(year) ? slug : `${slug}-${year}`) : `event-${year}`;
}

/** invite.yaml with the answers in place; strings go in as JSON, which is valid YAML and quotes everything that needs it. */
export function renderCampaignYaml(answers: InitAnswers): string {
  const online = /^https?:\/\//i.test(answers.where.trim());
  const q = (s: string) => JSON.stringify(s);
  const values: Record<string, string> = {
    ID: campaignId(answers.title, answers.date),
    TITLE: q(answers.title),
    DESCRIPTION: q('The programme will follow.'),
    START: `${answers.date}T${answers.start}`,
    END: `${answers.date}T${answers.end}`,
    TIMEZONE: answers.timezone,
    LOCATION: q(online ? 'Online' : answers.where.trim()),
    URL_LINE: online ? `  url: ${q(answers.where.trim())}   # the link to join or to read more\n` : `  # url: https://events.example.org/more   # optional: a link to join or to read more\n`,
    REGISTRATION_URL: q(answers.registrationUrl),
    DEADLINE: answers.deadline,
    ORGANISER_NAME: q(answers.organiserName),
    ORGANISER_EMAIL: answers.organiserEmail,
  };
  return readFileSync(path.join(STARTER, 'invite.yaml'), 'utf8').replace(/%([A-Z_]+)%\n?/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`starter/invite.yaml: unknown placeholder ${whole.trim()}`);
    return key === 'URL_LINE' ? value : value + (whole.endsWith('\n') ? '\n' : '');
  });
}

const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && DateTime.fromISO(s).isValid;
// The answers are checked by the same schema invite.yaml is: what init accepts, validate accepts.
const isTime = (s: string) => timeOfDay.safeParse(s).success;
const isEmail = (s: string) => email.safeParse(s).success;
const isUrl = (s: string) => webUrl.safeParse(s).success;

/** The questions, asked with inquirer on the terminal; each answer is checked as invite.yaml will check it. */
async function ask(sample: InitAnswers, now: Date): Promise<InitAnswers> {
  const { default: inquirer } = await import('inquirer');
  const today = (zone: string) => DateTime.fromJSDate(now, { zone }).toISODate()!;
  type Answers = Record<keyof InitAnswers, string>;
  const answers = await inquirer.prompt<Answers>([
    { type: 'input', name: 'title', message: 'Event title:', default: sample.title, validate: (v: string) => v.trim() !== '' || 'the event needs a title' },
    {
      type: 'input',
      name: 'date',
      message: 'Date of the event (YYYY-MM-DD):',
      default: sample.date,
      validate: (v: string) => (isDate(v.trim()) ? v.trim() >= today('UTC') || 'that day is in the past' : 'write the date as YYYY-MM-DD, e.g. 2027-05-06'),
      filter: (v: string) => v.trim(),
    },
    { type: 'input', name: 'start', message: 'Starts at (HH:MM, local time):', default: sample.start, validate: (v: string) => isTime(v.trim()) || 'write the time as HH:MM, e.g. 09:00', filter: (v: string) => v.trim() },
    {
      type: 'input',
      name: 'end',
      message: 'Ends at (HH:MM):',
      default: sample.end,
      validate: (v: string, a?: Partial<Answers>) => (isTime(v.trim()) ? v.trim() > (a?.start ?? '') || `the event must end after it starts (${a?.start})` : 'write the time as HH:MM, e.g. 12:00'),
      filter: (v: string) => v.trim(),
    },
    {
      type: 'input',
      name: 'timezone',
      message: 'Time zone (an IANA name or a city, e.g. Europe/Riga or Riga):',
      default: sample.timezone,
      filter: (v: string) => zoneFor(v) ?? v.trim(),
      validate: (v: string) => {
        if (zoneFor(v)) return true;
        const suggestions = suggestZones(v);
        return suggestions.length > 0 ? `unknown time zone "${v}"; did you mean ${suggestions.join(', ')}?` : `unknown time zone "${v}"; use an IANA name such as Europe/Riga`;
      },
    },
    { type: 'input', name: 'where', message: 'Where (a place, or a link for an online event):', default: sample.where, validate: (v: string) => v.trim() !== '' || 'say where, or give the link' },
    { type: 'input', name: 'organiserName', message: 'Organiser name (shown as the sender):', default: sample.organiserName, validate: (v: string) => v.trim() !== '' || 'a name is needed' },
    {
      type: 'input',
      name: 'organiserEmail',
      message: 'Organiser e-mail (receives the replies and the Accept / Decline):',
      default: sample.organiserEmail,
      validate: (v: string) => isEmail(v.trim()) || 'an address like events@example.org',
      filter: (v: string) => v.trim(),
    },
    { type: 'input', name: 'registrationUrl', message: 'Registration link:', default: sample.registrationUrl, validate: (v: string) => isUrl(v.trim()) || 'a link starting with https://', filter: (v: string) => v.trim() },
    {
      type: 'input',
      name: 'deadline',
      message: 'Registration deadline (YYYY-MM-DD):',
      default: (a: Partial<Answers>) => (a.date ? DateTime.fromISO(a.date).minus({ days: 7 }).toISODate()! : sample.deadline),
      validate: (v: string, a?: Partial<Answers>) => (isDate(v.trim()) ? v.trim() <= (a?.date ?? v) || `the deadline must be on or before the event (${a?.date})` : 'write the date as YYYY-MM-DD'),
      filter: (v: string) => v.trim(),
    },
  ]);
  return { ...answers, title: answers.title.trim(), where: answers.where.trim(), organiserName: answers.organiserName.trim() };
}

export async function initCommand(dir: string, options: InitOptions, io: Io): Promise<number> {
  const target = path.resolve(dir);
  const shown = path.relative(process.cwd(), target) || '.';
  const files = starterFiles();
  // Refuse before asking anything: nobody should answer ten questions to be told "no".
  const existing = files.map((f) => f.to).filter((f) => existsSync(path.join(target, f)));
  if (existing.length > 0) {
    throw new UsageError(
      `not overwriting what is already in ${shown}: ${existing.join(', ')}`,
      'choose a new folder (invite init NEW-FOLDER), or move those files away first',
    );
  }
  const now = resolveNow(options.now, 'UTC', io);
  const sample = sampleAnswers(now);
  const interactive = !options.yes && isInteractive(io);
  let answers: InitAnswers;
  try {
    answers = interactive ? await ask(sample, now) : sample;
  } catch (error) {
    if (isPromptInterrupt(error)) throw new PromptInterrupted('Nothing written.');
    throw error;
  }

  for (const file of files) {
    const to = path.join(target, file.to);
    mkdirSync(path.dirname(to), { recursive: true });
    if (file.to === 'invite.yaml') writeFileSync(to, renderCampaignYaml(answers), { flag: 'wx' });
    else copyFileSync(path.join(STARTER, file.from), to, constants.COPYFILE_EXCL);
  }

  const lines = [`Created the campaign ${campaignId(answers.title, answers.date)} in ${shown}:`, ...files.map((f) => `  ${f.to}`), ''];
  if (!interactive) {
    lines.push(
      `Sample values were used (${answers.title}, ${answers.date} ${answers.start}–${answers.end} ${answers.timezone}, organiser ${answers.organiserEmail}).`,
      'Edit them before sending:',
      `  ${path.join(shown, 'invite.yaml')}             event, organiser, registration link and deadline`,
      `  ${path.join(shown, 'contacts', 'contacts.csv')}    your contacts (an email column; every column is a template variable)`,
      `  ${path.join(shown, 'templates')}/               the letters`,
      '',
    );
  }
  const campaignFlag = shown === '.' ? '' : ` --campaign ${shown}`;
  lines.push(
    'Next:',
    `  invite validate${campaignFlag}`,
    `  invite send --dry-run${campaignFlag}`,
    'Keep the folder in git and commit .invite/journal.jsonl after every send: the scheduled',
    'reminder job (.github/workflows/reminders.yml) reads it to know who was invited.',
  );
  io.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}
