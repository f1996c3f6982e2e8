// `invite init [DIR]`: a new campaign folder that dry-runs at once. On a terminal it asks for
// the event, the organiser and the registration; otherwise (or with --yes) it takes sample
// values and says what to edit. It never overwrites a file.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { email, timeOfDay, webUrl } from '../campaign/schema.js';
import { newSecret } from '../campaign/secret.js';
import { EXIT, isPromptInterrupt, PromptInterrupted, shownPath, UsageError } from '../errors.js';
import { isInteractive, type Io } from '../io.js';
import { resolveNow } from '../sending/prepare.js';

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
      else if (relative !== 'README.md')
        files.push({ from: relative, to: relative.replace(/^(gitignore|gitattributes)$/, '.$1').replace(/^github\//, '.github/') });
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
  const typed = input
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
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

/** invite.yaml with the answers in place; every value goes in as a JSON string, which is a YAML double-quoted string that reads back the same. */
export function renderCampaignYaml(answers: InitAnswers): string {
  const online = /^https?:\/\//i.test(answers.where.trim());
  const q = (s: string) => JSON.stringify(s);
  const values: Record<string, string> = {
    ID: campaignId(answers.title, answers.date),
    TITLE: q(answers.title),
    DESCRIPTION: q('The programme will follow.'),
    START: q(`${answers.date}T${answers.start}`),
    END: q(`${answers.date}T${answers.end}`),
    TIMEZONE: q(answers.timezone),
    LOCATION: q(online ? 'Online' : answers.where.trim()),
    URL_LINE: online
      ? `  url: ${q(answers.where.trim())}   # the link to join or to read more\n`
      : `  # url: https://events.example.org/more   # optional: a link to join or to read more\n`,
    REGISTRATION_URL: q(answers.registrationUrl),
    DEADLINE: q(answers.deadline),
    ORGANISER_NAME: q(answers.organiserName),
    ORGANISER_EMAIL: q(answers.organiserEmail),
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
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const hhmm = (total: number) => `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
/** Control characters invite.yaml refuses (a line break included: every answer is one line). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** An answer as it will be written, or why it cannot be. */
export type Checked = { value: string } | { reason: string };

/** One question of the wizard: its default (from the answers so far) and the check invite.yaml's own rules make of the answer. */
export interface Question {
  name: keyof InitAnswers;
  message: string;
  default(answers: Partial<InitAnswers>): string;
  check(typed: string, answers: Partial<InitAnswers>): Checked;
}

/**
 * The wizard's questions, in order. Each answer is checked as `invite validate` will check the
 * campaign (the same schema, the time zone, end after start, the deadline not after the event,
 * an event not over) and re-asked with the reason, so whatever is typed, what init writes
 * validates.
 */
// eslint-disable-next-line max-lines-per-function -- one list of questions, read top to bottom in the order the wizard asks them; splitting it would scatter the order
export function initQuestions(sample: InitAnswers, now: Date, sampleContacts: string[] = []): Question[] {
  const today = (zone: string) => DateTime.fromJSDate(now, { zone }).toISODate()!;
  const sampleLength = minutes(sample.end) - minutes(sample.start);
  const text =
    (what: string) =>
    (typed: string): Checked => {
      const value = typed.trim();
      if (!value) return { reason: what };
      if (CONTROL.test(value)) return { reason: 'no control characters or line breaks, please' };
      return { value };
    };
  const then =
    (first: (typed: string) => Checked, next: (value: string) => string | undefined) =>
    (typed: string): Checked => {
      const checked = first(typed);
      if ('reason' in checked) return checked;
      const reason = next(checked.value);
      return reason ? { reason } : checked;
    };
  return [
    { name: 'title', message: 'Event title:', default: () => sample.title, check: text('the event needs a title') },
    {
      name: 'timezone',
      message: 'Time zone of the event (an IANA name or a city, e.g. Europe/Riga or Riga):',
      default: () => sample.timezone,
      check: (typed) => {
        const zone = zoneFor(typed);
        if (zone) return { value: zone };
        const suggestions = suggestZones(typed);
        return {
          reason:
            suggestions.length > 0
              ? `unknown time zone "${typed.trim()}"; did you mean ${suggestions.join(', ')}?`
              : `unknown time zone "${typed.trim()}"; use an IANA name such as Europe/Riga`,
        };
      },
    },
    {
      name: 'date',
      message: 'Date of the event (YYYY-MM-DD):',
      default: () => sample.date,
      check: (typed, a) => {
        const value = typed.trim();
        if (!isDate(value)) return { reason: 'write the date as YYYY-MM-DD, e.g. 2027-05-06' };
        return value < today(a.timezone ?? 'UTC')
          ? { reason: `that day is in the past (today is ${today(a.timezone ?? 'UTC')} in ${a.timezone ?? 'UTC'})` }
          : { value };
      },
    },
    {
      name: 'start',
      message: 'Starts at (HH:MM, local time):',
      default: () => sample.start,
      check: (typed, a) => {
        const value = typed.trim();
        if (!isTime(value)) return { reason: 'write the time as HH:MM, e.g. 09:00' };
        if (value === '23:59') return { reason: 'the event must end on the day it starts: start at 23:58 at the latest' };
        const starts = DateTime.fromISO(`${a.date}T${value}`, { zone: a.timezone ?? 'UTC' });
        if (starts.toMillis() <= now.getTime()) return { reason: `${a.date} ${value} in ${a.timezone} is already past` };
        return { value };
      },
    },
    {
      name: 'end',
      message: 'Ends at (HH:MM):',
      // As long as the sample event (2 hours), from the start that was typed; the same day at the latest.
      default: (a) => hhmm(Math.min(minutes(a.start ?? sample.start) + sampleLength, 23 * 60 + 59)),
      check: (typed, a) => {
        const value = typed.trim();
        if (!isTime(value)) return { reason: 'write the time as HH:MM, e.g. 12:00' };
        if (value <= (a.start ?? '')) return { reason: `the event must end after it starts (${a.start}), on the same day` };
        const ends = DateTime.fromISO(`${a.date}T${value}`, { zone: a.timezone ?? 'UTC' });
        if (ends.toMillis() <= now.getTime()) return { reason: `${a.date} ${value} in ${a.timezone} is already past` };
        return { value };
      },
    },
    {
      name: 'where',
      message: 'Where (a place, or a link for an online event):',
      default: () => sample.where,
      check: then(text('say where, or give the link'), (value) =>
        /^https?:\/\//i.test(value) && !webUrl.safeParse(value).success ? 'that link is not a web address' : undefined,
      ),
    },
    { name: 'organiserName', message: 'Organiser name (shown as the sender):', default: () => sample.organiserName, check: text('a name is needed') },
    {
      name: 'organiserEmail',
      message: 'Organiser e-mail (receives the replies and the Accept / Decline):',
      default: () => sample.organiserEmail,
      check: then(text('an address like events@example.org'), (value) =>
        !isEmail(value)
          ? 'an address like events@example.org'
          : sampleContacts.includes(value.toLowerCase())
            ? 'that is one of the sample contacts (contacts/contacts.csv), and calendars refuse an invitation to its own organiser: give another'
            : undefined,
      ),
    },
    {
      name: 'registrationUrl',
      message: 'Registration link:',
      default: () => sample.registrationUrl,
      check: (typed) => {
        const parsed = webUrl.safeParse(typed.trim());
        return parsed.success ? { value: parsed.data } : { reason: 'a link starting with https://' };
      },
    },
    {
      name: 'deadline',
      message: 'Registration deadline (YYYY-MM-DD):',
      // A week before the event, unless that day has passed.
      default: (a) => {
        const week = DateTime.fromISO(a.date ?? sample.date)
          .minus({ days: 7 })
          .toISODate()!;
        const first = today(a.timezone ?? 'UTC');
        return week < first ? first : week;
      },
      check: (typed, a) => {
        const value = typed.trim();
        if (!isDate(value)) return { reason: 'write the date as YYYY-MM-DD' };
        if (value > (a.date ?? value)) return { reason: `the deadline must be on or before the event (${a.date})` };
        if (value < today(a.timezone ?? 'UTC')) return { reason: 'that day is in the past' };
        return { value };
      },
    },
  ];
}

/** The questions, asked one at a time with inquirer on the terminal; an answer its check refuses is asked again with the reason. */
async function ask(questions: Question[]): Promise<InitAnswers> {
  const { default: inquirer } = await import('inquirer');
  const answers: Partial<InitAnswers> = {};
  for (const q of questions) {
    const { typed } = await inquirer.prompt<{ typed: string }>([
      {
        type: 'input',
        name: 'typed',
        message: q.message,
        default: q.default(answers),
        validate: (typed: string) => {
          const checked = q.check(typed, answers);
          return 'value' in checked || checked.reason;
        },
      },
    ]);
    const checked = q.check(typed, answers);
    if ('reason' in checked) throw new Error(`init: an answer passed its check once and not twice: ${checked.reason}`);
    answers[q.name] = checked.value;
  }
  return answers as InitAnswers;
}

/** The addresses of the sample contacts init writes (the organiser must not be one of them). */
function sampleContacts(): string[] {
  return readFileSync(path.join(STARTER, 'contacts', 'contacts.csv'), 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.split(',')[0]!.trim().toLowerCase())
    .filter(Boolean);
}

/** What a path is, without following a symbolic link at its end. */
function kindOf(file: string): 'none' | 'folder' | 'other' {
  try {
    const stat = lstatSync(file);
    if (stat.isDirectory()) return 'folder';
    // A link to a folder is a folder to write into; a link to nothing, or to a file, is not.
    if (stat.isSymbolicLink()) return existsSync(file) && statSync(file).isDirectory() ? 'folder' : 'other';
    return 'other';
  } catch {
    return 'none';
  }
}

/**
 * Refuses, before anything is asked or written: a target that is a file (or a link to nothing),
 * a file where init puts a folder (templates, contacts), and any file it would write that
 * exists already, even as a dangling link. Nothing is ever overwritten.
 */
function checkTarget(target: string, shown: string, files: string[]): void {
  const at = kindOf(target);
  if (at === 'other')
    throw new UsageError(`${shown} is ${existsSync(target) ? 'a file' : 'a link to nothing'}, not a folder`, 'give a new folder: invite init NEW-FOLDER');
  if (at === 'none') return;
  const blocked = new Set<string>();
  const existing: string[] = [];
  for (const file of files) {
    const parts = file.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const folder = parts.slice(0, depth).join('/');
      if (kindOf(path.join(target, folder)) === 'other') blocked.add(folder);
    }
    if (kindOf(path.join(target, file)) !== 'none') existing.push(file);
  }
  if (blocked.size > 0) {
    throw new UsageError(
      `${[...blocked].map((f) => path.join(shown, f)).join(', ')} ${blocked.size === 1 ? 'is a file' : 'are files'} where invite init puts a folder`,
      'choose a new folder (invite init NEW-FOLDER), or move them away first',
    );
  }
  if (existing.length > 0) {
    throw new UsageError(
      `not overwriting what is already in ${shown}: ${existing.join(', ')}`,
      'choose a new folder (invite init NEW-FOLDER), or move those files away first',
    );
  }
}

/**
 * The running invite packed as npm would publish it (`npm pack` of its own package root), for the
 * scheduled job to install the very version that wrote its workflow. Undefined when npm cannot
 * pack it (the job then needs INVITE_PACKAGE), with the reason.
 */
function packSelf(into: string): { file: string } | { reason: string } {
  const result = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', into], {
    cwd: packageRoot(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  const name = result.stdout?.trim().split('\n').at(-1);
  if (result.status !== 0 || !name || !existsSync(path.join(into, name))) {
    return { reason: (result.error?.message ?? result.stderr?.trim().split('\n').at(-1)) || `npm pack exited with ${result.status}` };
  }
  return { file: name };
}

/** Writes the campaign into a new folder beside (or inside) the target first, then moves it into place: an error leaves nothing behind. */
function writeCampaign(target: string, files: { from: string; to: string }[], answers: InitAnswers, io: Io): string[] {
  const exists = kindOf(target) === 'folder';
  const parent = exists ? target : path.dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(path.join(parent, '.invite-init-'));
  try {
    for (const file of files) {
      const to = path.join(staging, file.to);
      mkdirSync(path.dirname(to), { recursive: true });
      if (file.to === 'invite.yaml') writeFileSync(to, renderCampaignYaml(answers), { flag: 'wx' });
      else copyFileSync(path.join(STARTER, file.from), to, constants.COPYFILE_EXCL);
    }
    const written = files.map((f) => f.to);
    // The key of the campaign's Message-IDs and unsubscribe links, committed with it so the scheduled job has it too.
    mkdirSync(path.join(staging, '.invite'), { recursive: true });
    writeFileSync(path.join(staging, '.invite', 'secret'), newSecret() + '\n', { flag: 'wx', mode: 0o600 });
    written.push('.invite/secret');
    const tools = path.join(staging, '.invite', 'tools');
    mkdirSync(tools, { recursive: true });
    const packed = packSelf(tools);
    if ('file' in packed) written.push(`.invite/tools/${packed.file}`);
    else {
      io.stderr.write(
        `warning: invite could not pack itself for the scheduled job (${packed.reason}); set the repository variable INVITE_PACKAGE to where the job installs it from\n`,
      );
      rmSync(tools, { recursive: true, force: true });
    }
    if (!exists) {
      // mkdtemp makes the folder private (0700); a campaign folder is an ordinary one.
      chmodSync(staging, 0o755);
      renameSync(staging, target);
    } else {
      const there = written.filter((file) => kindOf(path.join(target, file)) !== 'none');
      if (there.length > 0)
        throw new UsageError(
          `not overwriting what is already in ${shownPath(target)}: ${there.join(', ')}`,
          'choose a new folder (invite init NEW-FOLDER), or move those files away first',
        );
      for (const file of written) {
        mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
        renameSync(path.join(staging, file), path.join(target, file));
      }
      rmSync(staging, { recursive: true, force: true });
    }
    return written.sort((a, b) => a.localeCompare(b));
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC' || code === 'EEXIST' || code === 'ENOTDIR') {
      throw new UsageError(
        `cannot write the campaign into ${shownPath(target)}: ${(error as Error).message}`,
        'check the folder and its permissions; nothing was written',
      );
    }
    throw error;
  }
}

export async function initCommand(dir: string, options: InitOptions, io: Io): Promise<number> {
  const target = path.resolve(dir);
  const shown = path.relative(process.cwd(), target) || '.';
  const files = starterFiles();
  // Refuse before asking anything: nobody should answer ten questions to be told "no".
  const planned = [...files.map((f) => f.to), '.invite/secret'];
  checkTarget(target, shown, planned);
  const now = resolveNow(options.now, 'UTC', io);
  const sample = sampleAnswers(now);
  const interactive = !options.yes && isInteractive(io);
  let answers: InitAnswers;
  try {
    answers = interactive ? await ask(initQuestions(sample, now, sampleContacts())) : sample;
  } catch (error) {
    if (isPromptInterrupt(error)) throw new PromptInterrupted('Nothing written.');
    throw error;
  }
  // Asked again now: the folder may have changed while the questions were answered.
  checkTarget(target, shown, planned);
  const written = writeCampaign(target, files, answers, io);

  const lines = [`Created the campaign ${campaignId(answers.title, answers.date)} in ${shown}:`, ...written.map((f) => `  ${f}`), ''];
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
    'Keep the folder in git, with .invite/tools/ (the scheduled job installs invite from it), and',
    'commit .invite/journal.jsonl after every send: the reminder job (.github/workflows/reminders.yml)',
    'reads it to know who was invited.',
  );
  io.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}
