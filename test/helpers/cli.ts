// Runs the built CLI (bin/invite.js) as a user would: a child process without a terminal.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Runs `invite ARGS` in `cwd` with a clean environment plus `env`. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'SYSTEMROOT']) if (process.env[key]) env[key] = process.env[key] as string;
  env.NO_COLOR = '1';
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
