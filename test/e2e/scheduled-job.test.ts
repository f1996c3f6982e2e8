// The reminder job `invite init` writes, run as GitHub would run it on its first real morning:
// every `run:` step verbatim in a fresh clone of the campaign's origin, invite installed with
// `npm install --global` from the tarball init put in .invite/tools/, only the documented
// secrets set. SMTP alone; with REGISTRATIONS_URL (the registered person gets nothing); with
// IMAP holding a Decline (the decliner gets nothing); and with the organiser pushing while the
// job runs (the journal still lands). The workflows also pass @action-validator/cli.
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runWorkflow } from '../helpers/actions.js';
import { cleanEnv, ROOT, runCli } from '../helpers/cli.js';
import { git, repositoryWithOrigin } from '../helpers/git.js';
import { dovecotAvailable, imapClient, IMAP_PASS, IMAP_USER, startImap } from '../helpers/imap.js';
import { startSmtp, whenReceived, type TestSmtp } from '../helpers/smtp.js';

const exec = promisify(execFile);
const tmp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `invite-job-${name}-`));
const WORKFLOW = '.github/workflows/reminders.yml';
const CONTACTS = ['ada.lovelace@example.org', 'grace.hopper@example.org', 'marie.curie@example.org'];
const SENT_AT = '2026-11-28T10:00:00Z';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** A campaign made by `invite init`, in git with a bare origin, its invitations sent and the journal pushed, as an organiser leaves it. */
async function campaignInGit(smtp: TestSmtp) {
  const parent = tmp('init');
  expect((await runCli(['init', 'campaign', '--yes', '--now', SENT_AT], { cwd: parent })).code).toBe(0);
  const dir = path.join(parent, 'campaign');
  const campaign = YAML.parse(readFileSync(path.join(dir, 'invite.yaml'), 'utf8')) as { id: string; registration: { deadline: string } };
  const origin = await repositoryWithOrigin(dir);
  expect((await runCli(['send', '--yes', '--smtp', smtp.url, '--now', SENT_AT], { cwd: dir })).code).toBe(0);
  await whenReceived(smtp, CONTACTS.length);
  await git(dir, 'add', '.invite/journal.jsonl');
  await git(dir, 'commit', '--quiet', '-m', 'Journal: the invitations');
  await git(dir, 'push', '--quiet', '-u', 'origin', 'main');
  // Five days before the deadline: the week-before stage is due.
  const remindAt = new Date(Date.parse(`${campaign.registration.deadline}T12:00:00Z`) - 5 * 86_400_000).toISOString();
  return { dir, origin, remindAt, uid: `${campaign.id}@example.org` };
}

