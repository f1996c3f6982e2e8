// A real SMTP server in the test process (smtp-server) on 127.0.0.1, port 0, with STARTTLS
// from a self-signed certificate made here and AUTH PLAIN; it keeps every message it accepts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import selfsigned from 'selfsigned';
import { SMTPServer } from 'smtp-server';

export interface Received {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
  secure: boolean;
  user?: string;
}

export interface TestSmtp {
  port: number;
  url: string;
  /** PEM file of the server's certificate, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  received: Received[];
  close(): Promise<void>;
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
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
      ],
    })
    .then((pems) => ({ key: pems.private, cert: pems.cert }));
  return cached;
}

export async function startSmtp(): Promise<TestSmtp> {
  const { key, cert } = await certificate();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-smtp-'));
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, cert);
  const received: Received[] = [];
  let closed: Promise<void> | undefined;
  const pending: Promise<void>[] = [];
  const server = new SMTPServer({
    key,
    cert,
    secure: false,
    authMethods: ['PLAIN', 'LOGIN'],
    // Refuse AUTH before STARTTLS, as real submission servers do.
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === TEST_USER && auth.password === TEST_PASS) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
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
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        pending.push(
          simpleParser(raw).then((parsed) => {
            received.push({ envelope, raw, parsed, secure, user });
          }),
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    caFile,
    received,
    async close() {
      if (!closed) closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await closed;
      await Promise.all(pending);
    },
  };
}
