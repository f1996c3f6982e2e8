// A cancel and a send started together, the send with contacts not yet invited: whatever the
// order, no invitation goes out after the cancellation. Each run locks the journal, reads it and
// plans under the lock, so the later one either waits its turn (exit 2) or sees what the
// earlier one did.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { startSmtp, whenReceived, type TestSmtp } from '../helpers/smtp.js';

let smtp: TestSmtp;
beforeEach(async () => {
  // A little slow, so the two runs really overlap.
  smtp = await startSmtp({ plain: true, delayMs: 40 });
});
afterEach(async () => {
  await smtp.close();
});

const NOW = '2026-11-28T10:00';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cancel and send at the same time', () => {
  it.each([
    ['together', 0, 0],
    ['send first by 150 ms', 0, 150],
  ])('%s: no invitation after the cancellation', async (_, sendDelay, cancelDelay) => {
    const dir = campaignCopy();
    const first = await runCli(['send', '--yes', '--smtp', smtp.url, '--limit', '4', '--now', NOW], { cwd: dir });
    expect(first.code).toBe(0);
    await whenReceived(smtp, 4);
    const before = smtp.received.length;

    const args = (command: string) => [command, '--yes', '--smtp', smtp.url, '--now', NOW];
    const [send, cancel] = await Promise.all([
      pause(sendDelay).then(() => spawnCli(args('send'), { cwd: dir }).done),
      pause(cancelDelay).then(() => spawnCli(args('cancel'), { cwd: dir }).done),
    ]);
    // Each either ran, or was refused because the other held the journal or had cancelled.
    for (const run of [send, cancel]) {
      expect([0, 2]).toContain(run.code);
      if (run.code === 2) expect(run.stderr).toMatch(/is in use by process|the event was cancelled/);
    }
    await smtp.close();

    // At the server: after the first cancellation, not one invitation.
    const arrived = smtp.received.slice(before).map((m) => ({ to: m.envelope.to[0], kind: /^<(\w+)/.exec(String(m.parsed.messageId))![1] }));
    const firstCancel = arrived.findIndex((m) => m.kind === 'cancel');
    if (firstCancel >= 0) expect(arrived.slice(firstCancel).filter((m) => m.kind === 'invitation')).toEqual([]);
    // In the journal, in the order the server accepted them: the same.
    const journal = readFileSync(path.join(dir, '.invite/journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; recipient: string; status: string });
    const cancelAt = journal.findIndex((e) => e.kind === 'cancel' && e.status === 'accepted');
    if (cancelAt >= 0) {
      expect(journal.slice(cancelAt).filter((e) => e.kind === 'invitation')).toEqual([]);
      // Whoever was invited, before the cancellation, was told of it.
      const invited = new Set(journal.filter((e) => e.kind === 'invitation').map((e) => e.recipient));
      const told = new Set(journal.filter((e) => e.kind === 'cancel').map((e) => e.recipient));
      expect([...invited].filter((e) => !told.has(e))).toEqual([]);
    }
  });
});