/** What the machine gives the job besides the secrets: the test's clock, npm's cache. */
function machine(remindAt: string, extra: Record<string, string> = {}) {
  return {
    INVITE_NOW: remindAt,
    npm_config_cache: path.join(os.homedir(), '.npm'),
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

/** The journal as the origin holds it after the job. */
async function originJournal(origin: string): Promise<{ kind: string; recipient: string; status?: string; reply?: { partstat: string } }[]> {
  const clone = tmp('check');
  await git(clone, 'clone', '--quiet', origin, '.');
  return readFileSync(path.join(clone, '.invite/journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

const reminded = (smtp: TestSmtp) =>
  smtp.received
    .slice(CONTACTS.length)
    .map((m) => m.envelope.to[0])
    .sort();

describe('the scheduled job init writes, run step by step', () => {
  it('SMTP only: installs the packed invite, reminds every invited contact, and pushes the journal', async () => {
    const smtp = await startSmtp({ plain: true });
    closers.push(smtp.close);
    const { origin, remindAt } = await campaignInGit(smtp);
    const run = await runWorkflow({ workflow: WORKFLOW, origin, secrets: { SMTP_URL: smtp.url, GITHUB_TOKEN: 'ghs_test' }, machine: machine(remindAt) });
    expect(run.failed, run.log).toBe(false);
    expect(run.log).toContain('REGISTRATIONS_URL is not set');
    expect(run.log).toContain('IMAP_URL is not set');
    await whenReceived(smtp, 2 * CONTACTS.length);
    expect(reminded(smtp)).toEqual(CONTACTS);
    const journal = await originJournal(origin);
    expect(
      journal
        .filter((l) => l.kind === 'reminder:week-before')
        .map((l) => l.recipient)
        .sort(),
    ).toEqual(CONTACTS);
    // The upload of the journal is for a failed push only.
    expect(run.steps.find((s) => s.name.startsWith('Upload'))?.ran).toBe(false);
  });

  it('with REGISTRATIONS_URL served from 127.0.0.1: the person who registered gets nothing', async () => {
    const smtp = await startSmtp({ plain: true });
    closers.push(smtp.close);
    const http = createServer((_, response) =>
      response.writeHead(200, { 'content-type': 'text/csv' }).end('Timestamp,E-mail address,Name\n2026-12-01,Grace.Hopper@example.org,Grace\n'),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => http.close(() => resolve())));
    const { origin, remindAt } = await campaignInGit(smtp);
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/export.csv`;
    const run = await runWorkflow({
      workflow: WORKFLOW,
      origin,
      secrets: { SMTP_URL: smtp.url, REGISTRATIONS_URL: url, GITHUB_TOKEN: 'ghs_test' },
      machine: machine(remindAt),
    });
    expect(run.failed, run.log).toBe(false);
    await smtp.close();
    expect(reminded(smtp)).toEqual(['ada.lovelace@example.org', 'marie.curie@example.org']);
  });

  it.skipIf(!dovecotAvailable())('with IMAP holding a Decline: the replies step records it, and the decliner gets nothing', async () => {
    const smtp = await startSmtp({ plain: true });
    closers.push(smtp.close);
    const imap = await startImap();
    closers.push(imap.close);
    const { origin, remindAt, uid } = await campaignInGit(smtp);
    const client = await imapClient(imap);
    const ics = `BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:-//Apple Inc.//macOS 15.1//EN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=DECLINED;CN=Marie Curie:mailto:marie.curie@example.org\r\nDTSTAMP:20261201T101500Z\r\nSEQUENCE:0\r\nUID:${uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    await client.append(
      'INBOX',
      `From: Marie Curie <marie.curie@example.org>\r\nTo: events@example.org\r\nSubject: Declined: Annual members' meeting\r\nDate: Tue, 1 Dec 2026 10:15:00 +0000\r\nMessage-ID: <decline-1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/calendar; charset=utf-8; method=REPLY\r\n\r\n${ics}`,
    );
    await client.logout();
    const run = await runWorkflow({
      workflow: WORKFLOW,
      origin,
      secrets: { SMTP_URL: smtp.url, IMAP_URL: imap.url, IMAP_USER, IMAP_PASS, GITHUB_TOKEN: 'ghs_test' },
      machine: machine(remindAt, { NODE_EXTRA_CA_CERTS: imap.caFile }),
    });
    expect(run.failed, run.log).toBe(false);
    expect(run.steps.find((s) => s.name.startsWith('Record the answers'))!.output).toMatch(/1 new/);
    await smtp.close();
    expect(reminded(smtp)).toEqual(['ada.lovelace@example.org', 'grace.hopper@example.org']);
    // The Decline is in the journal the job pushed, for tomorrow's run.
    expect((await originJournal(origin)).filter((l) => l.kind === 'reply').map((l) => [l.recipient, l.reply?.partstat])).toEqual([
      ['marie.curie@example.org', 'DECLINED'],
    ]);
  });

  it('the organiser pushes meanwhile (a new contact invited, its journal line with it): the job pulls, and the journal lands with both', async () => {
    const smtp = await startSmtp({ plain: true });
    closers.push(smtp.close);
    const { origin, remindAt } = await campaignInGit(smtp);
    const organiser = tmp('organiser');
    const run = await runWorkflow({
      workflow: WORKFLOW,
      origin,
      secrets: { SMTP_URL: smtp.url, GITHUB_TOKEN: 'ghs_test' },
      machine: machine(remindAt),
      meanwhile: {
        after: 'Send the reminder that is due',
        run: async () => {
          await git(organiser, 'clone', '--quiet', origin, '.');
          appendFileSync(path.join(organiser, 'contacts/contacts.csv'), 'alan.turing@example.org,Alan Turing,Bletchley\n');
          expect((await runCli(['send', '--yes', '--smtp', smtp.url, '--to', 'alan.turing@example.org', '--now', remindAt], { cwd: organiser })).code).toBe(0);
          await git(organiser, 'commit', '--quiet', '-am', 'A late contact, invited');
          await git(organiser, 'push', '--quiet');
        },
      },
    });
    expect(run.failed, run.log).toBe(false);
    expect(run.log).toContain('The push was refused (try 1 of 3)');
    const journal = await originJournal(origin);
    expect(
      journal
        .filter((l) => l.kind === 'invitation')
        .map((l) => l.recipient)
        .sort(),
    ).toEqual([...CONTACTS, 'alan.turing@example.org'].sort());
    expect(journal.filter((l) => l.kind === 'reminder:week-before')).toHaveLength(CONTACTS.length);
    // The merged journal is one the reader accepts: the next day's status reads it.
    const next = tmp('next');
    await git(next, 'clone', '--quiet', origin, '.');
    const status = await runCli(['status', '--now', remindAt], { cwd: next });
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
  });
});

describe('the workflows pass @action-validator/cli', () => {
  it.each(['starter/github/workflows/reminders.yml', 'examples/github-actions/reminders.yml'])('%s', async (file) => {
    const { stdout, stderr } = await exec(path.join(ROOT, 'node_modules/.bin/action-validator'), [path.join(ROOT, file)], { env: cleanEnv() });
    expect(stdout + stderr).toBe('');
  });

  it('the validator can fail: a misspelt key is refused', async () => {
    const bad = path.join(tmp('bad'), 'bad.yml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      bad,
      readFileSync(path.join(ROOT, 'starter/github/workflows/reminders.yml'), 'utf8')
        .replace('persist-credentials: false', 'persist-credentials: false\n          presist: true')
        .replace('timeout-minutes:', 'timeout-minute:'),
    );
    await expect(exec(path.join(ROOT, 'node_modules/.bin/action-validator'), [bad], { env: cleanEnv() })).rejects.toMatchObject({ code: 1 });
  });
});
