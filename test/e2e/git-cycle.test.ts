// Scheduled reminders as they really run: the campaign lives in git, the invitations are sent
// from one checkout, the journal is committed back by the workflow's own step, and the job
// reminds from a fresh clone. Done for this repository's layout and for what `invite init` writes.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { campaignCopy } from '../helpers/campaign.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { git, GIT_ENV, repositoryWithOrigin } from '../helpers/git.js';
import { startSmtp, type TestSmtp, whenReceived } from '../helpers/smtp.js';

const exec = promisify(execFile);
const tmp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `invite-git-${name}-`));

interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, { steps: { name?: string; run?: string }[] }>;
}

/** Runs the workflow's "Keep the journal" step exactly as written, with the workflow's plain env values. */
async function keepJournalStep(workflowFile: string, cwd: string): Promise<void> {
  const workflow = YAML.parse(readFileSync(workflowFile, 'utf8')) as Workflow;
  const step = Object.values(workflow.jobs)
    .flatMap((j) => j.steps)
    .find((s) => s.name?.startsWith('Keep the journal'));
  expect(step?.run).toBeDefined();
  const env = Object.fromEntries(Object.entries(workflow.env ?? {}).filter(([, v]) => !String(v).includes('${{')));
  // As the runner runs it: bash -e -o pipefail, with the variables Actions sets.
  await exec('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step!.run!], {
    cwd,
    env: { ...GIT_ENV, ...env, GITHUB_REF_NAME: 'main', GITHUB_TOKEN: 'ghs_test' },
  });
}

let smtp: TestSmtp;
beforeEach(async () => {
  smtp = await startSmtp({ plain: true });
});
afterEach(async () => {
  await smtp.close();
});

const layouts = [
  {
    name: "this repository's layout",
    make: async () => {
      const dir = campaignCopy();
      cpSync(path.join(ROOT, '.gitignore'), path.join(dir, '.gitignore'));
      mkdirSync(path.join(dir, '.github/workflows'), { recursive: true });
      cpSync(path.join(ROOT, 'examples/github-actions/reminders.yml'), path.join(dir, '.github/workflows/reminders.yml'));
      return { dir, sendAt: '2026-11-28T10:00', remindAt: '2027-04-18T09:30', contacts: 9 };
    },
  },
  {
    name: 'a campaign made by invite init',
    make: async () => {
      const parent = tmp('init');
      expect((await runCli(['init', 'campaign', '--yes', '--now', '2026-11-28T10:00:00Z'], { cwd: parent })).code).toBe(0);
      const dir = path.join(parent, 'campaign');
      const deadline = (YAML.parse(readFileSync(path.join(dir, 'invite.yaml'), 'utf8')) as { registration: { deadline: string } }).registration.deadline;
      // Five days before the deadline: the week-before stage is due, the day-before one not yet.
      const remindAt = new Date(Date.parse(`${deadline}T12:00:00Z`) - 5 * 86_400_000).toISOString().slice(0, 16);
      return { dir, sendAt: '2026-11-28T10:00', remindAt, contacts: 3 };
    },
  },
];

describe.each(layouts)('scheduled reminders through git: $name', ({ make }) => {
  it('the journal committed back by the workflow step lets a fresh clone remind; without it, exit 2', async () => {
    const { dir, sendAt, remindAt, contacts } = await make();
    const origin = await repositoryWithOrigin(dir);
    await git(dir, 'push', '--quiet', '-u', 'origin', 'main');

    // The organiser sends the invitations from their checkout.
    const sent = await runCli(['send', '--yes', '--smtp', smtp.url, '--now', sendAt], { cwd: dir });
    expect(sent.code).toBe(0);
    await whenReceived(smtp, contacts);
    expect(smtp.received).toHaveLength(contacts);

    // A job that runs before the journal was committed cannot remind: it says so, exit 2, nothing sent.
    const early = tmp('clone-early');
    await git(early, 'clone', '--quiet', origin, '.');
    const lost = await runCli(['remind', '--yes', '--smtp', smtp.url, '--now', remindAt], { cwd: early });
    expect(lost.code).toBe(2);
    expect(lost.stderr).toContain('records no invitation');
    expect(lost.stderr).toContain('.invite/journal.jsonl');
    expect(smtp.received).toHaveLength(contacts);

    // The workflow's own step commits the journal and pushes it.
    await keepJournalStep(path.join(dir, '.github/workflows/reminders.yml'), dir);
    expect((await git(dir, 'ls-files', '.invite/journal.jsonl')).stdout.trim()).toBe('.invite/journal.jsonl');

    // The scheduled job: a fresh clone, the reminder that is due, to every invited contact.
    const job = tmp('clone-job');
    await git(job, 'clone', '--quiet', origin, '.');
    const remind = await runCli(['remind', '--yes', '--smtp', smtp.url, '--now', remindAt], { cwd: job });
    expect(remind.stderr).toMatch(/Reminder "week-before"/);
    expect(remind.code).toBe(0);
    await whenReceived(smtp, 2 * contacts);
    const reminders = smtp.received.slice(contacts);
    expect(reminders).toHaveLength(contacts);
    expect(reminders.map((m) => m.envelope.to[0]).sort()).toEqual(
      smtp.received
        .slice(0, contacts)
        .map((m) => m.envelope.to[0])
        .sort(),
    );
    for (const m of reminders) expect(m.parsed.subject).toMatch(/^Reminder: register by /);

    // The job commits its journal back; the next day's job, in another fresh clone, sends nothing twice.
    await keepJournalStep(path.join(job, '.github/workflows/reminders.yml'), job);
    const next = tmp('clone-next');
    await git(next, 'clone', '--quiet', origin, '.');
    const again = await runCli(['remind', '--yes', '--smtp', smtp.url, '--now', remindAt.replace(/T.*/, 'T23:00')], { cwd: next });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Nothing to send: ${contacts} reminders already sent.`);
    await smtp.close();
    expect(smtp.received).toHaveLength(2 * contacts);
  });
});
