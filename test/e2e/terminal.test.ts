// The sending commands at a real terminal (a pseudo terminal, its screen rendered as a person
// sees it): Ctrl-C at the confirmation, and Ctrl-C while the progress bar runs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { campaignCopy, edit } from '../helpers/campaign.js';
import { manyContacts } from '../helpers/delivery.js';
import { expectNothingArrived, startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { runInTerminal } from '../helpers/terminal.js';

let smtp: TestSmtp | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

const NOW = '2026-11-28T10:00:00Z';

describe('Ctrl-C on a terminal', () => {
  it('at "Send 9 invitations …?": warnings shown above it; Ctrl-C: exit 130, "Nothing sent.", no stack, nothing sent, no lock left', async () => {
    smtp = await startSmtp({ plain: true });
    const dir = campaignCopy();
    edit(path.join(dir, 'contacts/competence-centres.csv'), (csv) => csv.replace('info@cc-estonia.example.org,Tõnu Põld,', 'info@cc-estonia.example.org,,'));
    const t = runInTerminal(['send', '--smtp', smtp.url, '--now', NOW], { cwd: dir });
    const question = 'Send 9 invitations through 127.0.0.1 as biser@example.org?';
    await t.waitFor(question);
    const asked = await t.screen();
    const warning = asked.findIndex((l) => l.startsWith('warning: contacts/competence-centres.csv:name: "name" is used by the templates but empty on line 3'));
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(asked.findIndex((l) => l.includes(question)));
    t.type('\x03');
    const result = await t.done;
    expect(result.code).toBe(130);
    const screen = (await t.screen()).join('\n');
    expect(screen).toMatch(/^Nothing sent\.$/m);
    expect(screen).not.toMatch(/internal error|ExitPromptError|at .*\.js:\d+/);
    expect(existsSync(path.join(dir, '.invite/journal.jsonl.lock'))).toBe(false);
    await expectNothingArrived(smtp);
  });

  it('while sending: the "Stopping" notice and the summary stay readable under the progress bar', async () => {
    // One connection, a slow server and 40 contacts: Ctrl-C lands mid-run however slow the machine.
    smtp = await startSmtp({ plain: true, delayMs: 300 });
    const dir = campaignCopy();
    const t = runInTerminal(['send', '--smtp', smtp.url, '--now', NOW, '--connections', '1', '--contacts', manyContacts(40)], { cwd: dir });
    await t.waitFor('Send 40 invitations');
    t.type('y\r');
    await t.waitFor(/sending \[.*\] [1-9]\/40 sent/);
    t.type('\x03');
    const result = await t.done;
    expect(result.code).toBe(130);
    const screen = await t.screen();
    expect(screen).toContain('Stopping: no new messages; waiting for those in flight (press Ctrl-C again to quit at once).');
    const sent = screen.find((l) => l.startsWith('Sent '));
    expect(sent).toMatch(/^Sent \d+ invitations? through 127\.0\.0\.1:\d+ as biser@example\.org\.$/);
    expect(screen.find((l) => l.startsWith('Interrupted: '))).toMatch(/^Interrupted: \d+ not sent; run the same command again to send them\.$/);
    // The bar's last state is still there, above the summary, not drawn over it.
    const bar = screen.findIndex((l) => l.startsWith('sending ['));
    expect(bar).toBeGreaterThanOrEqual(0);
    expect(bar).toBeLessThan(screen.indexOf(sent!));
    await smtp.close();
    const count = Number(/^Sent (\d+)/.exec(sent!)![1]);
    expect(smtp.received.length).toBe(count);
    expect(count).toBeLessThan(40);
  });
});
