// Delivery that survives faults, against a real smtp-server whose handlers inject them:
// what the server holds after a run and a re-run is the measure.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runCli, spawnCli, tmpJournal } from '../helpers/cli.js';
import { startSmtp, TEST_PASS, TEST_USER, type SmtpOptions, type TestSmtp } from '../helpers/smtp.js';

const NOW = '2026-11-27T12:00:00Z';
const NINE = readFileSync(path.join(ROOT, 'contacts/competence-centres.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(',')[0]!);

let servers: TestSmtp[] = [];
async function server(options: SmtpOptions = {}): Promise<TestSmtp> {
  const s = await startSmtp({ plain: true, ...options });
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A contacts file with n people at example.org. */
function manyContacts(n: number): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-many-')), 'many.csv');
  const rows = ['email,name,organisation'];
  for (let i = 1; i <= n; i++) rows.push(`person${String(i).padStart(4, '0')}@example.org,Person ${i},Organisation ${i}`);
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

/** `invite send` to this server with this journal, without asking. */
function sendArgs(smtp: TestSmtp, journal: string, extra: string[] = []): string[] {
  return ['send', '--smtp', smtp.url, '--yes', '--journal', journal, '--now', NOW, ...extra];
}

function send(smtp: TestSmtp, journal: string, extra: string[] = [], env: Record<string, string> = {}) {
  return runCli(sendArgs(smtp, journal, ['--retry-delay', '0.05', ...extra]), { env });
}

function journalLines(file: string) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { recipient: string; status: string; kind: string; messageId: string; failure?: { type: string; code?: number } });
}

/** Resolves once the server holds at least `n` messages (checked every 5 ms). */
function whenReceived(smtp: TestSmtp, n: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (smtp.received.length >= n) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
}

function countBy(list: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const x of list) counts.set(x, (counts.get(x) ?? 0) + 1);
  return counts;
}

