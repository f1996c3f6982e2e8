// Stress figure (issue 10): `invite validate` and `invite send --dry-run` of a contacts file of
// N rows (default 1,000,000), each timed with its peak memory. Run: npm run bench:stress
// [-- ROWS]. Never part of npm test. Figures go to bench/README.md with the machine and date.
import { rmSync } from 'node:fs';
import { campaignWith, invite, machine, NOW, timed } from './lib.mjs';

const rows = Number(process.argv[2] ?? 1_000_000);
const dir = await campaignWith(rows);
console.log(machine());
console.log('| command | rows | exit | time | peak RSS |');
console.log('| --- | --- | --- | --- | --- |');
for (const [label, args] of [
  ['`invite validate`', ['validate']],
  ['`invite send --dry-run > /dev/null`', ['send', '--dry-run']],
]) {
  const r = timed(process.execPath, [invite, ...args, '--now', NOW], dir);
  console.log(`| ${label} | ${rows.toLocaleString('en')} | ${r.code} | ${r.seconds} s | ${r.mb} MB |`);
}
rmSync(dir, { recursive: true, force: true });
