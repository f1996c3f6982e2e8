// Benchmarks (npm run bench [-- N]; never part of npm test): whole commands as an organiser runs
// them, each beside its peer measured in the same run. Figures go to bench/README.md.
//  - start-up: `invite --help` against `node -e 0`;
//  - `send --dry-run > /dev/null` and `send --out DIR` of N contacts (default 10,000);
//  - `send` through SMTP to Postfix's smtp-sink on 127.0.0.1 (2 connections, journal on disk),
//    against nodemailer's own pool sending the same bytes (the .eml files of --out) to the same
//    sink with the same connections (bench/peer-nodemailer.mjs).
// smtp-sink comes with Debian's postfix package (the postfix service is never started).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { campaignWith, invite, machine, NOW, root, timed } from './lib.mjs';

const n = Number(process.argv[2] ?? 10_000);
const connections = 2;
const dir = await campaignWith(n);
const rows = [];
const row = (what, r, count, peer) => {
  const rate = count ? `${Math.round(count / r.seconds)} msg/s` : '';
  rows.push(`| ${what} | ${r.seconds} s | ${rate} | ${r.mb} MB | ${r.code} | ${peer ?? ''} |`);
  return r;
};
const cli = (args) => timed(process.execPath, [invite, ...args, '--now', NOW], dir);

// Start-up, the median of 5 each, alternating.
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const help = [];
const bare = [];
for (let i = 0; i < 5; i++) {
  help.push(timed(process.execPath, [invite, '--help'], dir));
  bare.push(timed(process.execPath, ['-e', '0'], dir));
}
const h = { ...help[0], seconds: median(help.map((r) => r.seconds)) };
const b = { ...bare[0], seconds: median(bare.map((r) => r.seconds)) };
row('`invite --help` (median of 5)', h, 0, `\`node -e 0\`: ${b.seconds} s (×${(h.seconds / b.seconds).toFixed(1)})`);

row(`\`send --dry-run > /dev/null\`, ${n.toLocaleString('en')} contacts`, cli(['send', '--dry-run']), n);
const out = mkdtempSync(path.join(os.tmpdir(), 'invite-bench-out-'));
row(`\`send --out DIR\`, ${n.toLocaleString('en')} contacts`, cli(['send', '--out', out]), n);

const sink = '/usr/sbin/smtp-sink';
if (!existsSync(sink)) {
  rows.push(`| SMTP send | skipped: no ${sink} (apt-get install postfix; the service need not run) | | | | |`);
} else {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  // smtp-sink refuses to run as root without a user to switch to.
  const server = spawn(sink, [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const url = `smtp://127.0.0.1:${port}`;
  const journal = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-bench-journal-')), 'journal.jsonl');
  const peer = timed(process.execPath, [path.join(root, 'bench', 'peer-nodemailer.mjs'), out, url, String(connections)], dir);
  const sent = cli(['send', '--smtp', url, '--yes', '--connections', String(connections), '--journal', journal]);
  if (peer.code !== 0) throw new Error(`the nodemailer peer failed: ${peer.stderr}`);
  const peerRate = n / peer.seconds;
  row(`\`send\` through smtp-sink, ${connections} connections, ${n.toLocaleString('en')} contacts`, sent, n, `nodemailer pool, same bytes: ${peer.seconds} s, ${Math.round(peerRate)} msg/s, ${peer.mb} MB (invite at ${Math.round((n / sent.seconds / peerRate) * 100)} %)`);
  server.kill();
}
rmSync(out, { recursive: true, force: true });
rmSync(dir, { recursive: true, force: true });

console.log(machine());
console.log('| what | time | rate | peak RSS | exit | peer in the same run |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
