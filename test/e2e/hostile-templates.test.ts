// Issue 23, point 4: a template reaches the contact's own columns and the documented variables,
// nothing else. Names every object inherits ({{constructor}}, {{toString}}, {{__proto__}}) are
// "no such variable" (exit 2, the template's line), not a crash (exit 70); {{log}} is no helper
// (it wrote to stdout, breaking --json and passing a cell's control characters to the terminal).
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';
import { expectNothingArrived, startSmtp } from '../helpers/smtp.js';

const SENT = '2026-11-27T12:00';

/** A copy of the shipped campaign whose text letter ends with `line` (its last line, 1-based). */
function withLine(line: string): { dir: string } {
  const dir = campaignCopy();
  appendFileSync(path.join(dir, 'templates', 'invitation.txt.hbs'), `${line}\n`);
  return { dir };
}

describe('what a template may reach', () => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    it(`{{${name}}}: no such variable, exit 2, nothing sent`, async () => {
      const { dir } = withLine(`{{${name}}}`);
      const smtp = await startSmtp({ plain: true });
      try {
        for (const args of [['validate'], ['send', '--dry-run'], ['send', '--smtp', smtp.url, '--yes']]) {
          const result = await runCli([...args, '--now', SENT], { cwd: dir });
          expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(args[0] === 'validate' ? 1 : 2);
          expect(result.stdout + result.stderr).toContain(`the template uses "{{${name}}}", but no contact column or built-in variable "${name}" exists`);
          expect(result.stdout + result.stderr).toMatch(/templates\/invitation\.txt\.hbs:\d+:3: /);
          expect(result.stderr).not.toContain('internal error');
        }
        await expectNothingArrived(smtp);
      } finally {
        await smtp.close();
      }
    });
  }

  it('{{log}} is no helper: exit 2 naming it, and nothing logged to stdout', async () => {
    const { dir } = withLine('{{log "LOGGED" name}}');
    const result = await runCli(['send', '--dry-run', '--json', '--now', SENT], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown helper "log"');
    expect(result.stdout).not.toContain('LOGGED');
  });
});
