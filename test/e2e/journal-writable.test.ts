// Issue 23, point 5: a journal that cannot be written is found before the first message — a
// clean exit 2 that says which and why, nothing sent — not a crash (exit 70), and not after
// the first messages went out. Root writes through any file mode, so when the suite runs as
// root (CI's containers) the folder and the file are made read-only by a read-only bind mount.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';
import { expectNothingArrived, startSmtp } from '../helpers/smtp.js';

const root = process.getuid?.() === 0;
const mounted: string[] = [];
afterEach(() => {
  for (const target of mounted.splice(0).reverse()) execFileSync('umount', [target]);
});

/** Makes a folder or a file read-only, for root too. */
function readOnly(target: string, mode: number): void {
  if (!root) return chmodSync(target, mode);
  execFileSync('mount', ['--bind', target, target]);
  mounted.push(target);
  execFileSync('mount', ['-o', 'remount,ro,bind', target]);
}

describe('a journal that cannot be written', () => {
  it('a folder where the journal cannot be made, and a read-only journal: exit 2 naming it, nothing sent', async () => {
    const smtp = await startSmtp({ plain: true });
    try {
      const send = ['send', '--smtp', smtp.url, '--yes', '--now', '2026-11-27T12:00'];
      const folder = campaignCopy();
      readOnly(folder, 0o555);
      const noFolder = await runCli(send, { cwd: folder });
      expect(noFolder.code, noFolder.stderr).toBe(2);
      expect(noFolder.stderr).toMatch(/cannot write in the journal's folder \.invite \((EACCES|EROFS|ENOENT: it could not be made)\); nothing was sent/);
      expect(noFolder.stderr).not.toContain('internal error');

      // A writable folder, a read-only journal.
      const file = campaignCopy();
      mkdirSync(path.join(file, '.invite'));
      writeFileSync(path.join(file, '.invite', 'journal.jsonl'), '');
      readOnly(path.join(file, '.invite', 'journal.jsonl'), 0o444);
      const readOnlyFile = await runCli(send, { cwd: file });
      expect(readOnlyFile.code, readOnlyFile.stderr).toBe(2);
      expect(readOnlyFile.stderr).toMatch(/the journal \.invite\/journal\.jsonl cannot be written \(E(ACCES|ROFS)\); nothing was sent/);

      await expectNothingArrived(smtp);
    } finally {
      await smtp.close();
    }
  });
});
