// A real IMAP server for the tests: Dovecot from Debian (dovecot-imapd), started in the
// foreground with a throw-away configuration, certificate, user and mail location under a
// temporary folder, on 127.0.0.1 and a free port, STARTTLS required (no login in clear text).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import selfsigned from 'selfsigned';

export const DOVECOT = '/usr/sbin/dovecot';
export const IMAP_USER = 'biser@example.org';
export const IMAP_PASS = 'imap password 7f3c';

export interface TestImap {
  url: string;
  caFile: string;
  /** The user's Maildir (cur/, new/, tmp/), for a benchmark that fills it directly. */
  maildir: string;
  /** Who owns the mail (Dovecot never gives mail to root). */
  owner: { uid: number; gid: number };
  close: () => Promise<void>;
}

/** A client logged in to the test server as the organiser (STARTTLS, its CA trusted), to put mail into the mailbox; log it out after. */
export async function imapClient(imap: Pick<TestImap, 'url' | 'caFile'>): Promise<ImapFlow> {
  const u = new URL(imap.url);
  const client = new ImapFlow({
    host: u.hostname,
    port: Number(u.port),
    secure: false,
    doSTARTTLS: true,
    auth: { user: IMAP_USER, pass: IMAP_PASS },
    logger: false,
    tls: { ca: [readFileSync(imap.caFile)] },
  });
  await client.connect();
  return client;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Whether to run the IMAP tests: Dovecot is installed, or CI requires them (.ci/run installs it
 * and sets INVITE_REQUIRE_DOVECOT=1, so a missing server fails the run instead of skipping).
 */
export function dovecotAvailable(): boolean {
  return existsSync(DOVECOT) || process.env.INVITE_REQUIRE_DOVECOT === '1';
}

export async function startImap(): Promise<TestImap> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-dovecot-'));
  chmodSync(dir, 0o755);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
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
  });
  writeFileSync(path.join(dir, 'cert.pem'), pems.cert);
  writeFileSync(path.join(dir, 'key.pem'), pems.private, { mode: 0o600 });
  writeFileSync(path.join(dir, 'passwd'), `${IMAP_USER}:{PLAIN}${IMAP_PASS}::::::\n`);
  // Dovecot never gives mail to uid 0: as root the mail belongs to nobody; otherwise to us.
  const root = process.getuid?.() === 0;
  const { uid, gid, username } = root ? { uid: 65534, gid: 65534, username: 'nobody' } : { ...os.userInfo(), username: os.userInfo().username };
  const home = path.join(dir, 'home');
  mkdirSync(home);
  if (root) chownSync(home, uid, gid);
  const port = await freePort();
  const internal = root ? 'dovecot' : username;
  const login = root ? 'dovenull' : username;
  const config = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = ${internal}
default_internal_group = ${root ? 'dovecot' : username}
default_login_user = ${login}
first_valid_uid = ${Math.min(uid, 1000)}
first_valid_gid = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${home}/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
service auth {
  unix_listener auth-userdb {
    mode = 0666
  }
}
`;
  writeFileSync(path.join(dir, 'dovecot.conf'), config);
  const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', path.join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  // Ready when the port answers with a greeting.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const greeting = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('data', (data) => {
        socket.destroy();
        resolve(String(data));
      });
      socket.once('error', () => resolve(''));
    });
    if (greeting.startsWith('* OK')) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const log = existsSync(path.join(dir, 'dovecot.log')) ? readFileSync(path.join(dir, 'dovecot.log'), 'utf8') : '';
      throw new Error(`dovecot did not start: ${stderr}${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `imap://127.0.0.1:${port}`,
    caFile: path.join(dir, 'cert.pem'),
    maildir: path.join(home, IMAP_USER, 'Maildir'),
    owner: { uid, gid },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
