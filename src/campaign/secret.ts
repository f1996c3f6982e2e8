// The campaign's secret: the key of its Message-IDs and unsubscribe links, so that nobody who
// has seen one invitation can compute another recipient's (and forge a bounce or an unsubscribe
// for them). INVITE_SECRET when set (a CI secret), else .invite/secret beside invite.yaml, made
// by `invite init` or by the first real send and committed with the campaign, so the scheduled
// job has the same key.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError, shownPath } from '../errors.js';

/** Where the campaign keeps its secret when the environment does not give one. */
export function secretFile(campaignDir: string): string {
  return path.join(campaignDir, '.invite', 'secret');
}

/** A new secret: 32 random bytes, hex. */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The campaign's secret, or undefined when there is none yet (a preview then makes unkeyed
 * Message-IDs). With `create`, one is made and written to .invite/secret (a real send).
 */
export function campaignSecret(campaignDir: string, env: NodeJS.ProcessEnv, create = false): string | undefined {
  const given = env.INVITE_SECRET?.trim();
  if (given) {
    if (given.length < 16) throw new UsageError('INVITE_SECRET is too short to be a key', 'use at least 16 characters, e.g. the output of: openssl rand -hex 32');
    return given;
  }
  const file = secretFile(campaignDir);
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{32,}$/i.test(text)) return text.toLowerCase();
    throw new UsageError(`${shownPath(file)} is not a secret invite wrote`, 'restore it from version control; a new one would make new Message-IDs (delete it only before anything was sent)');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`cannot read ${shownPath(file)}: ${(error as Error).message}`, 'check the file and its permissions');
  }
  if (!create) return undefined;
  const secret = newSecret();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, secret + '\n', { flag: 'wx', mode: 0o600 });
  return secret;
}
