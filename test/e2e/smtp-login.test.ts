// Getting to the organiser's SMTP server before the first real send: the password asked for on a
// terminal (never echoed) or named as missing without one, `invite check-smtp` (connect, TLS, log
// in, send nothing), a proof to yourself (--proof), and a server that stops answering.
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import ICAL from 'ical.js';
import { afterEach, describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli, tmpJournal } from '../helpers/cli.js';
import { startSmtp, TEST_PASS, TEST_USER, whenReceived, type TestSmtp } from '../helpers/smtp.js';
import { runInTerminal } from '../helpers/terminal.js';

const NOW = '2027-04-01T09:00:00Z';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function smtpServer(options: Parameters<typeof startSmtp>[0] = {}): Promise<TestSmtp> {
  const smtp = await startSmtp(options);
  closers.push(smtp.close);
  return smtp;
}

describe('the password', () => {
  it('on a terminal, with a user and no password: asked for without echo, then used; the question comes after it', async () => {
    const smtp = await smtpServer();
    const secret = 'correct horse battery staple';
    expect(secret).toBe(TEST_PASS);
    const t = runInTerminal(['send', '--smtp', smtp.url, '--limit', '1', '--journal', tmpJournal(), '--now', NOW], {
      cwd: campaignCopy(),
      env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER },
    });
    await t.waitFor(`SMTP password for ${TEST_USER} at 127.0.0.1:`);
    t.type(`${secret}\r`);
    await t.waitFor('Send 1 invitation through 127.0.0.1 as biser@example.org?');
    t.type('y\r');
    const result = await t.done;
    expect(result.code).toBe(0);
    const screen = (await t.screen()).join('\n');
    expect(screen).not.toContain('horse');
    expect(result.stdout).not.toContain('horse');
    await whenReceived(smtp, 1);
    expect(smtp.received.map((m) => m.user)).toEqual([TEST_USER]);
  });

  it('without a terminal: exit 2 naming SMTP_PASS; nothing was tried, so nothing says the server refused', async () => {
    const smtp = await smtpServer();
    const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--journal', tmpJournal(), '--now', NOW], {
      env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no SMTP password for ${TEST_USER}: SMTP_PASS is not set`);
    expect(result.stderr).not.toMatch(/refused|rejected/);
    expect(smtp.logins).toEqual([]);
  });
});

describe('invite check-smtp', () => {
  it('STARTTLS and the right password: the server, the TLS version, the login method and the size limit; exit 0, nothing sent', async () => {
    const smtp = await smtpServer();
    const result = await runCli(['check-smtp', '--smtp', smtp.url], { env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^Checked 127\.0\.0\.1:\d+; nothing was sent\.$/);
    expect(result.stdout).toMatch(/^ {2}TLS {9}TLSv1\.[23] by STARTTLS \(.+\), certificate verified$/m);
    expect(result.stdout).toContain(`  login       ${TEST_USER} with PLAIN: accepted`);
    expect(result.stdout).toMatch(/^ {2}server {6}\S+ Nice to meet you/m);
    expect(result.stdout).toContain('  size limit  50.0 MB a message');
    expect(smtp.logins).toEqual([{ method: 'PLAIN', user: TEST_USER, accepted: true }]);
    await smtp.close();
    expect(smtp.received).toHaveLength(0);
  });

  it('a wrong password: exit 2 with the reason, the password nowhere', async () => {
    const smtp = await smtpServer();
    const result = await runCli(['check-smtp', '--smtp', smtp.url], {
      env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: 'wrong-pass-77' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refused the login: Invalid login: 535 Invalid username or password/);
    expect(result.stdout + result.stderr).not.toContain('wrong-pass-77');
  });

  it('a server without STARTTLS: with no login it says the connection is not encrypted; with a password it refuses to send it (exit 2)', async () => {
    const smtp = await smtpServer({ plain: true });
    const bare = await runCli(['check-smtp', '--smtp', smtp.url, '--json']);
    expect(bare.code).toBe(0);
    expect(JSON.parse(bare.stdout)).toMatchObject({ tls: null, login: null, sent: 0 });
    const withPassword = await runCli(['check-smtp', '--smtp', smtp.url], { env: { SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS } });
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toContain('offers no STARTTLS, so the password was not sent');
  });

  it('the server named in invite.yaml (smtp: host, port, security, user), the password from the environment', async () => {
    const smtp = await smtpServer({ implicitTls: true });
    const dir = campaignCopy((yaml) => `${yaml}\nsmtp:\n  host: 127.0.0.1\n  port: ${smtp.port}\n  security: tls\n  user: ${TEST_USER}\n`);
    const result = await runCli(['check-smtp', '--json'], { cwd: dir, env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_PASS: TEST_PASS } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      server: `127.0.0.1:${smtp.port}`,
      tls: { by: 'implicit TLS', certificateVerified: true },
      login: { user: TEST_USER, method: 'PLAIN', accepted: true },
    });
  });
});

describe('--proof: the real messages, to yourself', () => {
  it('send: one message per --as, to ADDRESS alone, subject [Proof], a calendar UID of its own; the journal byte-identical', async () => {
    const smtp = await smtpServer({ plain: true });
    const dir = campaignCopy();
    const journal = path.join(dir, 'journal.jsonl');
    // One real invitation first, so the journal has something to keep.
    expect(
      (await runCli(['send', '--smtp', smtp.url, '--yes', '--to', 'info@cc-denmark.example.org', '--journal', journal, '--now', NOW], { cwd: dir })).code,
    ).toBe(0);
    await whenReceived(smtp, 1);
    const before = readFileSync(journal);
    const real = smtp.received[0]!;
    const proof = await runCli(
      [
        'send',
        '--smtp',
        smtp.url,
        '--proof',
        'me@example.com',
        '--as',
        'info@cc-latvia.example.org',
        '--as',
        'info@cc-poland.example.org',
        '--journal',
        journal,
        '--now',
        NOW,
      ],
      { cwd: dir },
    );
    expect(proof.stderr).toBe('');
    expect(proof.code).toBe(0);
    expect(proof.stdout).toMatch(
      /^Sent 2 proofs \(invitations of .+ <info@cc-latvia\.example\.org>, .+ <info@cc-poland\.example\.org>\) to me@example\.com through 127\.0\.0\.1:\d+; nothing was recorded in the journal\.$/m,
    );
    await smtp.close();
    const proofs = smtp.received.slice(1);
    expect(proofs.map((m) => m.envelope.to)).toEqual([['me@example.com'], ['me@example.com']]);
    expect(proofs.map((m) => m.parsed.subject)).toEqual(smtp.received.slice(1).map(() => expect.stringMatching(/^\[Proof\] Invitation: /)));
    // The letter is the contact's own (their name), the calendar a separate event.
    expect(proofs[0]!.parsed.text).toContain('Latvia');
    const uidOf = (raw: Buffer) =>
      new ICAL.Component(ICAL.parse(/BEGIN:VCALENDAR[\s\S]*?END:VCALENDAR/.exec(raw.toString().replace(/=\r\n/g, ''))![0]))
        .getFirstSubcomponent('vevent')!
        .getFirstPropertyValue('uid') as string;
    const realUid = uidOf(real.raw);
    expect(proofs.map((m) => uidOf(m.raw))).toEqual([`proof-${realUid}`, `proof-${realUid}`]);
    expect(new Set(proofs.map((m) => m.parsed.messageId)).size).toBe(2);
    expect(readFileSync(journal).equals(before)).toBe(true);
  });

  it('--as someone not in the contacts: exit 2, nothing sent; --proof with --to: exit 2', async () => {
    const smtp = await smtpServer({ plain: true });
    const unknown = await runCli([
      'send',
      '--smtp',
      smtp.url,
      '--proof',
      'me@example.com',
      '--as',
      'nobody@example.org',
      '--journal',
      tmpJournal(),
      '--now',
      NOW,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--as nobody@example.org: no row of');
    const clash = await runCli(['send', '--smtp', smtp.url, '--proof', 'me@example.com', '--to', 'info@cc-latvia.example.org', '--now', NOW]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('--proof cannot be used with --to');
    await smtp.close();
    expect(smtp.received).toHaveLength(0);
  });

  it('remind: the due reminder of the first contact, before any invitation went out, and still no journal', async () => {
    const smtp = await smtpServer({ plain: true });
    const dir = campaignCopy();
    const journal = path.join(dir, 'journal.jsonl');
    writeFileSync(journal, '');
    const result = await runCli(['remind', '--smtp', smtp.url, '--proof', 'me@example.com', '--journal', journal, '--now', '2027-04-18T10:00:00+02:00'], {
      cwd: dir,
    });
    expect(result.code).toBe(0);
    await smtp.close();
    expect(smtp.received.map((m) => [m.envelope.to, m.parsed.subject?.startsWith('[Proof] Reminder: register by')])).toEqual([[['me@example.com'], true]]);
    expect(readFileSync(journal, 'utf8')).toBe('');
  });
});

/** A server that accepts connections and then says nothing (`greet`: it sends its greeting first, then falls silent). */
async function silentServer(greet: boolean): Promise<{ url: string; connections: () => number }> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    if (greet) socket.write('220 mx.example.org ESMTP\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `smtp://127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => count };
}

describe('a server that stops answering', () => {
  it.each([
    ['greets, then never answers', true],
    ['never greets', false],
  ])('one that %s: after 3 connection failures the run stops within 4 × --timeout, names the server, exit 1, the rest left for a re-run', async (_, greet) => {
    const server = await silentServer(greet);
    const timeout = 2;
    const started = performance.now();
    const result = await runCli([
      'send',
      '--smtp',
      server.url,
      '--yes',
      '--timeout',
      String(timeout),
      '--retry-delay',
      '0.2',
      '--journal',
      tmpJournal(),
      '--now',
      NOW,
    ]);
    const seconds = (performance.now() - started) / 1000;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Stopped: the SMTP server 127\.0\.0\.1:\d+ does not answer: 3 connection failures in a row/m);
    expect(result.stdout).toMatch(/^Not sent \(\d+\): run the same command again to send them\.$/m);
    // Two connections (the default) fail at once, then their retries: the third failure stops the run.
    expect(server.connections()).toBe(4);
    expect(seconds).toBeLessThan(4 * timeout);
  });
});
