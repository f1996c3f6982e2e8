// `invite replies` over IMAP at mailbox scale (npm run bench:imap; never part of npm test): a
// Dovecot mailbox (test/helpers/imap.ts) of 20,000 mails, about 1 GB with attachments, 50 of them
// replies to the campaign. Bytes the server sent and time, through a counting TCP proxy:
//  - a plain imapflow fetch of the whole mailbox (what invite did before it read incrementally);
//  - invite's first run (structure and a few headers of every mail, only candidates downloaded);
//  - 10 new mails, and invite's second run (only what came after the last UID read).
// Usage: node bench/imap.mjs [TOTAL [REPLIES]]
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import { campaignWith, invite, machine, root } from './lib.mjs';

const total = Number(process.argv[2] ?? 20_000);
const replies = Number(process.argv[3] ?? 50);
const uid = 'bsr-social-innovation-2027@example.org';

// The test's own Dovecot helper, bundled on the fly (it is TypeScript), its packages left to node_modules.
const helper = path.join(root, 'node_modules', '.cache', 'invite-bench', 'imap.mjs');
await build({
  entryPoints: [path.join(root, 'test/helpers/imap.ts')],
  outfile: helper,
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
const { startImap, IMAP_USER, IMAP_PASS } = await import(helper);
const { ImapFlow } = await import('imapflow');

const CRLF = (s) => s.replace(/\r?\n/g, '\r\n');
/** Bytes that look like an attachment: pseudo-random, base64 in 76-column lines. */
const noise = (n, seed) => {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return b.toString('base64').replace(/.{76}/g, '$&\r\n');
};
const attachments = [noise(8_000, 1), noise(30_000, 2), noise(70_000, 3)];
function filler(i) {
  const big = attachments[i % 3];
  return (
    CRLF(`From: News ${i} <news${i % 97}@example.com>
To: events@example.org
Subject: Newsletter ${i}
Date: Tue, 1 Dec 2026 10:00:00 +0000
Message-ID: <news.${i}@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b${i}"

--b${i}
Content-Type: text/plain; charset=utf-8

Hello, this is newsletter number ${i}.
--b${i}
Content-Type: application/pdf; name="report-${i}.pdf"
Content-Disposition: attachment; filename="report-${i}.pdf"
Content-Transfer-Encoding: base64

`) +
    big +
    `\r\n--b${i}--\r\n`
  );
}
function reply(person) {
  const attendee = `person${person}@example.org`;
  return CRLF(`From: <${attendee}>
To: biser@example.org
Subject: Accepted: Social Innovation in BSR
Date: Wed, 2 Dec 2026 09:00:00 +0000
Message-ID: <reply.${person}@example.org>
MIME-Version: 1.0
Content-Type: text/calendar; charset=utf-8; method=REPLY

BEGIN:VCALENDAR
METHOD:REPLY
PRODID:-//Apple Inc.//macOS 15.1//EN
VERSION:2.0
BEGIN:VEVENT
ATTENDEE;PARTSTAT=ACCEPTED:mailto:${attendee}
DTSTAMP:20261202T090000Z
SEQUENCE:0
UID:${uid}
END:VEVENT
END:VCALENDAR
`);
}

/** A TCP proxy in front of the server that counts the bytes it sends to the client. */
async function countingProxy(port) {
  const counter = { bytes: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    upstream.on('data', (d) => (counter.bytes += d.length));
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `imap://127.0.0.1:${server.address().port}`, counter, close: () => server.close() };
}

const mb = (n) => (n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`);

// The campaign: 50 invited (the journal a real send wrote, through a sink).
const dir = await campaignWith(replies);
const sinkPort = await new Promise((r) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => r(p));
  });
});
const sink = spawn(process.execPath, [path.join(root, 'bench/sink.mjs'), String(sinkPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => sink.stdout.once('data', r));
const env = { ...process.env, INVITE_SECRET: 'bench-secret-0123456789abcdef', NO_COLOR: '1' };
const sent = spawnSync(process.execPath, [invite, 'send', '--yes', '--smtp', `smtp://127.0.0.1:${sinkPort}`, '--now', '2026-11-27T12:00:00Z'], {
  cwd: dir,
  env,
  encoding: 'utf8',
});
sink.kill();
if (sent.status !== 0) throw new Error(`the invitations could not be sent: ${sent.stderr}`);

const imap = await startImap();
try {
  // The mailbox, written straight into the Maildir: replies spread among the fillers.
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(imap.maildir, sub), { recursive: true });
  const replyAt = new Set(Array.from({ length: replies }, (_, i) => Math.floor(((i + 0.5) * total) / replies)));
  let person = 0;
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const text = replyAt.has(i) ? reply(++person) : filler(i);
    bytes += text.length;
    writeFileSync(path.join(imap.maildir, 'cur', `${1_700_000_000 + i}.M${i}P1.bench:2,`), text);
  }
  const chown = (p) => {
    chownSync(p, imap.owner.uid, imap.owner.gid);
    if (statSync(p).isDirectory()) for (const n of readdirSync(p)) chown(path.join(p, n));
  };
  if (process.getuid?.() === 0) chown(path.join(imap.maildir, '..'));
  console.error(`wrote ${total} mails (${mb(bytes)}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const proxy = await countingProxy(Number(new URL(imap.url).port));
  const ca = [readFileSync(imap.caFile)];
  const client = (port = Number(new URL(proxy.url).port)) =>
    new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: true, auth: { user: IMAP_USER, pass: IMAP_PASS }, logger: false, tls: { ca } });
  // Dovecot indexes the mailbox at its first opening: done before anything is measured.
  {
    const c = client();
    await c.connect();
    const lock = await c.getMailboxLock('INBOX', { readOnly: true });
    for await (const m of c.fetch('1:*', { uid: true })) void m;
    lock.release();
    await c.logout();
  }
  const measure = async (what, run) => {
    proxy.counter.bytes = 0;
    const t = performance.now();
    const detail = await run();
    return { what, bytes: proxy.counter.bytes, seconds: (performance.now() - t) / 1000, detail };
  };
  const rows = [];
  rows.push(
    await measure('a plain imapflow fetch of the whole mailbox (`source: true`)', async () => {
      const c = client();
      await c.connect();
      const lock = await c.getMailboxLock('INBOX', { readOnly: true });
      let n = 0;
      for await (const m of c.fetch('1:*', { uid: true, source: true })) n += m.source ? 1 : 0;
      lock.release();
      await c.logout();
      return `${n} mails`;
    }),
  );
  // Spawned, not spawnSync: the proxy in this process must go on forwarding meanwhile.
  const repliesRun = () =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [invite, 'replies', '--json', '--now', '2026-12-03T12:00:00Z'], {
        cwd: dir,
        env: { ...env, IMAP_URL: proxy.url, IMAP_USER, IMAP_PASS, NODE_EXTRA_CA_CERTS: imap.caFile },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => {
        if (code !== 0) return reject(new Error(`invite replies failed: ${err}`));
        const s = JSON.parse(out);
        resolve(`read ${s.read}, new ${s.new.accepted} accepted, ${s.alreadyRecorded} already recorded, up to UID ${s.mailbox.uid}`);
      });
    });
  rows.push(await measure('`invite replies`, first run', repliesRun));
  // 10 new mails: 5 replies (people who had not answered: none left, so 5 of the first again, recorded once) and 5 newsletters.
  {
    const c = client(Number(new URL(imap.url).port));
    await c.connect();
    for (let i = 0; i < 5; i++) {
      await c.append('INBOX', filler(total + i));
      await c.append('INBOX', reply(i + 1).replace(`reply.${i + 1}@`, `reply.${i + 1}.again@`));
    }
    await c.logout();
  }
  rows.push(await measure('`invite replies`, second run after 10 new mails', repliesRun));
  rows.push(await measure('`invite replies`, third run, nothing new', repliesRun));
  proxy.close();

  console.log(
    `\n${machine()}; Dovecot ${spawnSync('/usr/sbin/dovecot', ['--version'], { encoding: 'utf8' }).stdout.trim()}; ${total} mails, ${mb(bytes)}, ${replies} replies\n`,
  );
  console.log('| what | bytes from the server | time | |');
  console.log('| --- | --- | --- | --- |');
  const whole = rows[0].bytes;
  for (const r of rows) console.log(`| ${r.what} | ${mb(r.bytes)} (${((100 * r.bytes) / whole).toFixed(2)} %) | ${r.seconds.toFixed(2)} s | ${r.detail} |`);
} finally {
  await imap.close();
}
