// The example scheduled job: every `invite` command it runs must be one the CLI accepts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildProgram } from '../src/cli.js';
import type { Io } from '../src/io.js';
import { ROOT } from './helpers/cli.js';

const WORKFLOW = path.join(ROOT, 'examples/github-actions/reminders.yml');
/** The workflow `invite init` writes into a new campaign (invite installed globally there, so no npx). */
const STARTER_WORKFLOW = path.join(ROOT, 'starter/github/workflows/reminders.yml');

/** Splits a shell command line into words: quotes, backslash-newline continuations. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  let inWord = false;
  const text = line.replace(/\\\n/g, ' ');
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = undefined;
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** Every `npx invite …` (or plain `invite …`) command in the workflow's run steps, as argument lists; $VARS from its env filled in. */
function inviteCommands(file = WORKFLOW): string[][] {
  const workflow = YAML.parse(readFileSync(file, 'utf8')) as { env?: Record<string, string>; jobs: Record<string, { steps: { run?: string }[] }> };
  const vars = workflow.env ?? {};
  const commands: string[][] = [];
  for (const job of Object.values(workflow.jobs)) {
    for (const step of job.steps) {
      for (const line of (step.run ?? '').replace(/\\\n/g, ' ').split('\n')) {
        const words = shellWords(line.replace(/\$(\w+)/g, (whole, name: string) => vars[name] ?? whole));
        const at = words.findIndex((w, i) => w === 'invite' && (words[i - 1] === 'npx' || i === 0));
        // "$@" is the --registered FILE a step may add at run time (the workflow run test covers it).
        if (at >= 0 && words[at + 1] !== '--version') commands.push(words.slice(at + 1).filter((w) => w !== '$@'));
      }
    }
  }
  return commands;
}

function parse(args: string[]): { ok: boolean; command?: string; error: string } {
  const stderr = new PassThrough();
  let error = '';
  stderr.on('data', (c: Buffer) => (error += c.toString()));
  const io: Io = { env: {}, stdout: new PassThrough(), stderr, stdin: new PassThrough() };
  let chosen: string | undefined;
  const program = buildProgram(io, () => {
    chosen = args[0];
  });
  try {
    program.parse(['node', 'invite', ...args]);
    return { ok: chosen !== undefined, command: chosen, error };
  } catch {
    return { ok: false, error };
  }
}

/** A password or, for Microsoft 365 and Google, the OAuth values `invite login … --print` shows: all from secrets. */
const SMTP_SECRETS = Object.fromEntries(
  ['SMTP_URL', 'SMTP_USER', 'SMTP_PASS', 'SMTP_OAUTH_REFRESH_TOKEN', 'SMTP_OAUTH_CLIENT_ID', 'SMTP_OAUTH_CLIENT_SECRET', 'SMTP_OAUTH_TOKEN_URL'].map((name) => [
    name,
    `\${{ secrets.${name} }}`,
  ]),
);

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  if?: string;
}

/** What both workflows must hold: the secrets only where they are used, actions pinned by SHA, the token in the last step only. */
function sharedChecks(file: string) {
  const workflow = YAML.parse(readFileSync(file, 'utf8'));
  const steps = workflow.jobs.remind.steps as Step[];

  it('runs daily, one run at a time; SMTP settings from secrets in the remind step only; the campaign secret where Message-IDs are made or verified', () => {
    expect(workflow.on.schedule[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(workflow.concurrency.group).toBeTruthy();
    expect(workflow.concurrency['cancel-in-progress']).toBe(false);
    const remind = steps.find((s) => s.run?.includes('invite remind'))!;
    expect(remind.env).toEqual({ ...SMTP_SECRETS, INVITE_SECRET: '${{ secrets.INVITE_SECRET }}' });
    for (const step of steps.filter((s) => s !== remind)) expect(JSON.stringify(step.env ?? {})).not.toContain('SMTP_');
    const replies = steps.find((s) => s.run?.includes('invite replies'))!;
    expect(replies.env?.INVITE_SECRET).toBe('${{ secrets.INVITE_SECRET }}');
    expect(steps.filter((s) => JSON.stringify(s.env ?? {}).includes('INVITE_SECRET'))).toEqual([replies, remind]);
  });

  it('every action pinned to a commit SHA with its tag in a comment; the checkout keeps no credentials; the token only where the journal is pushed', () => {
    const text = readFileSync(file, 'utf8');
    const uses = [...text.matchAll(/uses: (\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThanOrEqual(3);
    for (const [, action, comment] of uses) {
      expect(action).toMatch(/^actions\/[a-z-]+@[0-9a-f]{40}$/);
      expect(comment).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
    expect(steps[0]!.with).toEqual({ 'persist-credentials': false });
    const withToken = steps.filter((s) => JSON.stringify(s).includes('GITHUB_TOKEN'));
    expect(withToken.map((s) => s.run?.includes(' push origin '))).toEqual([true]);
    expect(steps.indexOf(withToken[0]!)).toBe(steps.length - 2);
    expect(steps.at(-1)).toMatchObject({ if: 'failure()', uses: expect.stringMatching(/^actions\/upload-artifact@/) });
  });

  it("every invite command in it is accepted by the CLI's own parser", () => {
    const commands = inviteCommands(file);
    expect(commands.map((c) => c[0])).toEqual(['validate', 'replies', 'remind']);
    for (const args of commands) expect(parse(args), args.join(' ')).toMatchObject({ ok: true });
  });
}

describe('examples/github-actions/reminders.yml', () => {
  sharedChecks(WORKFLOW);

  it('installs invite with npm ci', () => {
    const steps = YAML.parse(readFileSync(WORKFLOW, 'utf8')).jobs.remind.steps as Step[];
    expect(steps.some((s) => s.run === 'npm ci')).toBe(true);
  });

  it('the check can fail: a misspelt flag is refused', () => {
    expect(parse(['remind', '--yes', '--registred', 'x.csv']).ok).toBe(false);
    expect(parse(['remindd']).ok).toBe(false);
  });
});

describe('the workflow invite init writes (starter/github/workflows/reminders.yml)', () => {
  sharedChecks(STARTER_WORKFLOW);

  it('installs the invite that wrote it (.invite/tools/), or INVITE_PACKAGE when set, never a name alone', () => {
    const text = readFileSync(STARTER_WORKFLOW, 'utf8');
    expect(text).not.toMatch(/INVITE_PACKAGE \|\| '/);
    const install = (YAML.parse(text).jobs.remind.steps as Step[]).find((s) => s.run?.includes('npm install --global'))!;
    expect(install.env).toEqual({ INVITE_PACKAGE: '${{ vars.INVITE_PACKAGE }}' });
    expect(install.run).toContain('.invite/tools/invite-mailmerge-*.tgz');
  });
});
