// After the final dot, never a blind retry (issue 23, point 1). The wait for the server's reply
// to a whole message has its own timeout (--data-timeout, 10 minutes by default); no reply in
// time, or a connection lost there, makes the message "unknown": the server may have it. It is
// not retried, a re-run leaves it out unless --resend-unknown, and status lists it. Only a
// well-formed 2xx reply is an acceptance.
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli, tmpJournal } from '../helpers/cli.js';
import { countBy, journalLines, NINE, NOW, send, server } from '../helpers/delivery.js';
import { whenReceived } from '../helpers/smtp.js';

const SLOW = 'info@cc-sweden.example.org';

describe('the reply to the final dot', () => {
  it('is waited for beyond --timeout: a server that answers after 3 s (timeout 2 s) gets one copy, accepted', async () => {
    const journal = tmpJournal();
    const smtp = await server({ delayMs: (to) => (to[0] === SLOW ? 3000 : 0) });
    const result = await send(smtp, journal, ['--timeout', '2']);
    expect(result.stderr + result.stdout).not.toContain('retry');
    expect(result.code).toBe(0);
    await smtp.close();
    // Before, the 2 s socket timeout also covered this wait: the message was retried, and the
    // server, which queued every copy, held four.
    expect(countBy(smtp.received.map((m) => m.envelope.to[0]!))).toEqual(new Map(NINE.map((e) => [e, 1])));
    expect(journalLines(journal).map((l) => l.status)).toEqual(NINE.map(() => 'accepted'));
  });

  it('no reply within --data-timeout: one copy, "unknown" in the journal, not retried, not resent by a re-run, listed by status; --resend-unknown sends it', async () => {
    const journal = tmpJournal();
    let dataSeen = 0;
    const slow = await server({
      onData: () => void dataSeen++,
      delayMs: 2200,
    });
    const first = await send(slow, journal, ['--to', SLOW, '--data-timeout', '1', '--retries', '3']);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(
      new RegExp(`^Unknown: ${SLOW}: no reply from 127\\.0\\.0\\.1:\\d+ within 1 s of the whole message .*the server may have it$`, 'm'),
    );
    expect(first.stdout).toContain('a re-run will not send it again');
    expect(first.stdout).toContain('--resend-unknown');
    expect(first.stdout).not.toMatch(/^Not delivered/m);
    // The server queued it after all: it holds exactly one copy, and it saw one DATA.
    await whenReceived(slow, 1, 5000);
    await slow.close();
    expect(slow.received.map((m) => m.envelope.to[0])).toEqual([SLOW]);
    expect(dataSeen).toBe(1);
    const lines = journalLines(journal);
    expect(lines.map((l) => [l.recipient, l.status, l.failure?.type])).toEqual([[SLOW, 'unknown', 'unknown']]);

    // A re-run leaves it out (and says so), and sends the eight others.
    const healthy = await server();
    const second = await send(healthy, journal);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('1 unknown left out');
    // The server parses what it accepted after it replies: wait for the eight (a busy machine once read five).
    await whenReceived(healthy, NINE.length - 1);
    expect(healthy.received.map((m) => m.envelope.to[0]).sort()).toEqual(NINE.filter((e) => e !== SLOW).sort());

    const status = await runCli(['status', '--journal', journal, '--now', NOW]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/unknown: no reply came\s+1/);
    expect(status.stdout).toContain(`${SLOW}: no reply from`);
    expect(status.stdout).toContain(lines[0]!.messageId);
    const json = JSON.parse((await runCli(['status', '--journal', journal, '--now', NOW, '--json'])).stdout) as {
      kinds: { kind: string; unknown: { email: string }[]; notYetSent: string[] }[];
    };
    const invitations = json.kinds.find((k) => k.kind === 'invitation')!;
    expect(invitations.unknown.map((u) => u.email)).toEqual([SLOW]);
    expect(invitations.notYetSent).toEqual([]);

    // Once the organiser has checked that it did not arrive: --resend-unknown.
    const third = await send(healthy, journal, ['--resend-unknown']);
    expect(third.code).toBe(0);
    expect(third.stderr).toContain('1 unknown sent again');
    await healthy.close();
    expect(healthy.received.filter((m) => m.envelope.to[0] === SLOW)).toHaveLength(1);
    const fourth = await send(healthy, journal);
    expect(fourth.stdout).toContain('Nothing to send: 9 invitations already sent.');
  });

  it('the connection lost after the whole message: "unknown", the message not sent again in the run', async () => {
    const journal = tmpJournal();
    let dataSeen = 0;
    const smtp = await server({
      onData: () => {
        dataSeen++;
        return 'drop';
      },
    });
    const result = await send(smtp, journal, ['--to', SLOW, '--retries', '3']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^Unknown: ${SLOW}: the connection to 127\\.0\\.0\\.1:\\d+ ended after the whole message was sent`, 'm'));
    expect(dataSeen).toBe(1);
    expect(journalLines(journal).map((l) => l.status)).toEqual(['unknown']);
  });
});

/**
 * A server that speaks just enough SMTP for one message at a time and answers the final dot with
 * `finalReply`, whatever it is: smtp-server itself only sends well-formed replies.
 */
async function rawServer(finalReply: string) {
  const state = { messages: 0 };
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let inData = false;
    socket.write('220 raw.test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line !== '.') continue;
          inData = false;
          state.messages++;
          socket.write(finalReply + '\r\n');
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-raw.test\r\n250 8BITMIME\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 OK\r\n');
      }
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    state,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    },
  };
}

describe('a reply that is not a well-formed 2xx', () => {
  it('"2x0 …" after the message is a failure, shown escaped, not an acceptance and not retried in the run', async () => {
    const journal = tmpJournal();
    const raw = await rawServer('2x0 queued \x1b[2J');
    try {
      const result = await runCli([
        'send',
        '--smtp',
        raw.url,
        '--yes',
        '--journal',
        journal,
        '--now',
        NOW,
        '--to',
        SLOW,
        '--retries',
        '3',
        '--retry-delay',
        '0.05',
      ]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`Not delivered: ${SLOW}: the server's reply to the message is not an SMTP reply: "2x0 queued \\u001b[2J"`);
      expect(result.stdout + result.stderr).not.toContain('\x1b');
      expect(raw.state.messages).toBe(1);
      expect(journalLines(journal).map((l) => [l.status, l.failure?.type])).toEqual([['failed', 'permanent']]);
    } finally {
      await raw.close();
    }
  });

  it('a well-formed multi-line 250 is an acceptance', async () => {
    const journal = tmpJournal();
    const raw = await rawServer('250-queued as 1234\r\n250 OK');
    try {
      const result = await runCli(['send', '--smtp', raw.url, '--yes', '--journal', journal, '--now', NOW, '--to', SLOW]);
      expect(result.code).toBe(0);
      expect(journalLines(journal).map((l) => l.status)).toEqual(['accepted']);
    } finally {
      await raw.close();
    }
  });
});
