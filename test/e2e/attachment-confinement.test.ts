// "Any file on the machine can be attached" (issue 10): a partner's CSV names the files, so a
// row's attachment must be a regular file inside the campaign folder (or attachments_dir),
// with symlinks resolved, within the size limits; `validate`, the dry run and the send refuse
// the same rows with the real reason, and nothing leaves.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';

const withColumn =
  (file = 'contacts/partner.csv') =>
  (y: string) =>
    y.replace('contacts: contacts/competence-centres.csv', `contacts:\n  file: ${file}\n  attachment_column: file`);

/** A campaign whose contacts name `files`, one row each, addresses r1@example.org, r2@… */
function campaignNaming(files: string[], edit: (y: string) => string = (y) => y): string {
  const dir = campaignCopy((y) => edit(withColumn()(y)));
  writeFileSync(
    path.join(dir, 'contacts', 'partner.csv'),
    ['email,name,organisation,file', ...files.map((f, i) => `r${i + 1}@example.org,Row ${i + 1},Partner,"${f}"`)].join('\n') + '\n',
  );
  return dir;
}

describe('attachments named by a row', () => {
  it('absolute paths, "..", a symlink out, /proc/self/environ, a FIFO, a folder, a sparse 6 MB file and .env are each refused with the real reason; validate, --dry-run and --out alike', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'invite-outside-'));
    writeFileSync(path.join(outside, 'secret.txt'), 'not for the partner\n');
    const dir = campaignNaming([
      '/etc/passwd',
      '../../../../../../../../etc/hostname',
      'files/link-out.txt',
      '/proc/self/environ',
      'files/fifo',
      'files',
      'files/huge.bin',
      '.env',
      'contacts/partner.csv',
      'files/ok.txt',
    ]);
    mkdirSync(path.join(dir, 'files'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'files', 'link-out.txt'));
    execFileSync('mkfifo', [path.join(dir, 'files', 'fifo')]);
    writeFileSync(path.join(dir, 'files', 'huge.bin'), '');
    truncateSync(path.join(dir, 'files', 'huge.bin'), 6 * 1024 * 1024); // sparse: no disk used
    writeFileSync(path.join(dir, '.env'), 'SMTP_PASS=hunter2\n');
    writeFileSync(path.join(dir, 'files', 'ok.txt'), 'fine\n');

    const expected = [
      [2, 'attachment "/etc/passwd" is outside the campaign folder'],
      [3, 'attachment "../../../../../../../../etc/hostname" is outside the campaign folder'],
      [4, `attachment "files/link-out.txt" is outside the campaign folder (it leads to ${path.join(outside, 'secret.txt')})`],
      [5, 'attachment "/proc/self/environ" is outside the campaign folder'],
      [6, 'attachment "files/fifo" is not a regular file (a device, pipe or socket)'],
      [7, 'attachment "files" is a folder, not a file'],
      [8, 'attachment "files/huge.bin" is 6.0 MB, over the limit of 5.0 MB per attachment'],
      [9, 'attachment ".env" is a hidden file or lies in a hidden folder'],
      [10, 'attachment "contacts/partner.csv" is one of the campaign\'s own files (invite.yaml or the contacts)'],
    ] as const;

    const validate = await runCli(['validate'], { cwd: dir, env: { SMTP_PASS: 'hunter2' } });
    expect(validate.code).toBe(1); // validate: errors were found
    for (const [line, message] of expected) expect(validate.stdout).toContain(`contacts/partner.csv:${line}:file: ${message}`);
    expect(validate.stdout).not.toContain('files/ok.txt');
    expect(validate.stdout).toContain('leaves out 9 rows');

    const dry = await runCli(['send', '--dry-run'], { cwd: dir });
    expect(dry.code).toBe(2);
    for (const [line, message] of expected) expect(dry.stderr).toContain(`contacts/partner.csv:${line}:file: ${message}`);
    expect(dry.stdout).not.toContain('── message');

    const out = path.join(dir, 'out');
    const written = await runCli(['send', '--out', out], { cwd: dir });
    expect(written.code).toBe(2);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('a file inside the campaign, also through a symlink that stays inside, goes; the dry run shows its real size', async () => {
    const dir = campaignNaming(['files/agenda.txt', 'files/alias.txt']);
    mkdirSync(path.join(dir, 'files'));
    writeFileSync(path.join(dir, 'files', 'agenda.txt'), 'x'.repeat(3000));
    symlinkSync('agenda.txt', path.join(dir, 'files', 'alias.txt'));
    const dry = await runCli(['send', '--dry-run', '--all'], { cwd: dir });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('  agenda.txt (2.9 KB)');
    expect(dry.stdout).toContain('  alias.txt (2.9 KB)');
  });

  it('attachments_dir names a second folder files may come from', async () => {
    const shared = mkdtempSync(path.join(os.tmpdir(), 'invite-shared-'));
    writeFileSync(path.join(shared, 'letter.txt'), 'hello\n');
    const name = path.join(shared, 'letter.txt');
    const refused = await runCli(['validate'], { cwd: campaignNaming([name]) });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`attachment "${name}" is outside the campaign folder`);

    const dir = campaignNaming([name], (y) => `${y}attachments_dir: ${shared}\n`);
    const allowed = await runCli(['validate'], { cwd: dir });
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
  });

  it("a message over sending.max_message_size is refused for that row, counting the campaign's own attachments", async () => {
    const dir = campaignNaming(['files/a.bin', 'files/b.bin'], (y) => `${y}sending:\n  max_message_size: 400 KB\n`);
    mkdirSync(path.join(dir, 'files'));
    writeFileSync(path.join(dir, 'files', 'a.bin'), Buffer.alloc(100 * 1024));
    writeFileSync(path.join(dir, 'files', 'b.bin'), Buffer.alloc(300 * 1024));
    const result = await runCli(['validate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /contacts\/partner\.csv:3:file: with its attachments \(Programme – Social Innovation in BSR 2nd workshop\.pdf [\d.]+ KB, b\.bin 300\.0 KB\) the message would be about [\d.]+ KB, over the limit of 400\.0 KB/,
    );
    expect(result.stdout).not.toContain('partner.csv:2:');
  });
});
