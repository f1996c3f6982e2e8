// The five steps of a sending command, in process: every message is composed once (the checks
// run on the campaign, not by rendering), and a plan with nothing to send needs no SMTP server.
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { planInvitations } from '../../src/commands/send.js';
import { planEventUpdate } from '../../src/commands/update.js';
import { planReminder } from '../../src/commands/remind.js';
import type { Io } from '../../src/io.js';
import type { Plan, PlanContext } from '../../src/sending/plan.js';
import { runSending } from '../../src/sending/run.js';
import { campaignCopy } from '../helpers/campaign.js';
import { tmpJournal } from '../helpers/cli.js';

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
  it.each([['--dry-run', { dryRun: true }], ['--out', { out: 'OUT' }]])('%s composes every message exactly once', async (_, mode) => {
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
    await expect(runSending({ name: 'send', plan: planInvitations }, { campaign: dir, now: '2026-11-28T10:00', journal }, io())).rejects.toThrow(/no SMTP server configured/);
  });

  it('a bad --rate is refused before the campaign is read or the journal touched', async () => {
    const journal = tmpJournal();
    await expect(runSending({ name: 'send', plan: planInvitations }, { campaign: '/nonexistent/invite.yaml', rate: 'fast', smtp: 'smtp://127.0.0.1:9', journal }, io())).rejects.toThrow(/"fast" is not a sending rate/);
    const { existsSync } = await import('node:fs');
    expect(existsSync(journal)).toBe(false);
    expect(existsSync(`${journal}.lock`)).toBe(false);
  });
});
