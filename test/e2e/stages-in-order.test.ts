// Issue 23, point 6: a reminder stage never goes to someone after a later stage of the same
// schedule did, whatever --now says (a clock set back, a replay): the week-before reminder is
// not sent after the day-before one went out.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { serverAndCampaignEachTest, whenReceived } from '../helpers/smtp.js';

const each = serverAndCampaignEachTest();
const invite = (command: string, now: string, extra: string[] = []) =>
  runCli([command, '--smtp', each.smtp.url, '--yes', '--now', now, ...extra], { cwd: each.dir });

describe('reminder stages in order', () => {
  it('after the day-before reminder went out, --now set back to the week before sends nothing, and says why', async () => {
    expect((await invite('send', '2026-11-27T12:00')).code).toBe(0);
    await whenReceived(each.smtp, 9);
    // The week-before stage was missed; the day-before one is the latest due: it goes.
    const dayBefore = await invite('remind', '2027-04-24T09:30');
    expect(dayBefore.code, dayBefore.stderr).toBe(0);
    expect(dayBefore.stderr).toContain('Reminder "day-before"');
    await whenReceived(each.smtp, 18);

    const setBack = await invite('remind', '2027-04-19T09:00', ['--json']);
    expect(setBack.code, setBack.stderr).toBe(0);
    expect(setBack.stderr).toContain('Reminder "week-before"');
    expect(setBack.stderr).toContain('9 had a later reminder');
    expect((JSON.parse(setBack.stdout) as { accepted: number }).accepted).toBe(0);
    expect(each.smtp.received).toHaveLength(18);

    // --to names one of them: told why not.
    const one = await invite('remind', '2027-04-19T09:00', ['--to', 'info@cc-latvia.example.org']);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('already had the later reminder "day-before"');
    expect(each.smtp.received).toHaveLength(18);
  });
});
