// The README's quick start, run as it is written (issue 22, point 8): every command of its
// fenced `sh` blocks, in a fresh folder, with `invite` the built CLI. Each must exit 0, and
// what the quick start says it makes must be there.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

/** The commands of the fenced sh blocks of a README section, one per line, comments dropped. */
export function quickStart(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no section "## ${heading}"`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
    block[1]!
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter(Boolean)
      .map((line) => line.split(/\s+/)),
  );
}

describe('the README', () => {
  it('its quick start runs as written: init, validate, a dry run, .eml files, the gallery, status', async () => {
    const commands = quickStart(readFileSync(path.join(ROOT, 'README.md'), 'utf8'), 'Quick start: a campaign of your own');
    expect(commands.length).toBeGreaterThanOrEqual(5);
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'invite-readme-'));
    for (const words of commands) {
      // Only invite itself: a line of anything else would not be the quick start.
      expect(words[0], words.join(' ')).toBe('invite');
      const result = await runCli(words.slice(1), { cwd, env: { INVITE_SECRET: undefined } });
      expect(result.code, `${words.join(' ')}\n${result.stderr}`).toBe(0);
    }
    const campaign = path.join(cwd, 'spring-meetup');
    expect(existsSync(path.join(campaign, 'invite.yaml'))).toBe(true);
    expect(readdirSync(path.join(campaign, 'out')).filter((f) => f.endsWith('.eml')).length).toBeGreaterThan(0);
    expect(existsSync(path.join(campaign, 'gallery', 'index.html'))).toBe(true);
  });
});
