// Reminders before anything was sent: a preview for the unregistered (--dry-run, --out), a
// refusal that names the journal for a real send, and --to that says why an address gets nothing.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli, tmpJournal } from '../helpers/cli.js';
import { expectNothingArrived, startSmtp, type TestSmtp } from '../helpers/smtp.js';

const DUE = '2027-04-18T09:00';
let dir: string;
beforeEach(() => {
  dir = campaignCopy();
  writeFileSync(path.join(dir, 'registrations.csv'), 'Name,E-mail\nSøren Møller,info@cc-denmark.example.org\n');
});

describe('invite remind with no invitation in the journal', () => {
  it('--dry-run previews the due reminder for every contact who has not registered, headed as a preview', async () => {
    const result = await runCli(['remind', '--dry-run', '--all', '--now', DUE, '--registered', 'registrations.csv'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Recipients (8):');
    expect(result.stderr).toContain(
      'Preview: no invitation has been sent yet (the journal .invite/journal.jsonl records none); this is what the 8 contacts who have not registered would receive as the reminder "week-before"',
    );
    expect(result.stdout.match(/^Subject: Reminder: register by Sunday 25 April 2027/gm)).toHaveLength(8);
    expect(result.stdout).not.toContain('info@cc-denmark.example.org');
    expect(result.stdout).toContain('Dry run: 8 reminders rendered');
    expect(existsSync(path.join(dir, '.invite'))).toBe(false);
  });

  it('--out writes the same preview as .eml files, and no journal', async () => {
    const out = path.join(dir, 'out');
    const result = await runCli(['remind', '--out', out, '--now', DUE], { cwd: dir });
    expect(result.code).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(9);
    // Names that every file system takes (no ":", which Windows refuses).
    expect(files[0]).toBe('001-reminder-week-before-info@cc-denmark.example.org.eml');
    for (const f of files) expect(f).toMatch(/^[A-Za-z0-9@._-]+$/);
    const mail = await simpleParser(readFileSync(path.join(out, files[0]!)));
    expect(mail.subject).toMatch(/^Reminder: register by/);
    expect(mail.text).toContain('Days left to register: 7.');
    expect(existsSync(path.join(dir, '.invite/journal.jsonl'))).toBe(false);
  });

  it('--to previews one contact; an address that is no contact, or one who registered, is told apart', async () => {
    const one = await runCli(['remind', '--dry-run', '--now', DUE, '--to', 'INFO@cc-latvia.example.org'], { cwd: dir });
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('To: Māra Bērziņa <info@cc-latvia.example.org>');
    expect(one.stdout).toContain('Dry run: 1 reminder rendered');

    const stranger = await runCli(['remind', '--dry-run', '--now', DUE, '--to', 'someone@example.com'], { cwd: dir });
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain('someone@example.com is not a contact: no row of contacts/competence-centres.csv has this address');

    const registered = await runCli(['remind', '--dry-run', '--now', DUE, '--to', 'info@cc-denmark.example.org', '--registered', 'registrations.csv'], {
      cwd: dir,
    });
    expect(registered.code).toBe(2);
    expect(registered.stderr).toMatch(
      /info@cc-denmark\.example\.org is a contact \(contacts\/competence-centres\.csv:2\), but gets no reminder in this run: has registered/,
    );
  });
});

describe('invite remind for real with no invitation in the journal', () => {
  let smtp: TestSmtp;
  beforeEach(async () => {
    smtp = await startSmtp({ plain: true });
  });
  afterEach(async () => {
    await smtp.close();
  });

  it.each([
    ['a missing', () => path.join(dir, 'no-such', 'journal.jsonl')],
    [
      'an empty',
      () => {
        const file = tmpJournal();
        writeFileSync(file, '');
        return file;
      },
    ],
  ])('%s journal: exit 2, the journal named with the likely cause, nothing sent', async (_, journal) => {
    const file = journal();
    const result = await runCli(['remind', '--yes', '--smtp', smtp.url, '--now', DUE, '--journal', file], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `the reminder "week-before" is due, but the journal ${path.relative(dir, file)} records no invitation for bsr-social-innovation-2027`,
    );
    expect(result.stderr).toMatch(/hint: .*commit .* after `invite send`, and let a scheduled job commit it back/);
    expect(result.stdout).not.toContain('Nothing to send');
    await expectNothingArrived(smtp);
  });

  it('before the first stage it still says when the next reminder is due (exit 0)', async () => {
    const result = await runCli(['remind', '--yes', '--smtp', smtp.url, '--now', '2027-04-10T09:00'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No reminder due yet');
    await expectNothingArrived(smtp);
  });
});
