// The journal and Ctrl-C, against a real smtp-server: a re-run sends exactly what is missing,
// a torn or damaged journal and a held lock are handled, an interrupted run loses nothing.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, tmpJournal } from '../helpers/cli.js';
import { countBy, journalLines, manyContacts, NOW, send, sendArgs, server } from '../helpers/delivery.js';
import { TEST_PASS, TEST_USER, whenReceived } from '../helpers/smtp.js';

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
    const smtp = await server({ plain: false });
    const result = await send(smtp, journal, ['--limit', '2'], { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS });
    expect(result.code).toBe(0);
    const text = readFileSync(journal, 'utf8');
    expect(text).not.toContain(TEST_PASS);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
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
    expect(status.stdout).toMatch(
      /invitation\n {2}accepted by the server {2}6 \(last .*\)\n {2}failed {18}1\n {4}info@cc-poland\.example\.org: permanent 550: .*Mailbox unavailable/,
    );
    expect(status.stdout).toContain('not yet sent            2: info@cc-sweden.example.org, info@cc-europe.example.org');
    const json = JSON.parse((await runCli(['status', '--json', '--journal', journal, '--now', NOW])).stdout);
    expect(json.kinds[0]).toMatchObject({ kind: 'invitation', accepted: 6, notYetSent: ['info@cc-sweden.example.org', 'info@cc-europe.example.org'] });
    expect(json.kinds[0].failed).toEqual([expect.objectContaining({ email: 'info@cc-poland.example.org', type: 'permanent', code: 550 })]);
  });

  it("invite status shows times to the minute in the event's zone (or --tz), named; --json keeps ISO UTC", async () => {
    const journal = tmpJournal();
    const line = (recipient: string, time: string) =>
      JSON.stringify({
        time,
        campaign: 'bsr-social-innovation-2027',
        kind: 'invitation',
        recipient,
        messageId: `<${recipient}>`,
        uid: 'bsr-social-innovation-2027@example.org',
        sequence: 0,
        status: 'accepted',
        response: '250 OK',
      }) + '\n';
    writeFileSync(journal, line('info@cc-denmark.example.org', '2026-12-01T09:10:00.000Z') + line('info@cc-estonia.example.org', '2026-12-01T09:14:03.120Z'));
    const status = await runCli(['status', '--journal', journal, '--now', NOW]);
    expect(status.stdout).toContain('accepted by the server  2 (last Tue 1 Dec 2026, 10:14 CET)');
    const riga = await runCli(['status', '--journal', journal, '--now', NOW, '--tz', 'Europe/Riga']);
    expect(riga.stdout).toContain('accepted by the server  2 (last Tue 1 Dec 2026, 11:14 EET)');
    const json = JSON.parse((await runCli(['status', '--json', '--journal', journal, '--now', NOW])).stdout);
    expect(json.kinds[0].lastSent).toBe('2026-12-01T09:14:03.120Z');
    const bad = await runCli(['status', '--journal', journal, '--tz', 'Europe/Rigga']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--tz: unknown time zone "Europe/Rigga"');
  });
});

describe('Ctrl-C', () => {
  it('a second SIGINT quits at once; the journal stays valid and a re-run completes it', async () => {
    const journal = tmpJournal();
    const contacts = manyContacts(30);
    // After 4 messages the server never answers again: after one Ctrl-C the run would wait out
    // its 15 s grace for the messages in flight; only the second one can end it sooner.
    const smtp = await server({ onData: (count) => (count > 4 ? 'stall' : undefined) });
    const run = spawnCli(sendArgs(smtp, journal, ['--contacts', contacts]));
    await whenReceived(smtp, 4);
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    run.child.kill('SIGINT');
    const started = performance.now();
    const result = await run.done;
    expect(result.code).toBe(130);
    // Not a speed measure: the other outcome, waiting for the grace, takes 15 s or more.
    expect(performance.now() - started).toBeLessThan(10_000);
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
    const accepted = journalLines(journal)
      .filter((l) => l.status === 'accepted')
      .map((l) => l.recipient);
    // The server parses what it accepted after answering: the last replies can precede their parse.
    await whenReceived(smtp, accepted.length);
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
