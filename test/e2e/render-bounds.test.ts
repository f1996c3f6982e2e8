// Bounded rendering (issue 23, point 3): the message limit (sending.max_message_size, 10 MB)
// counts the rendered subject, HTML and text. Nested {{#each}} loops multiply text: rendering
// stops as soon as a message passes the limit, and that row is an error naming the template, the
// row and the reason. Found on the first message, nothing is sent (exit 2); on a later row, that
// row is not delivered and the others go out (exit 1).
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCopy, edit } from '../helpers/campaign.js';
import { runCli, tmpJournal } from '../helpers/cli.js';
import { journalLines } from '../helpers/delivery.js';
import { expectNothingArrived, startSmtp, whenReceived } from '../helpers/smtp.js';

const NOW = '2026-11-27T12:00';
const loops = (depth: number, body: string) => '{{#each @root.event}}'.repeat(depth) + body + '{{/each}}'.repeat(depth);

/** A copy of the shipped campaign whose text letter ends with `line`. */
function withText(line: string): string {
  const dir = campaignCopy();
  appendFileSync(path.join(dir, 'templates', 'invitation.txt.hbs'), `${line}\n`);
  return dir;
}

describe('a template that renders more than the message limit', () => {
  it('loops writing about 310 MB: exit 2 on the first message, before any byte is sent, naming the template and the row; a 200 MB heap is enough', async () => {
    // 12 event parts, five loops deep: 248,832 passes, each writing the description (about 310
    // characters) four times: some 300 MB of text, which the code before this wrote whole.
    const dir = withText(loops(5, '{{@root.event.description}}'.repeat(4)));
    const smtp = await startSmtp({ plain: true });
    try {
      const env = { NODE_OPTIONS: '--max-old-space-size=200' };
      for (const args of [
        ['send', '--dry-run'],
        ['send', '--smtp', smtp.url, '--yes', '--journal', tmpJournal()],
        ['send', '--out', path.join(dir, 'out')],
      ]) {
        const result = await runCli([...args, '--now', NOW], { cwd: dir, env });
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
        expect(result.stderr).toContain(
          'templates/invitation.txt.hbs: the text rendered for info@cc-denmark.example.org (contacts/competence-centres.csv, line 2) is too large: it passed the message limit of 10.0 MB (sending.max_message_size, less the attachments); rendering stopped',
        );
        expect(result.stdout).not.toContain('Not delivered');
      }
      await expectNothingArrived(smtp);
    } finally {
      await smtp.close();
    }
  });

  it('a limit of 200 KB (sending.max_message_size) counts the HTML as well', async () => {
    const dir = campaignCopy((yaml) => `${yaml}\nsending:\n  max_message_size: 200 KB\n`);
    // 1,728 passes writing the description: some 530 KB of HTML.
    edit(path.join(dir, 'templates', 'invitation.html.hbs'), (html) => html.replace('</body>', `${loops(3, '{{@root.event.description}}')}</body>`));
    const result = await runCli(['send', '--dry-run', '--now', NOW], { cwd: dir });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      /templates\/invitation\.html\.hbs: the HTML rendered for info@cc-denmark\.example\.org .* is too large: it passed the message limit of 200\.0 KB/,
    );
  });

  it('loops that write nothing still end: over a million passes is the same error', async () => {
    const dir = withText(loops(7, ''));
    const result = await runCli(['send', '--dry-run', '--now', NOW], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is too large: its loops ran over 1,000,000 times; rendering stopped');
  });

  it('a long cell on one row: that row is not delivered, with the reason; the others go out (exit 1)', async () => {
    const dir = campaignCopy((yaml) => yaml.replace('competence-centres.csv', 'programme.csv'));
    const rows = ['email,name,organisation,programme', 'a@example.org,Ada,A,short', 'b@example.org,Ben,B,' + 'p'.repeat(4000), 'c@example.org,Cy,C,short'];
    writeFileSync(path.join(dir, 'contacts', 'programme.csv'), rows.join('\n') + '\n');
    // 20,736 passes: 104 KB for "short", 83 MB for the long cell.
    appendFileSync(path.join(dir, 'templates', 'invitation.txt.hbs'), loops(4, '{{@root.programme}}') + '\n');
    const journal = tmpJournal();
    const smtp = await startSmtp({ plain: true });
    try {
      const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--journal', journal, '--now', NOW], { cwd: dir });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toMatch(
        /^Not delivered: b@example\.org: templates\/invitation\.txt\.hbs: the text rendered for b@example\.org \(contacts\/programme\.csv, line 3\) is too large: it passed the message limit/m,
      );
      await whenReceived(smtp, 2);
      await smtp.close();
      expect(smtp.received.map((m) => m.envelope.to[0]).sort()).toEqual(['a@example.org', 'c@example.org']);
      // Two connections: either may be accepted first.
      expect(
        journalLines(journal)
          .map((l) => [l.recipient, l.status])
          .sort(),
      ).toEqual([
        ['a@example.org', 'accepted'],
        ['c@example.org', 'accepted'],
      ]);
    } finally {
      await smtp.close();
    }
  });
});
