// Issue 23, point 5: a journal that cannot be written is found before the first message — a
// clean exit 2 that says which and why, nothing sent — not a crash (exit 70), and not after
// the first messages went out. Run as another user when the tests run as root (root writes
// anywhere), as CI's containers do.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { BIN, cleanEnv, type CliResult } from '../helpers/cli.js';
import { expectNothingArrived, startSmtp } from '../helpers/smtp.js';

const NOBODY = 65534;
const root = process.getuid?.() === 0;

/** invite ARGS in `cwd`, as the user `nobody` when the tests run as root. */
function runAsUser(args: string[], cwd: string): Promise<CliResult> {
  const command = root ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath] : [process.execPath];
  const child = spawn(command[0]!, [...command.slice(1), BIN, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The user the CLI runs as owns `file`. */
const ownedByUser = (file: string) => (root ? chownSync(file, NOBODY, NOBODY) : undefined);

describe('a journal that cannot be written', () => {
  it('a folder where the journal cannot be made, and a read-only journal: exit 2 naming it, nothing sent', async () => {
    const smtp = await startSmtp({ plain: true });
    try {
      // The campaign readable by that user, but its folder not writable (root's, 0755; or 0555).
      const folder = campaignCopy();
      chmodSync(folder, root ? 0o755 : 0o555);
      const send = ['send', '--smtp', smtp.url, '--yes', '--now', '2026-11-27T12:00'];
      const noFolder = await runAsUser(send, folder);
      expect(noFolder.code, noFolder.stderr).toBe(2);
      expect(noFolder.stderr).toContain("cannot write in the journal's folder .invite");
      expect(noFolder.stderr).toContain('nothing was sent');
      expect(noFolder.stderr).not.toContain('internal error');

      // A writable folder, a read-only journal.
      const file = campaignCopy();
      chmodSync(file, 0o755);
      mkdirSync(path.join(file, '.invite'));
      ownedByUser(path.join(file, '.invite'));
      writeFileSync(path.join(file, '.invite', 'journal.jsonl'), '');
      ownedByUser(path.join(file, '.invite', 'journal.jsonl'));
      chmodSync(path.join(file, '.invite', 'journal.jsonl'), 0o444);
      const readOnly = await runAsUser(send, file);
      expect(readOnly.code, readOnly.stderr).toBe(2);
      expect(readOnly.stderr).toContain('the journal .invite/journal.jsonl cannot be written (EACCES); nothing was sent');

      await expectNothingArrived(smtp);
    } finally {
      await smtp.close();
    }
  });
});
