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
 * Message-IDs). With `create`, one is made and written to .invite/secret (a real send) — unless
 * the journal already records messages sent: those were keyed with a secret this run does not
 * have (INVITE_SECRET not set in this job, a .invite/secret not committed), and a new one would
 * make the bounces and unsubscribe requests they bring back fail to verify.
 */
export function campaignSecret(campaignDir: string, env: NodeJS.ProcessEnv, create?: { sentBefore: number }): string | undefined {
  const given = env.INVITE_SECRET?.trim();
  if (given) {
    if (given.length < 16)
      throw new UsageError('INVITE_SECRET is too short to be a key', 'use at least 16 characters, e.g. the output of: openssl rand -hex 32');
    return given;
  }
  const file = secretFile(campaignDir);
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{32,}$/i.test(text)) return text.toLowerCase();
    throw new UsageError(
      `${shownPath(file)} is not a secret invite wrote`,
      'restore it from version control; a new one would make new Message-IDs (delete it only before anything was sent)',
    );
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UsageError(`cannot read ${shownPath(file)}: ${(error as Error).message}`, 'check the file and its permissions');
  }
  if (!create) return undefined;
  if (create.sentBefore > 0) {
    throw new UsageError(
      `no campaign secret (INVITE_SECRET is not set and ${shownPath(file)} does not exist), but the journal records ${create.sentBefore} message${create.sentBefore === 1 ? '' : 's'} sent with one`,
      `set INVITE_SECRET to the secret they were sent with, or restore ${shownPath(file)} (commit it, or store it as the CI secret INVITE_SECRET); to start a new one anyway (bounces and unsubscribe requests for the messages already sent will then not verify): openssl rand -hex 32 > ${shownPath(file)}`,
    );
  }
  const secret = newSecret();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, secret + '\n', { flag: 'wx', mode: 0o600 });
  return secret;
}
