// Issue 23, point 2: a row of megabytes (one giant cell, or a double quote never closed) is
// refused as soon as it passes a million characters: exit 2 naming the file and the line where
// the row starts, for the contacts and for a registrations export alike. The heap is capped at
// 64 MB to show the file is never held whole (joined chunk by chunk, a 40 MB cell took the
// memory and the time of the whole file, quadratically).
import { createWriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';

const CAPPED = { NODE_OPTIONS: '--max-old-space-size=64' };

/** A CSV with a header, one good row, then `body` written in pieces (never held whole here either). */
async function writeCsv(file: string, header: string, good: string, start: string, piece: string, pieces: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${header}\n${good}\n${start}`);
  for (let i = 0; i < pieces; i++) if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((resolve, reject) => out.end('\n', () => resolve()).on('error', reject));
}

describe('a row of megabytes', () => {
  /** The shipped campaign's dry run, its contacts a good row and then a third line begun with `start` and `piece` written `pieces` times. */
  async function dryRunOfRows(start: string, piece: string, pieces: number) {
    const dir = campaignCopy();
    const csv = path.join(dir, 'contacts', 'competence-centres.csv');
    await writeCsv(csv, 'email,name,organisation,country,timezone', 'ada@example.org,Ada,Org,Latvia,', start, piece, pieces);
    return runCli(['send', '--dry-run', '--now', '2026-11-27T12:00'], { cwd: dir, env: CAPPED });
  }

  it('a 120 MB cell in the contacts: exit 2 at its line, within a 64 MB heap', async () => {
    const result = await dryRunOfRows('bob@example.org,Bob,', 'x'.repeat(1 << 20), 120);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('contacts/competence-centres.csv:3: the row starting on this line is over 1 million characters long');
    expect(result.stderr).toContain('a cell can hold at most contacts.max_cell_size characters (4,096 unless invite.yaml says otherwise)');
  });

  it('a double quote left open: the rest of the file is one row, refused the same way', async () => {
    const result = await dryRunOfRows('bob@example.org,"Bob,', 'carl@example.org,Carl,Org,Latvia,\n'.repeat(1 << 14), 8);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('competence-centres.csv:3: the row starting on this line');
    expect(result.stderr).toContain('a double quote of this row is left open');
  });

  it('a registrations export with a 40 MB cell: exit 2 naming it', async () => {
    const dir = campaignCopy();
    const export_ = path.join(dir, 'registrations.csv');
    await writeCsv(export_, 'email,comment', 'ada@example.org,fine', 'bob@example.org,', 'y'.repeat(1 << 20), 40);
    const result = await runCli(['remind', '--dry-run', '--now', '2027-04-18T09:00', '--registered', 'registrations.csv'], { cwd: dir, env: CAPPED });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('registrations.csv:3: the row starting on this line is over 1 million characters long');
  });
});

describe('contacts.max_cell_size', () => {
  const NOTE = 'n'.repeat(5000);
  /** The shipped campaign with a note column, one row's note 5,000 characters long, and `contacts:` as given. */
  function withLongNote(contacts: string): string {
    const dir = campaignCopy((yaml) => yaml.replace(/^contacts: .*$/m, contacts));
    const rows = ['email,name,organisation,note', 'ada@example.org,Ada,Org,short', `bob@example.org,Bob,Org,${NOTE}`];
    writeFileSync(path.join(dir, 'contacts', 'notes.csv'), rows.join('\n') + '\n');
    return dir;
  }

  it('a cell over the default 4,096 characters: exit 2 naming the row and the column, and the key that raises it', async () => {
    const dir = withLongNote('contacts: contacts/notes.csv');
    const result = await runCli(['validate', '--now', '2026-11-27T12:00'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain('contacts/notes.csv:3:note: "note" is 5,000 characters long; at most 4,096 are allowed');
    expect(result.stdout + result.stderr).toContain('raise contacts.max_cell_size in invite.yaml');
  });

  it('max_cell_size: 8 KB takes it; 1 KB refuses a shorter one; 2 MB is refused as a key', async () => {
    const raised = withLongNote('contacts:\n  file: contacts/notes.csv\n  max_cell_size: 8 KB');
    expect((await runCli(['validate', '--now', '2026-11-27T12:00'], { cwd: raised })).code).toBe(0);
    const lowered = withLongNote('contacts:\n  file: contacts/notes.csv\n  max_cell_size: 1 KB');
    const low = await runCli(['validate', '--now', '2026-11-27T12:00'], { cwd: lowered });
    expect(low.stdout + low.stderr).toContain('"note" is 5,000 characters long; at most 1,024 are allowed');
    const wrong = withLongNote('contacts:\n  file: contacts/notes.csv\n  max_cell_size: 2 MB');
    const bad = await runCli(['send', '--dry-run', '--now', '2026-11-27T12:00'], { cwd: wrong });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invite\.yaml:\d+:contacts\.max_cell_size: "2 MB" is not a cell size from 1 character to 1 MB/);
  });
});
