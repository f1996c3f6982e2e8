// A real SMTP server in the test process (smtp-server) on 127.0.0.1, port 0, with STARTTLS
// from a self-signed certificate made here and AUTH PLAIN; it keeps every message it accepts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import selfsigned from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, expect } from 'vitest';
import { campaignCopy } from './campaign.js';

export interface Received {
  envelope: { from: string; to: string[] };
  /** performance.now() when the server accepted the message (replied 250). */
  acceptedAt: number;
  raw: Buffer;
  parsed: ParsedMail;
  secure: boolean;
  user?: string;
  /** The access token the session logged in with (XOAUTH2). */
  token?: string;
}

export interface TestSmtp {
  port: number;
  url: string;
  /** PEM file of the server's certificate, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  received: Received[];
  /** Errors of client connections (resets by killed clients), kept rather than thrown. */
  connectionErrors: Error[];
  /** Every AUTH the server saw, in order: method, user, the token (XOAUTH2) and whether it was accepted. */
  logins: { method: string; user: string; token?: string; accepted: boolean }[];
  close: () => Promise<void>;
}

/**
 * Resolves once the server holds at least `n` messages (it parses them asynchronously), or after
 * `timeoutMs` in any case, so that a test expecting too many fails on its own assertion.
 */
export async function whenReceived(smtp: Pick<TestSmtp, 'received'>, n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (smtp.received.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

/** Closes the server (waiting for what it is still parsing) and asserts that nothing arrived. */
export async function expectNothingArrived(smtp: TestSmtp): Promise<void> {
  await smtp.close();
  expect(smtp.received).toHaveLength(0);
}

export const TEST_USER = 'events@example.org';
export const TEST_PASS = 'correct horse battery staple';

let cached: Promise<{ key: string; cert: string }> | undefined;
function certificate() {
  cached ??= selfsigned
    .generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      extensions: [
        { name: 'basicConstraints', cA: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    })
    .then((pems) => ({ key: pems.private, cert: pems.cert }));
  return cached;
}

/** A server-side fault for one message: reply with an error, drop the connection, or never answer. */
export type Fault = { reply: number; text?: string } | 'drop' | 'stall' | undefined;

export interface SmtpOptions {
  /** Plain SMTP without STARTTLS or AUTH (faster, for the delivery tests). */
  plain?: boolean;
  /** AUTH without STARTTLS: a relay that takes the password in clear text. */
  noStartTls?: boolean;
  /** TLS from the first byte, as on port 465 (smtps://). */
  implicitTls?: boolean;
  /** Decides the fate of RCPT TO for an address. */
  onRcpt?(address: string): Fault;
  /** Decides the fate of a message after DATA; `count` counts every DATA so far, from 1. */
  onData?(count: number, to: string[]): Fault;
  /** Milliseconds to wait before accepting each message (by its recipients); the message is kept even when the client left meanwhile, as a server that queued it would. */
  delayMs?: number | ((to: string[]) => number);
  /** Offers AUTH XOAUTH2 and judges each access token: accepted, or expired (the 334 challenge with status 401, as Gmail and Exchange answer). */
  xoauth2?: (user: string, token: string) => 'ok' | 'expired';
  /** A refused login's reply text, made from what the client sent (a server that quotes the login back). */
  refusal?: (user: string, password: string) => string;
}

function smtpError(fault: { reply: number; text?: string }): Error {
  return Object.assign(new Error(fault.text ?? (fault.reply >= 500 ? 'Mailbox unavailable' : 'Try again later')), { responseCode: fault.reply });
}

export async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtp> {
  const { key, cert } = await certificate();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-smtp-'));
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, cert);
  const received: Received[] = [];
  let closed: Promise<void> | undefined;
  const pending: Promise<void>[] = [];
  let dataCount = 0;
  const logins: TestSmtp['logins'] = [];
  const tokens = new Map<string, string>();
  const dropSession = (id: string) => {
    // smtp-server has no API to cut one connection; its connection objects hold the socket.
    const connections = (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections;
    for (const c of connections) if (c.id === id) c._socket.destroy();
  };
  const server = new SMTPServer({
    ...(options.plain
      ? { disabledCommands: ['STARTTLS', 'AUTH'], authOptional: true }
      : options.noStartTls
        ? { disabledCommands: ['STARTTLS'] }
        : { key, cert }),
    secure: Boolean(options.implicitTls),
    authMethods: ['PLAIN', 'LOGIN', ...(options.xoauth2 ? ['XOAUTH2'] : [])],
    // Refuse AUTH before STARTTLS, as real submission servers do (unless this is the plain relay).
    allowInsecureAuth: Boolean(options.noStartTls),
    logger: false,
    size: 50 * 1024 * 1024,
    onRcptTo(address, session, callback) {
      const fault = options.onRcpt?.(address.address);
      if (fault === 'drop') return dropSession(session.id);
      if (fault === 'stall') return;
      callback(fault ? smtpError(fault) : null);
    },
    onAuth(auth, session, callback) {
      if (auth.method === 'XOAUTH2' && options.xoauth2 && auth.accessToken && auth.username) {
        const verdict = options.xoauth2(auth.username, auth.accessToken);
        logins.push({ method: auth.method, user: auth.username, token: auth.accessToken, accepted: verdict === 'ok' });
        if (verdict === 'ok') {
          tokens.set(session.id, auth.accessToken);
          return callback(null, { user: auth.username });
        }
        return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
      }
      const accepted = auth.username === TEST_USER && auth.password === TEST_PASS;
      logins.push({ method: auth.method, user: auth.username ?? '', accepted });
      if (accepted) callback(null, { user: auth.username });
      else callback(new Error(options.refusal?.(auth.username ?? '', auth.password ?? '') ?? 'Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      // Copied now: the server resets the session's envelope once the message is accepted.
      const envelope = {
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
      };
      const secure = session.secure;
      const user = session.user as string | undefined;
      const token = tokens.get(session.id);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        dataCount++;
        const fault = options.onData?.(dataCount, envelope.to);
        if (fault === 'drop') return dropSession(session.id);
        if (fault === 'stall') return;
        if (fault) return callback(smtpError(fault));
        const accept = () => {
          const raw = Buffer.concat(chunks);
          const acceptedAt = performance.now();
          pending.push(
            simpleParser(raw).then((parsed) => {
              received.push({ envelope, acceptedAt, raw, parsed, secure, user, token });
            }),
          );
          callback();
        };
        const delay = typeof options.delayMs === 'function' ? options.delayMs(envelope.to) : options.delayMs;
        if (delay) setTimeout(accept, delay);
        else accept();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A client killed mid-message (SIGKILL, a second Ctrl-C) resets its connection; smtp-server
  // reports that as an 'error' on the server, which must not become an uncaught exception here.
  const connectionErrors: Error[] = [];
  server.on('error', (error: Error) => connectionErrors.push(error));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `${options.implicitTls ? 'smtps' : 'smtp'}://127.0.0.1:${port}`,
    caFile,
    received,
    connectionErrors,
    logins,
    async close() {
      // Cut what is still connected (a stalled or killed client) so close() does not wait for it.
      for (const c of (server as unknown as { connections: Set<{ _socket: { destroy(): void } }> }).connections) c._socket.destroy();
      if (!closed) closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await closed;
      await Promise.all(pending);
    },
  };
}

/**
 * For each test of the file: a fresh SMTP server (no TLS, no login) and a fresh copy of the
 * shipped campaign; the server is closed after the test. Read them as `each.smtp`, `each.dir`.
 */
export function serverAndCampaignEachTest(): { smtp: TestSmtp; dir: string } {
  const each = {} as { smtp: TestSmtp; dir: string };
  beforeEach(async () => {
    each.smtp = await startSmtp({ plain: true });
    each.dir = campaignCopy();
  });
  afterEach(async () => {
    await each.smtp.close();
  });
  return each;
}
