// The campaign secret (.invite/secret or INVITE_SECRET): made by the first real send when init
// did not make one, kept for every later run (a resend has the same Message-IDs), and never
// silently replaced once messages went out with it — the bounces and unsubscribe requests they
// bring back would no longer verify.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { journalLines } from '../helpers/delivery.js';
import { serverAndCampaignEachTest, whenReceived } from '../helpers/smtp.js';

const NOW = '2026-11-27T12:00:00Z';
// No INVITE_SECRET: the file is the key.
const env = { INVITE_SECRET: undefined };

const each = serverAndCampaignEachTest();

const secretFile = () => path.join(each.dir, '.invite', 'secret');
const journal = () => path.join(each.dir, '.invite', 'journal.jsonl');
const ids = () => journalLines(journal()).map((l) => l.messageId);

describe('the campaign secret', () => {
  it('the first real send makes .invite/secret (0600); a resend keeps it and the Message-IDs; INVITE_SECRET, when set, is the key instead', async () => {
    expect(existsSync(secretFile())).toBe(false);
    const first = await runCli(['send', '--smtp', each.smtp.url, '--yes', '--now', NOW], { cwd: each.dir, env });
    expect(first.code, first.stderr).toBe(0);
    await whenReceived(each.smtp, 9);
    const secret = readFileSync(secretFile(), 'utf8').trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(secretFile()).mode & 0o777).toBe(0o600);
    // The secret is in no message and no journal line.
    expect(each.smtp.received.some((m) => m.raw.includes(secret))).toBe(false);
    expect(readFileSync(journal(), 'utf8')).not.toContain(secret);

    const again = await runCli(['send', '--smtp', each.smtp.url, '--yes', '--resend', '--now', NOW], { cwd: each.dir, env });
    expect(again.code, again.stderr).toBe(0);
    await whenReceived(each.smtp, 18);
    expect(readFileSync(secretFile(), 'utf8').trim()).toBe(secret);
    const lines = ids();
    expect([...lines.slice(9)].sort()).toEqual([...lines.slice(0, 9)].sort());

    // The same key given as INVITE_SECRET makes the same Message-IDs (the .eml files carry the
    // bytes SMTP would); another key other ones.
    const out = path.join(each.dir, 'out');
    const idsIn = () => readdirSync(out).map((f) => /^Message-ID: (.*)$/m.exec(readFileSync(path.join(out, f), 'utf8'))![1]!.trim());
    const eml = (key: string) => runCli(['send', '--out', out, '--resend', '--now', NOW], { cwd: each.dir, env: { INVITE_SECRET: key } });
    expect((await eml(secret)).code).toBe(0);
    expect(idsIn().sort()).toEqual(lines.slice(0, 9).sort());
    rmSync(out, { recursive: true });
    expect((await eml('0123456789abcdef0123456789abcdef')).code).toBe(0);
    expect(idsIn().filter((id) => lines.includes(id))).toEqual([]);
  });

  it('a run without the secret that finds messages in the journal stops (exit 2, nothing sent) instead of making a new key, and says how to go on', async () => {
    expect((await runCli(['send', '--smtp', each.smtp.url, '--yes', '--max', '4', '--now', NOW], { cwd: each.dir, env })).code).toBe(0);
    await whenReceived(each.smtp, 4);
    // The scheduled job's clone, without the file (not committed) and without INVITE_SECRET.
    rmSync(secretFile());
    const before = each.smtp.received.length;
    const run = await runCli(['send', '--smtp', each.smtp.url, '--yes', '--now', NOW], { cwd: each.dir, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no campaign secret');
    expect(run.stderr).toContain('the journal records 4 messages sent with one');
    expect(run.stderr).toMatch(/hint: set INVITE_SECRET .* restore \.invite\/secret/);
    expect(existsSync(secretFile())).toBe(false);
    expect(each.smtp.received.length).toBe(before);
    expect(journalLines(journal())).toHaveLength(4);

    // The way on the hint names: a key of one's own; then the rest go out.
    const made = await runCli(['send', '--smtp', each.smtp.url, '--yes', '--now', NOW], {
      cwd: each.dir,
      env: { INVITE_SECRET: '0123456789abcdef0123456789abcdef' },
    });
    expect(made.code, made.stderr).toBe(0);
    await whenReceived(each.smtp, 9);
  });
});
