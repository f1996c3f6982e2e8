// Issue 23, point 9: the gallery is bounded and confined. At most --limit pages (default 500),
// with a note of how many were left out; never written through a symbolic link planted in the
// folder (O_NOFOLLOW); never into a folder that holds other files, unless --force.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';

const NOW = '2026-11-27T12:00';

function campaignOf(rows: number): string {
  const dir = campaignCopy();
  const lines = ['email,name,organisation,country,timezone'];
  for (let i = 1; i <= rows; i++) lines.push(`p${i}@example.org,Person ${i},Org ${i},Latvia,`);
  writeFileSync(path.join(dir, 'contacts', 'competence-centres.csv'), lines.join('\n') + '\n');
  return dir;
}

const pages = (out: string) => readdirSync(out).filter((f) => /^\d{3,}-.*\.html$/.test(f));

describe('the gallery, bounded and confined', () => {
  it('2,000 contacts: 500 pages and a note of the 1,500 left out; --limit sets the bound', async () => {
    const dir = campaignOf(2_000);
    const out = path.join(dir, 'gallery');
    const result = await runCli(['preview', '--out', out, '--now', NOW], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(pages(out)).toHaveLength(500);
    expect(result.stderr).toContain('500 to send, 1500 more left out by --limit.');
    const again = await runCli(['preview', '--out', out, '--limit', '3', '--now', NOW], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(path.join(out, 'index.html'), 'utf8').match(/<tr/g)?.length).toBeLessThan(10);
  });

  // A run writes its files into --out; the same run again finds a symbolic link where the first
  // of them goes (pointing at a file of the organiser's): it must stop, and not write through it.
  for (const [what, command, first] of [
    ['a page of the gallery', ['preview'], (out: string) => pages(out)[0]!],
    ['an .eml file of send --out', ['send'], (out: string) => readdirSync(out).sort()[0]!],
  ] as const) {
    it(`a symbolic link planted where ${what} goes is not written through: exit 2, its target unchanged`, async () => {
      const dir = campaignOf(3);
      const out = path.join(dir, 'out');
      expect((await runCli([...command, '--out', out, '--now', NOW], { cwd: dir })).code).toBe(0);
      const file = first(out);
      const target = path.join(dir, 'precious.txt');
      writeFileSync(target, 'keep me\n');
      rmSync(path.join(out, file));
      symlinkSync(target, path.join(out, file));
      const result = await runCli([...command, '--out', out, '--now', NOW], { cwd: dir });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`${file} is a symbolic link; nothing is written through it`);
      expect(readFileSync(target, 'utf8')).toBe('keep me\n');
    });
  }

  it('a folder holding other files is refused unless --force; an earlier gallery is written again', async () => {
    const dir = campaignOf(3);
    const out = path.join(dir, 'notes');
    mkdirSync(out);
    writeFileSync(path.join(out, 'minutes.txt'), 'mine\n');
    const refused = await runCli(['preview', '--out', out, '--now', NOW], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not empty (1 entry) and holds no gallery invite wrote');
    expect(existsSync(path.join(out, 'index.html'))).toBe(false);
    const forced = await runCli(['preview', '--out', out, '--force', '--now', NOW], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(path.join(out, 'minutes.txt'), 'utf8')).toBe('mine\n');
    // Now it holds a gallery: a second preview writes it again without --force.
    expect((await runCli(['preview', '--out', out, '--now', NOW], { cwd: dir })).code).toBe(0);
  });
});
