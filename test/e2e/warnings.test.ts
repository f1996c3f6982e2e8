// One set of checks, shown everywhere: what `invite validate` warns about, every sending
// command prints too, in every mode (dry run, --out, SMTP). The checks run before a transport is
// chosen, so send shows all three modes and the others a preview and a real send. That they
// come before the confirmation is shown on a terminal in terminal.test.ts.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignCopy, edit } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';

let smtp: TestSmtp;
let dir: string;
let expected: string[];
beforeAll(async () => {
  smtp = await startSmtp({ plain: true });
  dir = campaignCopy();
  // An empty name cell: the letter would say "Dear ,".
  edit(path.join(dir, 'contacts/competence-centres.csv'), (csv) => csv.replace('info@cc-estonia.example.org,Tõnu Põld,', 'info@cc-estonia.example.org,,'));
  const validate = await runCli(['validate', '--now', '2026-11-28T10:00'], { cwd: dir });
  expect(validate.code).toBe(0);
  expected = validate.stdout
    .split('\n')
    .slice(validate.stdout.split('\n').findIndex((l) => l.startsWith('Warnings (')) + 1)
    .filter((l) => l.startsWith('  '))
    .map((l) => `warning: ${l.trim()}`);
});
afterAll(async () => {
  await smtp.close();
});

/** The warning lines a run printed, in order. */
const warningsOf = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning: '));

describe('validate and every sending command warn alike', () => {
  it('validate finds the empty name', () => {
    expect(expected).toEqual([expect.stringMatching(/^warning: contacts\/competence-centres\.csv:name: "name" is used by the templates but empty on line 3 /)]);
  });

  // In order: the invitations go out first (so update, cancel and remind have someone to write to).
  const runs: [string, string[], string][] = [
    ['send', ['--dry-run'], '2026-11-28T10:00'],
    ['send', ['--out', 'out/send'], '2026-11-28T10:00'],
    ['send', ['--smtp', 'SMTP', '--yes'], '2026-11-28T10:00'],
    ['remind', ['--dry-run'], '2027-04-18T09:00'],
    ['remind', ['--smtp', 'SMTP', '--yes'], '2027-04-18T09:00'],
    ['update', ['--dry-run'], '2026-12-01T10:00'],
    ['update', ['--smtp', 'SMTP', '--yes'], '2026-12-01T10:00'],
    ['cancel', ['--dry-run'], '2026-12-02T10:00'],
    ['cancel', ['--smtp', 'SMTP', '--yes'], '2026-12-02T10:00'],
  ];
  it.each(runs)('invite %s %j prints the same warnings', async (command, flags, now) => {
    if (command === 'update' && flags[0] === '--dry-run')
      edit(path.join(dir, 'invite.yaml'), (y) => y.replace('end: 2027-05-06T12:00', 'end: 2027-05-06T12:30'));
    const args = [command, ...flags.map((f) => (f === 'SMTP' ? smtp.url : f)), '--now', now];
    const result = await runCli(args, { cwd: dir });
    expect(result.code).toBe(0);
    expect(warningsOf(result.stderr)).toEqual(expected);
  });
});
