// Every temporary folder the suite makes (campaign copies, journals, mail servers' folders, the
// CLI's own) goes into one folder per run, removed when the run ends: each run used to leave
// some 2,000 folders in /tmp. TMPDIR is set before the test files' workers start, so
// os.tmpdir() gives that folder in them and in every process they spawn.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'invite-tests-'));
  // Dovecot's unprivileged processes reach their sockets through it (test/helpers/imap.ts).
  chmodSync(scratch, 0o755);
  process.env.TMPDIR = scratch;
  return () => rmSync(scratch, { recursive: true, force: true });
}
