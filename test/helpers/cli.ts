// Runs the built CLI (bin/invite.js) as a user would: a child process without a terminal.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { campaignCopy } from './campaign.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/invite.js');

/** A fresh journal file in a temporary folder, so a test never touches the shipped campaign's. */
export function tmpJournal(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-journal-')), 'journal.jsonl');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The campaign secret every CLI test runs with (INVITE_SECRET). */
export const TEST_SECRET = '5e1f0c7a9b3d2e4f6a8c0b1d3e5f7a9c';

/** An empty configuration folder: no login kept in the real ~/.config/invite can reach a test. */
let emptyConfig: string | undefined;
let testCache: string | undefined;

export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'SYSTEMROOT']) if (process.env[key]) env[key] = process.env[key];
  env.NO_COLOR = '1';
  env.XDG_CONFIG_HOME = emptyConfig ??= mkdtempSync(path.join(os.tmpdir(), 'invite-config-'));
  // Node's compile cache (Node.js 22.1 and later) in a folder of the test run's, not the user's.
  env.XDG_CACHE_HOME = testCache ??= mkdtempSync(path.join(os.tmpdir(), 'invite-cache-'));
  // The campaign's key, as a CI job with the secret set has it: a test's runs in different copies
  // of the campaign make the same Message-IDs. The tests of .invite/secret itself unset it.
  env.INVITE_SECRET = TEST_SECRET;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface RunningCli {
  child: ChildProcess;
  /** What it printed so far. */
  output(): { stdout: string; stderr: string };
  done: Promise<CliResult>;
}

/**
 * Starts `invite ARGS` without waiting for it: for tests that interrupt or kill it. Without a
 * `cwd` it runs in a fresh copy of the shipped campaign, never in the repository itself, so no
 * test reads or writes the campaign's own journal.
 */
export function spawnCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? campaignCopy(), env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

/** Runs `invite ARGS` in `cwd` (default: a fresh copy of the shipped campaign) with a clean environment plus `env`. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  return spawnCli(args, options).done;
}
