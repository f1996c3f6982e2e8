// The five steps of a sending command, in process: every message is composed once (the checks
// run on the campaign, not by rendering), and a plan with nothing to send needs no SMTP server.
import { EventEmitter } from 'node:events';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { planInvitations } from '../../src/commands/send.js';
import { planEventUpdate } from '../../src/commands/update.js';
import { planReminder } from '../../src/commands/remind.js';
import type { Io } from '../../src/io.js';
import type { Plan, PlanContext } from '../../src/sending/plan.js';
import { runSending } from '../../src/sending/run.js';
import { campaignCopy } from '../helpers/campaign.js';
import { tmpJournal } from '../helpers/cli.js';
import { manyContacts } from '../helpers/delivery.js';

function io(env: NodeJS.ProcessEnv = {}): Io & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { env, stdout, stderr, stdin: new PassThrough(), out: () => out, err: () => err };
}

/** A planner that counts how often each message is composed. */
function counting(planner: (c: PlanContext) => Plan, counts: Map<string, number>) {
  return (context: PlanContext): Plan => {
    const plan = planner(context);
    if ('nothing' in plan) return plan;
    const compose = plan.batch.compose;
    return { ...plan, batch: { ...plan.batch, compose: (c) => (counts.set(c.email, (counts.get(c.email) ?? 0) + 1), compose(c)) } };
  };
}

describe('runSending', () => {
  it.each([
    ['--dry-run', { dryRun: true }],
    ['--out', { out: 'OUT' }],
  ])('%s composes every message exactly once', async (_, mode) => {
    const dir = campaignCopy();
    const counts = new Map<string, number>();
    const options = { campaign: dir, now: '2026-11-28T10:00', journal: tmpJournal(), ...mode, out: 'out' in mode ? path.join(dir, 'out') : undefined };
    const code = await runSending({ name: 'send', plan: counting(planInvitations, counts) }, options, io());
    expect(code).toBe(0);
    expect(counts.size).toBe(9);
    expect([...counts.values()]).toEqual(Array(9).fill(1));
  });

  it('with no SMTP server configured, "nothing due" and "nothing changed" still answer (exit 0)', async () => {
    const dir = campaignCopy();
    const early = io();
    expect(await runSending({ name: 'remind', plan: planReminder }, { campaign: dir, now: '2027-04-10T09:00', journal: tmpJournal() }, early)).toBe(0);
    expect(early.out()).toMatch(/^No reminder due yet/);
    const update = io();
    expect(await runSending({ name: 'update', plan: planEventUpdate }, { campaign: dir, now: '2026-12-01T09:00', journal: tmpJournal() }, update)).toBe(0);
    expect(update.out()).toMatch(/^Nobody has been invited yet/);
  });

  it('with no SMTP server configured and something to send: a usage error saying how to configure it, and no lock left', async () => {
    const dir = campaignCopy();
    const journal = tmpJournal();
    await expect(runSending({ name: 'send', plan: planInvitations }, { campaign: dir, now: '2026-11-28T10:00', journal }, io())).rejects.toThrow(
      /no SMTP server configured/,
    );
  });

  it('a bad --rate is refused before the campaign is read or the journal touched', async () => {
    const journal = tmpJournal();
    await expect(
      runSending({ name: 'send', plan: planInvitations }, { campaign: '/nonexistent/invite.yaml', rate: 'fast', smtp: 'smtp://127.0.0.1:9', journal }, io()),
    ).rejects.toThrow(/"fast" is not a sending rate/);
    const { existsSync } = await import('node:fs');
    expect(existsSync(journal)).toBe(false);
    expect(existsSync(`${journal}.lock`)).toBe(false);
  });

  // A dry run or --out never waits for the network: without turns of the event loop, Ctrl-C,
  // timers and the draining of a pipe would all wait until the last message.
  it('--out of a long list: Ctrl-C is seen while it writes (no new files, exit 130)', async () => {
    const dir = campaignCopy();
    const out = path.join(dir, 'out');
    const signals = new EventEmitter();
    setTimeout(() => signals.emit('SIGINT'), 150);
    const options = { campaign: dir, now: '2026-11-28T10:00', journal: tmpJournal(), contacts: manyContacts(4000), out };
    const run = io();
    const code = await runSending({ name: 'send', plan: planInvitations }, options, { ...run, signals });
    expect(code).toBe(130);
    expect(run.err()).toContain('Stopping: no new messages');
    const written = readdirSync(out).length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(4000);
    expect(run.out()).toContain(`Interrupted: ${4000 - written} not sent`);
  });

  it("a dry run's table waits for a slow reader (a pipe) instead of queueing it in memory; every line arrives", async () => {
    const dir = campaignCopy();
    let text = '';
    let mostQueued = 0;
    const stdout = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        mostQueued = Math.max(mostQueued, stdout.writableLength);
        text += chunk.toString();
        setTimeout(done, 2); // a reader slower than the writer
      },
    });
    const run = io();
    const code = await runSending(
      { name: 'send', plan: planInvitations },
      { campaign: dir, now: '2026-11-28T10:00', journal: tmpJournal(), contacts: manyContacts(5000), dryRun: true },
      { ...run, stdout },
    );
    expect(code).toBe(0);
    expect(text).toContain('Recipients (5000):');
    expect(text.match(/^ {2}\s*\d+ {2}Person /gm)).toHaveLength(5000);
    // The table is some 350 kB: at most one 64 kB piece (and the line that ended it) waits.
    expect(mostQueued).toBeLessThan(80 * 1024);
  });
});
