// "The password goes out in clear text" (issue 10): with credentials, invite logs in only over
// TLS; a server that offers no STARTTLS gets no AUTH at all (exit 2, a hint), unless
// --allow-plain-auth is given, loudly. smtps:// to a plain port is a TLS error, not a retry.
// Nothing derived from the password reaches the output, even when the server quotes it.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tmpJournal } from '../helpers/cli.js';
import { startSmtp, TEST_PASS, TEST_USER, whenReceived } from '../helpers/smtp.js';

const NOW = '2027-04-01T09:00:00Z';

/**
 * A bare SMTP server that offers AUTH but no STARTTLS, as a server behind someone stripping
 * STARTTLS looks. It records every line the client sends and answers AUTH with a 535 that
 * quotes the client's AUTH data back, as some servers do.
 */
async function strippingServer(): Promise<{ url: string; lines: string[]; close: () => Promise<void> }> {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write('220 relay.example.org ESMTP\r\n');
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        lines.push(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') socket.write('250-relay.example.org\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO') socket.write('250 relay.example.org\r\n');
        else if (verb === 'AUTH') socket.write(`535 5.7.8 Authentication failed: ${line}\r\n`);
        else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('502 5.5.2 not implemented\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    lines,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

describe('SMTP credentials and TLS', () => {
  it('cleartext AUTH: a server without STARTTLS gets no AUTH command and never the password; exit 2 with a hint', async () => {
    const server = await strippingServer();
    closers.push(server.close);
    const result = await runCli(['send', '--smtp', server.url, '--yes', '--journal', tmpJournal(), '--now', NOW], {
      env: { SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('offers no STARTTLS, so the password was not sent');
    expect(result.stderr).toContain('hint: use smtps://');
    expect(result.stderr).toContain('--allow-plain-auth');
    expect(server.lines.some((l) => /^AUTH\b/i.test(l))).toBe(false);
    expect(server.lines.some((l) => /^MAIL FROM/i.test(l))).toBe(false);
    const b64 = Buffer.from(`\0${TEST_USER}\0${TEST_PASS}`).toString('base64');
    expect(server.lines.join('\n')).not.toContain(b64);
  });

  it('--allow-plain-auth logs in without TLS, with a warning; the 535 that quotes the AUTH data shows neither it nor the password', async () => {
    const server = await strippingServer();
    closers.push(server.close);
    const result = await runCli(['send', '--smtp', server.url, '--yes', '--allow-plain-auth', '--journal', tmpJournal(), '--now', NOW], {
      env: { SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS },
    });
    const auth = server.lines.find((l) => /^AUTH PLAIN/i.test(l));
    expect(auth).toBeDefined(); // it did log in, as asked
    const token = auth!.split(' ').pop()!;
    expect(Buffer.from(token, 'base64').toString()).toContain(TEST_PASS);
    expect(result.stderr).toContain('warning: --allow-plain-auth');
    expect(result.stderr).toContain('refused the login');
    expect(result.stderr).toContain('***');
    for (const secret of [token, TEST_PASS, Buffer.from(TEST_PASS).toString('base64')]) {
      expect(result.stderr).not.toContain(secret);
      expect(result.stdout).not.toContain(secret);
    }
    expect(result.code).toBe(2);
  });

  it('--allow-plain-auth delivers through a relay without STARTTLS', async () => {
    const smtp = await startSmtp({ noStartTls: true });
    closers.push(smtp.close);
    const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--allow-plain-auth', '--limit', '1', '--journal', tmpJournal(), '--now', NOW], {
      env: { SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS },
    });
    expect(result.stderr).toContain('warning: --allow-plain-auth');
    expect(result.code).toBe(0);
    // The server answers 250, then parses: wait for what it accepted.
    await whenReceived(smtp, 1);
    expect(smtp.received.map((m) => [m.user, m.secure])).toEqual([[TEST_USER, false]]);
  });

  it('smtps:// to a port that speaks plain SMTP: a TLS error, exit 2, not retried as temporary', async () => {
    const smtp = await startSmtp({ plain: true });
    closers.push(smtp.close);
    const url = smtp.url.replace('smtp://', 'smtps://');
    const result = await runCli(['send', '--smtp', url, '--yes', '--retries', '3', '--journal', tmpJournal(), '--now', NOW]);
    expect(result.stderr).toContain('the server does not speak TLS on this port');
    expect(result.stderr).toContain('hint: smtps:// is for TLS from the first byte');
    expect(result.stderr).not.toMatch(/retry|again in/i);
    expect(result.code).toBe(2);
    expect(smtp.received).toHaveLength(0);
  });
});
