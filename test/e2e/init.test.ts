// `invite init`: a new campaign folder, written from sample values or from the answers typed
// on a real terminal, that dry-runs at once; never over existing files.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runCli } from '../helpers/cli.js';
import { readEvent } from '../helpers/ical.js';
import { runInTerminal } from '../helpers/terminal.js';

const NOW = '2026-11-28T10:00:00Z';
const emptyFolder = () => mkdtempSync(path.join(os.tmpdir(), 'invite-init-'));

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)]))
    .sort();
}

const WRITTEN = [
  '.gitattributes',
  '.github/workflows/reminders.yml',
  '.gitignore',
  '.invite/secret',
  '.invite/tools/invite-mailmerge-0.1.0.tgz',
  'contacts/contacts.csv',
  'invite.yaml',
  ...['cancel', 'invitation', 'reminder', 'update'].flatMap((k) => [`templates/${k}.html.hbs`, `templates/${k}.txt.hbs`]),
].sort();

describe('invite init DIR --yes', () => {
  it('writes a campaign with sample values that validates and dry-runs at once', async () => {
    const cwd = emptyFolder();
    const init = await runCli(['init', 'spring', '--yes', '--now', NOW], { cwd });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('Sample values were used');
    expect(init.stdout).toContain('invite send --dry-run --campaign spring');
    expect(filesUnder(path.join(cwd, 'spring'))).toEqual(WRITTEN);

    // Generic, not the Baltic workshop, and the journal stays tracked: only the lock is ignored.
    const yaml = readFileSync(path.join(cwd, 'spring/invite.yaml'), 'utf8');
    expect(yaml).not.toMatch(/Baltic|BSR|BISER/);
    expect(yaml).toMatch(/^# /m); // comments say what each part is
    const gitignore = readFileSync(path.join(cwd, 'spring/.gitignore'), 'utf8');
    expect(gitignore).toMatch(/^\.invite\/\*\.lock$/m);
    expect(gitignore).not.toMatch(/^\.invite\/?$/m);
    const csv = readFileSync(path.join(cwd, 'spring/contacts/contacts.csv'), 'utf8').trim().split('\n');
    expect(csv.length).toBeGreaterThanOrEqual(3);
    for (const row of csv.slice(1)) expect(row).toMatch(/@example\.org,/);

    expect((await runCli(['validate', '--campaign', 'spring', '--now', NOW], { cwd })).code).toBe(0);
    const dry = await runCli(['send', '--dry-run', '--campaign', 'spring', '--now', NOW], { cwd });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    for (const row of csv.slice(1)) expect(dry.stdout).toContain(`<${row.split(',')[0]}>`);
    expect(dry.stdout).toContain(`Dry run: ${csv.length - 1} invitations rendered`);
    // Every mail kind it wrote a template for works too.
    const out = path.join(cwd, 'eml');
    expect((await runCli(['send', '--out', out, '--campaign', 'spring', '--now', NOW], { cwd })).code).toBe(0);
    const eml = readFileSync(path.join(out, readdirSync(out)[0]!), 'utf8');
    expect(eml).toContain('METHOD:REQUEST');
  });

  it('with no terminal and no --yes, takes the sample values too', async () => {
    const cwd = emptyFolder();
    const init = await runCli(['init', '--now', NOW], { cwd });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('Sample values were used');
    expect(existsSync(path.join(cwd, 'invite.yaml'))).toBe(true);
    expect((await runCli(['send', '--dry-run', '--now', NOW], { cwd })).code).toBe(0);
  });

  it('refuses to overwrite: exit 2, the existing files named, nothing changed', async () => {
    const cwd = emptyFolder();
    writeFileSync(path.join(cwd, 'invite.yaml'), 'mine\n');
    const init = await runCli(['init', '.', '--yes', '--now', NOW], { cwd });
    expect(init.code).toBe(2);
    expect(init.stderr).toContain('not overwriting');
    expect(init.stderr).toContain('invite.yaml');
    expect(readFileSync(path.join(cwd, 'invite.yaml'), 'utf8')).toBe('mine\n');
    expect(filesUnder(cwd)).toEqual(['invite.yaml']);
  });

  it.each([
    ['a file', (cwd: string) => writeFileSync(path.join(cwd, 'target'), 'x'), 'target', /target is a file, not a folder/],
    [
      'a link to nothing',
      (cwd: string) => symlinkSync(path.join(cwd, 'gone'), path.join(cwd, 'target')),
      'target',
      /target is a link to nothing, not a folder/,
    ],
    [
      'a dangling invite.yaml link',
      (cwd: string) => (mkdirSync(path.join(cwd, 'target')), symlinkSync('nowhere.yaml', path.join(cwd, 'target/invite.yaml'))),
      'target',
      /not overwriting what is already in target: invite\.yaml/,
    ],
    [
      'a file where templates/ goes',
      (cwd: string) => (mkdirSync(path.join(cwd, 'target')), writeFileSync(path.join(cwd, 'target/templates'), 'x')),
      'target',
      /target\/templates is a file where invite init puts a folder/,
    ],
  ])('into %s: exit 2 naming it, nothing written', async (_, make, dir, message) => {
    const cwd = emptyFolder();
    make(cwd);
    const before = filesUnder(cwd);
    const init = await runCli(['init', dir, '--yes', '--now', NOW], { cwd });
    expect(init.stderr).toMatch(message);
    expect(init.code).toBe(2);
    expect(filesUnder(cwd)).toEqual(before);
  });
});

describe('invite init on a terminal', () => {
  it('asks the questions, suggests time zones, and writes a campaign from the answers', async () => {
    const cwd = emptyFolder();
    const t = runInTerminal(['init', 'meetup', '--now', NOW], { cwd });
    const answer = async (question: string, text: string) => {
      await t.waitFor(question);
      t.type(`${text}\r`);
    };
    await answer('Event title', 'Riga Hackathon “Ūdens”');
    // "Rig" is no zone: the suggestions name Europe/Riga; "Riga" alone is taken as Europe/Riga.
    await answer('Time zone', 'Rig');
    await t.waitFor('did you mean Europe/Riga');
    t.type('\x7f'.repeat(3) + 'Riga\r');
    await t.waitFor('Europe/Riga');
    // A wrong date is refused with a reason, then corrected.
    await answer('Date of the event', '2027-13-01');
    await t.waitFor('write the date as YYYY-MM-DD');
    t.type('\x7f'.repeat(12) + '2027-06-10\r');
    await answer('Starts at', '17:30');
    // The end offered is the start plus the sample's two hours; 12:00, before the start, is refused.
    await t.waitFor('Ends at (HH:MM): (19:30)');
    t.type('12:00\r');
    await t.waitFor('the event must end after it starts (17:30), on the same day');
    t.type('\x7f'.repeat(5) + '\r');
    await answer('Where', 'https://meet.example.org/hackathon');
    await answer('Organiser name', 'Hack Club Riga');
    await answer('Organiser e-mail', 'hello@example.org');
    await answer('Registration link', 'https://example.org/register');
    // A deadline after the event is asked again; then the default: a week before the event.
    await answer('Registration deadline', '2027-06-11');
    await t.waitFor('the deadline must be on or before the event (2027-06-10)');
    t.type('\x7f'.repeat(10) + '\r');
    const result = await t.done;
    expect(result.code).toBe(0);
    expect((await t.screen()).join('\n')).toContain('Created the campaign riga-hackathon-udens-2027 in meetup');

    const campaign = YAML.parse(readFileSync(path.join(cwd, 'meetup/invite.yaml'), 'utf8'));
    expect(campaign.event).toMatchObject({
      title: 'Riga Hackathon “Ūdens”',
      start: '2027-06-10T17:30',
      end: '2027-06-10T19:30',
      timezone: 'Europe/Riga',
      location: 'Online',
      url: 'https://meet.example.org/hackathon',
    });
    expect(campaign.registration).toEqual({ url: 'https://example.org/register', deadline: '2027-06-03' });
    expect(campaign.organiser).toEqual({ name: 'Hack Club Riga', email: 'hello@example.org' });

    // It validates; it dry-runs, and its calendar holds the answers: 17:30 in Riga (EEST) is 14:30 UTC.
    expect((await runCli(['validate', '--campaign', 'meetup', '--now', NOW], { cwd })).code).toBe(0);
    const out = path.join(cwd, 'eml');
    const sent = await runCli(['send', '--out', out, '--campaign', 'meetup', '--now', NOW], { cwd });
    expect(sent.code).toBe(0);
    const mail = await simpleParser(readFileSync(path.join(out, readdirSync(out)[0]!)));
    const ics = mail.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString('utf8');
    const event = readEvent(ics);
    expect(event.start).toBe('2027-06-10T14:30:00.000Z');
    expect(event.summary).toBe('Riga Hackathon “Ūdens”');
  });

  it('Ctrl-C at a question: exit 130, one line, nothing written', async () => {
    const cwd = emptyFolder();
    const t = runInTerminal(['init', 'meetup', '--now', NOW], { cwd });
    await t.waitFor('Event title');
    t.type('Spring\r');
    await t.waitFor('Time zone of the event');
    t.type('\x03');
    const result = await t.done;
    expect(result.code).toBe(130);
    const screen = (await t.screen()).join('\n');
    expect(screen).toContain('Nothing written.');
    expect(screen).not.toMatch(/internal error|ExitPromptError|at .*\.js:\d+/);
    expect(existsSync(path.join(cwd, 'meetup'))).toBe(false);
  });
});
