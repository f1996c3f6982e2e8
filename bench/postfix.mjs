// Large lists (issue 12): past what one laptop's connections do, the engine is a real MTA.
// `npm run bench:postfix [-- N [CONNECTIONS]]` (N = 100,000 by default) starts a throw-away Postfix
// instance (its configuration, queue and log under a temporary folder; the system's postfix
// service is never touched) that relays everything to Postfix's smtp-sink on 127.0.0.1, hands it
// N invitations with `invite send`, and waits until Postfix has delivered every one. It prints
// invite's hand-off time, rate and peak memory, and the time until the queue is empty.
// Needs Debian's postfix package and root (Postfix's daemons switch to the postfix user).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { campaignWith, invite, machine, NOW, timed } from './lib.mjs';

const n = Number(process.argv[2] ?? 100_000);
const connections = Number(process.argv[3] ?? 4);
const sink = '/usr/sbin/smtp-sink';
if (!existsSync('/usr/sbin/postfix') || !existsSync(sink)) {
  console.log('skipped: Postfix is not installed (apt-get install postfix; its service need not run)');
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  console.log('skipped: starting a Postfix instance needs root (its daemons switch to the postfix user)');
  process.exit(0);
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const sinkPort = await freePort();
const relayPort = await freePort();

// The instance: its own main.cf and master.cf (no chroot, no local delivery, no syslog), queue and data.
const base = mkdtempSync(path.join(os.tmpdir(), 'invite-bench-postfix-'));
const etc = path.join(base, 'etc');
const spool = path.join(base, 'spool');
const data = path.join(base, 'data');
const log = path.join(base, 'postfix.log');
chmodSync(base, 0o755); // Postfix's daemons (the postfix user) must reach their data folder
for (const dir of [etc, spool, data]) mkdirSync(dir);
chownSync(data, Number(spawnSync('id', ['-u', 'postfix'], { encoding: 'utf8' }).stdout.trim()), 0);
writeFileSync(
  path.join(etc, 'main.cf'),
  `compatibility_level = 3.6
queue_directory = ${spool}
data_directory = ${data}
myhostname = relay.invite-bench.example.org
mydestination =
local_transport = error:no local delivery here
alias_maps =
alias_database =
relayhost = [127.0.0.1]:${sinkPort}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
maillog_file_prefixes = ${os.tmpdir()}
maillog_file = ${log}
smtputf8_enable = no
biff = no
`,
);
writeFileSync(
  path.join(etc, 'master.cf'),
  [
    `127.0.0.1:${relayPort} inet n - n - 20 smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'proxywrite unix - - n - 1 proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
    '',
  ].join('\n'),
);

const postfix = (command) => {
  const r = spawnSync('/usr/sbin/postfix', ['-c', etc, command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`postfix ${command} failed (${r.status}); see ${log}:\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`);
};
const server = spawn(sink, ['-u', 'nobody', `127.0.0.1:${sinkPort}`, '1024'], { stdio: 'ignore' });
let started = false;
try {
  postfix('start');
  started = true;
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const dir = await campaignWith(n);
  const journal = path.join(dir, 'journal.jsonl');
  const t0 = Date.now();
  const sent = timed(
    process.execPath,
    [invite, 'send', '--smtp', `smtp://127.0.0.1:${relayPort}`, '--yes', '--connections', String(connections), '--journal', journal, '--now', NOW],
    dir,
  );
  if (sent.code !== 0) throw new Error(`invite send exited ${sent.code}: ${sent.stderr.slice(-1000)}`);
  const accepted = readFileSync(journal, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"status":"accepted"')).length;

  // Delivered when no message is left in the queue (Postfix keeps one file per queued message).
  const queued = () => ['incoming', 'active', 'deferred', 'hold', 'maildrop'].reduce((sum, q) => sum + countFiles(path.join(spool, q)), 0);
  while (queued() > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  const drained = (Date.now() - t0) / 1000;
  const delivered = (readFileSync(log, 'utf8').match(/status=sent/g) ?? []).length;
  const deferred = (readFileSync(log, 'utf8').match(/status=deferred/g) ?? []).length;

  console.log(machine());
  console.log(`| what | time | rate | peak RSS | exit |`);
  console.log(`| --- | --- | --- | --- | --- |`);
  console.log(
    `| \`invite send\` of ${n.toLocaleString('en')} to a local Postfix, ${connections} connections (hand-off; journal: ${accepted.toLocaleString('en')} accepted) | ${sent.seconds} s | ${Math.round(n / sent.seconds)} msg/s | ${sent.mb} MB | ${sent.code} |`,
  );
  console.log(
    `| Postfix relaying them to smtp-sink, until its queue is empty (${delivered.toLocaleString('en')} delivered, ${deferred} deferred) | ${drained.toFixed(1)} s | ${Math.round(delivered / drained)} msg/s |  |  |`,
  );
  rmSync(dir, { recursive: true, force: true });
} finally {
  if (started) postfix('stop');
  server.kill();
  rmSync(base, { recursive: true, force: true });
}

function countFiles(dir) {
  let count = 0;
  for (const entry of existsSync(dir) ? readdirSync(dir) : []) {
    const full = path.join(dir, entry);
    count += statSync(full).isDirectory() ? countFiles(full) : 1;
  }
  return count;
}
