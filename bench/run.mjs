// Benchmarks (npm run bench; never part of npm test). Figures go to bench/README.md.
//  1. compose: messages composed per second (templates + calendar), no I/O.
//  2. mime: complete RFC 5322 messages built per second (with the programme PDF attached).
//  3. send: the built CLI sending N invitations to an in-process SMTP server on 127.0.0.1.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { loadCampaign } from '../dist/campaign.js';
import { compose } from '../dist/compose.js';
import { parseContacts } from '../dist/contacts.js';
import { buildRaw } from '../dist/mime.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const campaign = loadCampaign(path.join(root, 'invite.yaml'));
const now = new Date('2026-11-27T12:00:00Z');

function csv(n) {
  const rows = ['email,name,organisation,country'];
  const countries = ['Denmark', 'Estonia', 'Finland', 'Germany', 'Latvia', 'Lithuania', 'Poland', 'Sweden'];
  for (let i = 0; i < n; i++) rows.push(`person${i}@example.org,Žydrūnė Šalčiūtė ${i},Organisation ${i},${countries[i % 8]}`);
  return rows.join('\n') + '\n';
}

function rate(count, ms) {
  return `${Math.round((count / ms) * 1000)}/s`;
}

const results = [];

{
  const contacts = parseContacts(csv(5000), 'bench.csv').contacts;
  const t = performance.now();
  for (const c of contacts) compose(campaign, c, 'invitation', now);
  const ms = performance.now() - t;
  results.push(['compose 5000 messages', `${ms.toFixed(0)} ms`, rate(5000, ms)]);
}

{
  const contacts = parseContacts(csv(1000), 'bench.csv').contacts;
  const t = performance.now();
  for (const c of contacts) await buildRaw(compose(campaign, c, 'invitation', now));
  const ms = performance.now() - t;
  results.push(['build 1000 complete messages (MIME, PDF attached)', `${ms.toFixed(0)} ms`, rate(1000, ms)]);
}

for (const [n, connections] of [
  [1000, 1],
  [1000, 2],
  [1000, 4],
]) {
  const server = new SMTPServer({ disabledCommands: ['STARTTLS', 'AUTH'], authOptional: true, logger: false, size: 50e6, onData(stream, _s, cb) { stream.resume(); stream.on('end', () => cb()); } });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.server.address().port;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-bench-'));
  writeFileSync(path.join(dir, 'contacts.csv'), csv(n));
  const args = ['bin/invite.js', 'send', '--smtp', `smtp://127.0.0.1:${port}`, '--yes', '--contacts', path.join(dir, 'contacts.csv'), '--journal', path.join(dir, 'journal.jsonl'), '--connections', String(connections), '--now', now.toISOString()];
  const t = performance.now();
  const code = await new Promise((resolve) => spawn(process.execPath, args, { cwd: root, stdio: 'ignore', env: { ...process.env, CI: 'true' } }).on('close', resolve));
  const ms = performance.now() - t;
  await new Promise((r) => server.close(r));
  results.push([`send ${n} through SMTP on 127.0.0.1, ${connections} connection(s), journal fsync per message (exit ${code})`, `${ms.toFixed(0)} ms`, rate(n, ms)]);
}

console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString().slice(0, 10)}`);
console.log('| what | time | rate |\n| --- | --- | --- |');
for (const [what, time, r] of results) console.log(`| ${what} | ${time} | ${r} |`);
