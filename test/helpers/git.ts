// git as the organiser runs it, for the tests that go through a repository (the scheduled job
// clones, commits the journal back, pushes): an author of its own, no system configuration.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv } from './cli.js';

const exec = promisify(execFile);

export const GIT_ENV = cleanEnv({
  GIT_AUTHOR_NAME: 'Organiser',
  GIT_AUTHOR_EMAIL: 'organiser@example.org',
  GIT_COMMITTER_NAME: 'Organiser',
  GIT_COMMITTER_EMAIL: 'organiser@example.org',
  GIT_CONFIG_NOSYSTEM: '1',
});

export const git = (cwd: string, ...args: string[]) => exec('git', args, { cwd, env: GIT_ENV });

/** `dir` made a repository (branch main) with everything in it committed, and a bare origin beside it: the origin's path. */
export async function repositoryWithOrigin(dir: string): Promise<string> {
  const origin = mkdtempSync(path.join(os.tmpdir(), 'invite-origin-'));
  await git(origin, 'init', '--bare', '--quiet', '-b', 'main');
  await git(dir, 'init', '--quiet', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '--quiet', '-m', 'The campaign');
  await git(dir, 'remote', 'add', 'origin', origin);
  return origin;
}
