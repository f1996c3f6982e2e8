// Issue 23, point 2: a row of megabytes (one giant cell, or a double quote never closed) is
// refused as soon as it passes a million characters: exit 2 naming the file and the line where
// the row starts, for the contacts and for a registrations export alike. The heap is capped at
// 64 MB to show the file is never held whole (joined chunk by chunk, a 40 MB cell took the
// memory and the time of the whole file, quadratically).
import { createWriteStream } from 'node:fs';
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
  it('a 40 MB cell in the contacts: exit 2 at its line, within a 64 MB heap', async () => {
    const dir = campaignCopy();
    const csv = path.join(dir, 'contacts', 'competence-centres.csv');
    await writeCsv(csv, 'email,name,organisation,country,timezone', 'ada@example.org,Ada,Org,Latvia,', 'bob@example.org,Bob,', 'x'.repeat(1 << 20), 40);
    const result = await runCli(['send', '--dry-run', '--now', '2026-11-27T12:00'], { cwd: dir, env: CAPPED });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('contacts/competence-centres.csv:3: the row starting on this line is over 1 million characters long');
    expect(result.stderr).toContain('a cell can hold at most 4,096 characters');
  });

  it('a double quote left open: the rest of the file is one row, refused the same way', async () => {
    const dir = campaignCopy();
    const csv = path.join(dir, 'contacts', 'competence-centres.csv');
    await writeCsv(
      csv,
      'email,name,organisation,country,timezone',
      'ada@example.org,Ada,Org,Latvia,',
      'bob@example.org,"Bob,',
      'carl@example.org,Carl,Org,Latvia,\n'.repeat(1 << 14),
      8,
    );
    const result = await runCli(['send', '--dry-run', '--now', '2026-11-27T12:00'], { cwd: dir, env: CAPPED });
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
