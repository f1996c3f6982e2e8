// Issue 22, point 7: a command reads the contacts file at most twice: once to check every row,
// once to walk the rows it sends or shows. Choosing who gets what (the journal, --to, --limit,
// the unregistered, the bounced), counting them and the dry run's table work on what the check
// kept in memory. NODE_DEBUG=invite-contacts logs each time the file is opened to be read.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edit } from '../helpers/campaign.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { serverAndCampaignEachTest, whenReceived } from '../helpers/smtp.js';

const SENT = '2026-11-27T12:00';
const REMIND = '2027-04-18T09:00';

const each = serverAndCampaignEachTest();

/** How many times the run opened the contacts file. */
function reads(result: CliResult): number {
  return result.stderr.split('\n').filter((line) => /^INVITE-CONTACTS \d+: reading contacts\/competence-centres\.csv$/.test(line)).length;
}

const invite = async (args: string[]) => {
  const result = await runCli([...args], { cwd: each.dir, env: { NODE_DEBUG: 'invite-contacts' } });
  expect(result.code, `invite ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result;
};

describe('the contacts file is read at most twice by any command', () => {
  it('send, remind, update, cancel (dry runs, --out, --to, --limit, a real send), status and validate', async () => {
    const smtp = ['--smtp', each.smtp.url, '--yes'];
    // Before anything was sent: the dry run's table and every message from one walk after the check.
    const dryRun = await invite(['send', '--dry-run', '--all', '--now', SENT]);
    expect(dryRun.stdout).toContain('Recipients (9):');
    expect(dryRun.stdout.match(/^Subject: /gm)).toHaveLength(9);
    expect(reads(dryRun)).toBe(2);

    // Three sent for real, then the rest: the second run chooses by the journal.
    expect(reads(await invite(['send', ...smtp, '--now', SENT, '--limit', '3']))).toBe(2);
    await whenReceived(each.smtp, 3);
    const rest = await invite(['send', '--dry-run', '--now', SENT]);
    expect(rest.stderr).toContain('3 already sent, 6 to send.');
    expect(reads(rest)).toBe(2);
    expect(reads(await invite(['send', ...smtp, '--now', SENT]))).toBe(2);
    await whenReceived(each.smtp, 9);

    // Everyone invited: nothing to send is decided without a walk.
    expect(reads(await invite(['send', '--dry-run', '--now', SENT]))).toBeLessThanOrEqual(1);
    const one = await invite(['send', '--dry-run', '--now', SENT, '--to', 'info@cc-latvia.example.org', '--resend']);
    expect(one.stdout).toContain('To: Māra Bērziņa <info@cc-latvia.example.org>');
    expect(reads(one)).toBe(2);

    // A proof of two contacts' messages: found by their keys, read in one walk.
    const proof = await invite([
      'send',
      ...smtp,
      '--now',
      SENT,
      '--proof',
      'events@example.org',
      '--as',
      'info@cc-latvia.example.org',
      '--as',
      'info@cc-denmark.example.org',
    ]);
    await whenReceived(each.smtp, 11);
    expect(proof.stdout).toContain('Sent 2 proofs');
    expect(reads(proof)).toBe(2);

    const reminded = await invite(['remind', '--dry-run', '--all', '--now', REMIND]);
    expect(reminded.stdout).toContain('Recipients (9):');
    expect(reads(reminded)).toBe(2);
    expect(reads(await invite(['remind', '--out', path.join(each.dir, 'out'), '--now', REMIND]))).toBe(2);

    edit(path.join(each.dir, 'invite.yaml'), (y) => y.replace(/location: .*/, 'location: Riga, the Latvian National Library'));
    const update = await invite(['update', '--dry-run', '--all', '--now', SENT]);
    expect(update.stdout.match(/^Subject: /gm)).toHaveLength(9);
    expect(reads(update)).toBe(2);

    const cancel = await invite(['cancel', '--dry-run', '--all', '--now', SENT]);
    expect(cancel.stdout.match(/^Subject: /gm)).toHaveLength(9);
    expect(reads(cancel)).toBe(2);

    expect(reads(await invite(['status', '--now', SENT]))).toBeLessThanOrEqual(2);
    expect(reads(await invite(['validate', '--now', SENT]))).toBe(1);
  });
});