describe('faults during a run, then a re-run', () => {
  it('550 for one, 451 for every 5th, one dropped connection: exit 1, the refused one listed; a re-run completes the rest once', async () => {
    const journal = tmpJournal();
    let dropped = false;
    // As real greylisting does, a message is deferred once; its retry goes through.
    const greylisted = new Set<string>();
    const smtp = await server({
      onRcpt: (to) => (to === 'info@cc-latvia.example.org' ? { reply: 550, text: 'No such user here' } : undefined),
      onData: (count, to) => {
        if (to[0] === 'info@cc-germany.example.org' && !dropped) {
          dropped = true;
          return 'drop';
        }
        if (count % 5 !== 0 || greylisted.has(to[0]!)) return undefined;
        greylisted.add(to[0]!);
        return { reply: 451, text: 'Greylisted, try again' };
      },
    });
    // Two retries: the dropped message may also meet the greylisting on its first retry.
    const first = await send(smtp, journal, ['--retries', '2']);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('Not delivered: info@cc-latvia.example.org: ');
    expect(first.stdout).toContain('550');
    expect(first.stdout.match(/^Not delivered:/gm)).toHaveLength(1);
    expect(greylisted.size).toBeGreaterThan(0);
    await smtp.close();
    const afterFirst = smtp.received.map((m) => m.envelope.to[0]!);
    expect(new Set(afterFirst)).toEqual(new Set(NINE.filter((e) => e !== 'info@cc-latvia.example.org')));
    const failures = journalLines(journal).filter((l) => l.status === 'failed');
    expect(failures.map((f) => [f.recipient, f.failure?.type, f.failure?.code ?? null])).toEqual([['info@cc-latvia.example.org', 'permanent', 550]]);

    // The same command again: the refused address is tried again and refused again; nobody gets two.
    const healed = await server({ onRcpt: (to) => (to === 'info@cc-latvia.example.org' ? { reply: 550 } : undefined) });
    const second = await send(healed, journal);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('8 already sent, 1 to send.');
    await healed.close();
    const all = countBy([...afterFirst, ...healed.received.map((m) => m.envelope.to[0]!)]);
    for (const email of NINE.filter((e) => e !== 'info@cc-latvia.example.org')) expect(all.get(email)).toBe(1);
  });

  it('a message the server never answers ends by the timeout: temporary, listed, the rest go out; a re-run sends it', async () => {
    const journal = tmpJournal();
    const smtp = await server({ onData: (_, to) => (to[0] === 'info@cc-sweden.example.org' ? 'stall' : undefined) });
    // 3 s, not 1: on a loaded machine a healthy exchange can pause for a second and must not be
    // taken for the stall. No retry, so the run waits for one timeout only.
    const first = await send(smtp, journal, ['--timeout', '3', '--retries', '0']);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/^Not delivered: info@cc-sweden\.example\.org: .*\(temporary: a re-run tries again\)$/m);
    expect(first.stdout.match(/^Not delivered:/gm)).toHaveLength(1);
    await smtp.close();
    expect(smtp.received.map((m) => m.envelope.to[0]).sort()).toEqual(NINE.filter((e) => e !== 'info@cc-sweden.example.org').sort());
    expect(journalLines(journal).filter((l) => l.status === 'failed').map((f) => [f.recipient, f.failure?.type, f.failure?.code ?? null])).toEqual([
      ['info@cc-sweden.example.org', 'temporary', null],
    ]);
    const healed = await server();
    const second = await send(healed, journal);
    expect(second.code).toBe(0);
    await healed.close();
    expect(healed.received.map((m) => m.envelope.to[0])).toEqual(['info@cc-sweden.example.org']);
  });

  it('a wrong password stops the run at once: exit 2, nothing counted as sent, no password echoed', async () => {
    const journal = tmpJournal();
    const smtp = await startSmtp();
    servers.push(smtp);
    const result = await send(smtp, journal, [], { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: 'not-the-password-42' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refused the login');
    expect(result.stdout + result.stderr).not.toContain('not-the-password-42');
    expect(existsSync(journal) ? journalLines(journal).filter((l) => l.status === 'accepted') : []).toEqual([]);
  });

  it('SIGKILL after about 100 of 500, then a re-run: everyone at least once, duplicates only from the messages in flight, with the same Message-ID', async () => {
    const journal = tmpJournal();
    const contacts = manyContacts(500);
    const smtp = await server();
    const run = spawnCli(sendArgs(smtp, journal, ['--contacts', contacts, '--connections', '2']));
    await whenReceived(smtp, 100);
    run.child.kill('SIGKILL');
    await run.done;
    const second = await send(smtp, journal, ['--contacts', contacts, '--connections', '2']);
    expect(second.code).toBe(0);
    await smtp.close();
    const counts = countBy(smtp.received.map((m) => m.envelope.to[0]!));
    expect(counts.size).toBe(500);
    const twice = [...counts].filter(([, n]) => n > 1);
    expect([...counts.values()].every((n) => n <= 2)).toBe(true);
    // At most the in-flight bound (2 connections) were accepted by the server but not yet journalled.
    expect(twice.length).toBeLessThanOrEqual(2);
    for (const [email] of twice) {
      const ids = new Set(smtp.received.filter((m) => m.envelope.to[0] === email).map((m) => m.parsed.messageId));
      expect(ids.size).toBe(1);
    }
  });

  it('--rate 20/s on 100 messages: never more than 20 acceptances in any sliding second at the server', async () => {
    const smtp = await server();
    const result = await send(smtp, tmpJournal(), ['--contacts', manyContacts(100), '--rate', '20/s', '--connections', '5']);
    expect(result.code).toBe(0);
    await smtp.close();
    const times = smtp.received.map((m) => m.acceptedAt).sort((a, b) => a - b);
    expect(times).toHaveLength(100);
    let most = 0;
    for (const [i, start] of times.entries()) {
      const inWindow = times.slice(i).filter((t) => t < start + 1000).length;
      most = Math.max(most, inWindow);
    }
    expect(most).toBeLessThanOrEqual(20);
    expect(most).toBeGreaterThanOrEqual(10); // the limit is used, not just respected
    // Without a terminal, a plain progress line every few seconds (the run takes about 5 s).
    expect(result.stderr).toMatch(/^progress: \d+ sent, 0 failed, \d+ left, [\d.]+\/s, ETA \d+s$/m);
  });

  it('--max caps one run; the next run sends the rest', async () => {
    const journal = tmpJournal();
    const smtp = await server();
    const first = await send(smtp, journal, ['--max', '4']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('4 to send, 5 more left for the next run by --max 4.');
    const second = await send(smtp, journal);
    expect(second.stderr).toContain('4 already sent, 5 to send.');
    await smtp.close();
    expect(countBy(smtp.received.map((m) => m.envelope.to[0]!)).size).toBe(9);
    expect(smtp.received).toHaveLength(9);
  });
});

describe('the journal', () => {
  it('a re-run sends nothing: "9 already sent, 0 to send"; --resend sends again', async () => {
    const journal = tmpJournal();
    const smtp = await server();
    expect((await send(smtp, journal)).code).toBe(0);
    const again = await send(smtp, journal);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('9 already sent, 0 to send.');
    expect(again.stdout).toContain('Nothing to send: 9 invitations already sent.');
    const resend = await send(smtp, journal, ['--resend', '--limit', '2']);
    expect(resend.code).toBe(0);
    await smtp.close();
    expect(smtp.received).toHaveLength(11);
  });

  it('journals one line per accepted message, with campaign, kind, Message-ID, UID, SEQUENCE, reply and no secret', async () => {
    const journal = tmpJournal();
    const smtp = await startSmtp();
    servers.push(smtp);
    const result = await send(smtp, journal, ['--limit', '2'], { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS });
    expect(result.code).toBe(0);
    const text = readFileSync(journal, 'utf8');
    expect(text).not.toContain(TEST_PASS);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    // Two connections: the two may be accepted in either order.
    expect(lines.map((l) => l.recipient).sort()).toEqual(['info@cc-denmark.example.org', 'info@cc-estonia.example.org']);
    expect(lines.find((l) => l.recipient === 'info@cc-denmark.example.org')).toMatchObject({
      campaign: 'bsr-social-innovation-2027',
      kind: 'invitation',
      recipient: 'info@cc-denmark.example.org',
      uid: 'bsr-social-innovation-2027@example.org',
      sequence: 0,
      status: 'accepted',
      messageId: expect.stringMatching(/^<invitation\.[0-9a-f]{32}@example\.org>$/),
      response: expect.stringMatching(/^250 /),
    });
  });

  it('a torn last line is reported and ignored; every earlier line counts', async () => {
    const journal = tmpJournal();
    const smtp = await server();
    await send(smtp, journal, ['--limit', '3']);
    writeFileSync(journal, readFileSync(journal, 'utf8') + '{"time":"2026-11-27T12:00:01Z","campaign":"bsr-soc');
    const result = await send(smtp, journal);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/journal\.jsonl:4: the last line was cut short .* it is ignored/);
    expect(result.stderr).toContain('3 already sent, 6 to send.');
    await smtp.close();
    expect(smtp.received).toHaveLength(9);
    expect(journalLines(journal)).toHaveLength(9); // the torn fragment was cut off, the rest appended whole
  });

  it('a damaged line in the middle stops with exit 2: invite will not guess what was sent', async () => {
    const journal = tmpJournal();
    writeFileSync(journal, 'not json\n{"time":"x","campaign":"c","kind":"invitation","recipient":"a@example.org","messageId":"<m>","status":"accepted"}\n');
    const result = await runCli(['send', '--dry-run', '--journal', journal, '--now', NOW]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('journal.jsonl:1: this journal line is not a journal entry');
  });

  it('a lock held by a live run: exit 2 naming the holder; a stale lock is taken over', async () => {
    const journal = tmpJournal();
    const smtp = await server();
    writeFileSync(`${journal}.lock`, JSON.stringify({ pid: process.pid, host: os.hostname(), started: '2026-11-27T11:59:00Z', command: 'send' }));
    const held = await send(smtp, journal);
    expect(held.code).toBe(2);
    expect(held.stderr).toContain(`is in use by process ${process.pid} on ${os.hostname()} (send, since 2026-11-27T11:59:00Z)`);
    expect(smtp.received).toHaveLength(0);

    writeFileSync(`${journal}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), started: '2026-11-27T11:00:00Z', command: 'send' }));
    const stale = await send(smtp, journal);
    expect(stale.code).toBe(0);
    expect(stale.stderr).toContain('took over the journal lock');
    expect(existsSync(`${journal}.lock`)).toBe(false);
    await smtp.close();
    expect(smtp.received).toHaveLength(9);
  });

  it('two runs at once on the same journal: only one sends', async () => {
    const journal = tmpJournal();
    const smtp = await server({ delayMs: 100 });
    const [a, b] = await Promise.all([send(smtp, journal), send(smtp, journal)]);
    // Whichever came second either found the lock taken (exit 2) or, after the first finished,
    // found everything in the journal; never did both send.
    const second = [a, b].find((r) => r.code === 2 || r.stderr.includes('9 already sent, 0 to send.'));
    expect(second, `${a.stderr}\n---\n${b.stderr}`).toBeDefined();
    if (second!.code === 2) expect(second!.stderr).toContain('is in use by process');
    expect([a.code, b.code]).toContain(0);
    await smtp.close();
    expect(smtp.received).toHaveLength(9);
    expect(countBy(smtp.received.map((m) => m.envelope.to[0]!)).size).toBe(9);
  });

  it('invite status: accepted, failed with reasons, not yet sent; --json', async () => {
    const journal = tmpJournal();
    const smtp = await server({ onRcpt: (to) => (to === 'info@cc-poland.example.org' ? { reply: 550, text: 'Mailbox unavailable' } : undefined) });
    await send(smtp, journal, ['--limit', '7']);
    const status = await runCli(['status', '--journal', journal, '--now', NOW]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/invitation\n {2}accepted {6}6 \(last .*\)\n {2}failed {8}1\n {4}info@cc-poland\.example\.org: permanent 550: .*Mailbox unavailable/);
    expect(status.stdout).toContain('not yet sent  2: info@cc-sweden.example.org, info@cc-europe.example.org');
    const json = JSON.parse((await runCli(['status', '--json', '--journal', journal, '--now', NOW])).stdout);
    expect(json.kinds[0]).toMatchObject({ kind: 'invitation', accepted: 6, notYetSent: ['info@cc-sweden.example.org', 'info@cc-europe.example.org'] });
    expect(json.kinds[0].failed).toEqual([expect.objectContaining({ email: 'info@cc-poland.example.org', type: 'permanent', code: 550 })]);
  });
});

describe('Ctrl-C', () => {
  it('a second SIGINT quits at once; the journal stays valid and a re-run completes it', async () => {
    const journal = tmpJournal();
    const contacts = manyContacts(30);
    const smtp = await server({ delayMs: 400 });
    const run = spawnCli(sendArgs(smtp, journal, ['--contacts', contacts]));
    await whenReceived(smtp, 4);
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    run.child.kill('SIGINT');
    const started = performance.now();
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(performance.now() - started).toBeLessThan(1000); // did not wait for the 400 ms messages in flight
    const lines = journalLines(journal); // every line parses
    expect(lines.every((l) => l.status === 'accepted')).toBe(true);
    const healthy = await server();
    expect((await send(healthy, journal, ['--contacts', contacts])).code).toBe(0);
    await healthy.close();
    await smtp.close();
    const all = countBy([...smtp.received, ...healthy.received].map((m) => m.envelope.to[0]!));
    expect(all.size).toBe(30);
    // Only messages the server accepted while the process was quitting can arrive twice.
    expect([...all.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(2);
  });

  it('SIGINT: no new messages, those in flight finish, exit 130, the journal holds every accepted one', async () => {
    const journal = tmpJournal();
    const contacts = manyContacts(60);
    const smtp = await server({ delayMs: 50 });
    const run = spawnCli(sendArgs(smtp, journal, ['--contacts', contacts]));
    await whenReceived(smtp, 10);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Stopping: no new messages');
    expect(result.stdout).toMatch(/Interrupted: \d+ not sent; run the same command again/);
    const accepted = journalLines(journal).filter((l) => l.status === 'accepted').map((l) => l.recipient);
    expect(new Set(accepted)).toEqual(new Set(smtp.received.map((m) => m.envelope.to[0])));
    expect(accepted.length).toBeLessThan(60);

    const rest = await send(smtp, journal, ['--contacts', contacts]);
    expect(rest.code).toBe(0);
    await smtp.close();
    const counts = countBy(smtp.received.map((m) => m.envelope.to[0]!));
    expect(counts.size).toBe(60);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});
