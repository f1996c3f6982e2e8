// The reminder schedule replayed with --now, and event changes that calendars follow
// (update, cancel), all against the in-process SMTP server.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCopy, edit } from '../helpers/campaign.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { physicalLines, readEvent } from '../helpers/ical.js';
import { serverAndCampaignEachTest, type Received, whenReceived } from '../helpers/smtp.js';

const NINE = readFileSync(path.join(ROOT, 'contacts/competence-centres.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(',')[0]!);

const each = serverAndCampaignEachTest();

function invite(command: string, now: string, extra: string[] = []) {
  return runCli([command, '--smtp', each.smtp.url, '--yes', '--now', now, ...extra], { cwd: each.dir });
}

/** Messages the server accepted since `from`, by recipient. */
function since(from: number): Received[] {
  return each.smtp.received.slice(from);
}

function recipients(list: Received[]): string[] {
  return list.map((m) => m.envelope.to[0]!).sort();
}

function calendarOf(mail: Received) {
  const alternative = mail.parsed.attachments.find((a) => a.contentType === 'text/calendar')!;
  const header = alternative.headers.get('content-type') as { params: Record<string, string> };
  const text = alternative.content.toString('utf8');
  return { text, event: readEvent(text), mimeMethod: header.params.method };
}

describe('invite remind, replayed day by day', () => {
  it('sends each stage once, to invited and unregistered people only, never early or late', async () => {
    // Invite eight of the nine; the European centre is never invited.
    expect((await invite('send', '2026-11-27T12:00', ['--limit', '8'])).code).toBe(0);
    await whenReceived(each.smtp, 8);
    const registrations = path.join(each.dir, 'registrations.csv');
    writeFileSync(registrations, 'Timestamp,Full name,E-mail\n2027-04-02,Søren Møller,INFO@cc-denmark.example.org\n');
    const remind = (now: string) => invite('remind', now, ['--registered', registrations]);

    let mark = each.smtp.received.length;
    const early = await remind('2027-04-10T09:00');
    expect(early.code).toBe(0);
    expect(early.stdout).toBe('No reminder due yet: the next reminder (week-before) is due on Sunday 18 April 2027, 09:00 CEST.\n');

    const first = await remind('2027-04-18T09:00');
    expect(first.code).toBe(0);
    await whenReceived(each.smtp, mark + 7);
    const stage1 = since(mark);
    const invitedUnregistered = NINE.slice(1, 8).sort();
    expect(recipients(stage1)).toEqual(invitedUnregistered);
    for (const m of stage1) {
      expect(m.parsed.subject).toBe('Reminder: register by Sunday 25 April 2027 – Social Innovation in BSR – 2nd workshop');
      expect(m.parsed.text).toContain('Days left to register: 7.');
      // A reminder is a letter: no calendar part, no invite.ics, nothing a client would read as an update.
      expect(m.raw.toString('latin1')).not.toMatch(/text\/calendar|invite\.ics|BEGIN:VCALENDAR/i);
      expect(m.parsed.attachments.map((a) => a.contentType)).toEqual(['application/pdf']);
    }

    // status counts a reminder against the invited only (the European centre was never invited).
    const status = JSON.parse((await runCli(['status', '--json', '--now', '2027-04-18T10:00'], { cwd: each.dir })).stdout);
    expect(status.kinds.find((k: { kind: string }) => k.kind === 'reminder:week-before')).toMatchObject({
      accepted: 7,
      notYetSent: ['info@cc-denmark.example.org'],
    });

    mark = each.smtp.received.length;
    const again = await remind('2027-04-18T16:00');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('7 already sent, 0 to send.');
    const later = await remind('2027-04-20T09:00');
    expect(later.code).toBe(0);
    expect(since(mark)).toHaveLength(0);

    // Estonia registers through the form; Finland's row is marked in the spreadsheet.
    writeFileSync(registrations, readFileSync(registrations, 'utf8') + '2027-04-21,Tõnu Põld,info@cc-estonia.example.org\n');
    edit(path.join(each.dir, 'contacts/competence-centres.csv'), (csv) =>
      csv
        .split('\n')
        .map((line, i) => (i === 0 ? `${line},registered` : line === '' ? line : `${line},${line.startsWith('info@cc-finland') ? 'x' : ''}`))
        .join('\n'),
    );
    const second = await remind('2027-04-24T09:00');
    expect(second.code).toBe(0);
    await whenReceived(each.smtp, mark + 5);
    const stage2 = since(mark);
    expect(recipients(stage2)).toEqual(NINE.slice(3, 8).sort());
    expect(stage2[0]!.parsed.subject).toMatch(/^Last call: registration closes Sunday 25 April 2027/);
    expect(stage2[0]!.parsed.messageId).toMatch(/^<reminder-day-before\./);
    expect(stage2[0]!.parsed.text).toContain('Days left to register: 1.');

    mark = each.smtp.received.length;
    const closed = await remind('2027-04-26T09:00');
    expect(closed.code).toBe(0);
    expect(closed.stdout).toBe('Registration closed on 25 April 2027, no reminder sent.\n');
    expect(since(mark)).toHaveLength(0);
  });

  it('a stage missed because no run happened goes out on the next run; a superseded one does not', async () => {
    expect((await invite('send', '2026-11-27T12:00', ['--limit', '2'])).code).toBe(0);
    await whenReceived(each.smtp, 2);
    const missed = await invite('remind', '2027-04-19T07:00');
    expect(missed.code).toBe(0);
    await whenReceived(each.smtp, 4);
    expect(each.smtp.received.slice(2).map((m) => m.parsed.subject)).toEqual([
      expect.stringMatching(/^Reminder: register by/),
      expect.stringMatching(/^Reminder: register by/),
    ]);

    const fresh = campaignCopy();
    each.dir = fresh;
    expect((await invite('send', '2026-11-27T12:00', ['--limit', '2'])).code).toBe(0);
    const skipped = await invite('remind', '2027-04-24T12:00', ['--json']);
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ command: 'remind', kind: 'reminder:day-before', accepted: 2 });
    await whenReceived(each.smtp, 8);
    expect(each.smtp.received.slice(6).map((m) => m.parsed.subject)).toEqual([expect.stringMatching(/^Last call/), expect.stringMatching(/^Last call/)]);
  });
});

describe('invite update and invite cancel', () => {
  it('update: same UID, SEQUENCE 1 then 2, the new time, what changed; cancel: METHOD:CANCEL, STATUS:CANCELLED; then everything else refuses', async () => {
    expect((await invite('send', '2026-11-27T12:00')).code).toBe(0);
    await whenReceived(each.smtp, 9);
    const unchanged = await invite('update', '2026-12-01T12:00');
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toContain('Nothing changed');
    expect(each.smtp.received).toHaveLength(9);

    // The workshop moves an hour later.
    edit(path.join(each.dir, 'invite.yaml'), (y) =>
      y.replace('start: 2027-05-06T09:00', 'start: 2027-05-06T10:00').replace('end: 2027-05-06T12:00', 'end: 2027-05-06T13:00'),
    );
    const moved = await invite('update', '2026-12-01T12:00');
    expect(moved.code).toBe(0);
    await whenReceived(each.smtp, 18);
    const update1 = each.smtp.received.slice(9);
    expect(recipients(update1)).toEqual([...NINE].sort());
    for (const m of update1) {
      const { event, mimeMethod, text } = calendarOf(m);
      expect(event).toMatchObject({
        method: 'REQUEST',
        uid: 'bsr-social-innovation-2027@example.org',
        sequence: 1,
        start: '2027-05-06T08:00:00.000Z',
        end: '2027-05-06T11:00:00.000Z',
      });
      expect(event.stamp).toBe('2026-12-01T11:00:00.000Z');
      expect(mimeMethod).toBe('REQUEST');
      for (const line of physicalLines(text)) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
      expect(m.parsed.text).toContain('Time: Thursday 6 May 2027, 09:00–12:00 CEST → Thursday 6 May 2027, 10:00–13:00 CEST');
      expect(m.parsed.subject).toBe('Changed: Social Innovation in BSR – 2nd workshop, now Thursday 6 May 2027, 10:00–13:00 CEST');
    }

    const rerun = await invite('update', '2026-12-01T13:00');
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain('9 already sent, 0 to send.');
    expect(each.smtp.received).toHaveLength(18);

    edit(path.join(each.dir, 'invite.yaml'), (y) => y.replace(/location: .*/, 'location: Tallinn, Estonia, and online'));
    const relocated = await invite('update', '2026-12-02T12:00');
    expect(relocated.code).toBe(0);
    await whenReceived(each.smtp, 27);
    const update2 = each.smtp.received.slice(18);
    expect(update2.map((m) => calendarOf(m).event.sequence)).toEqual(Array(9).fill(2));
    expect(update2[0]!.parsed.text).toContain('Place: Online (video conference; the link follows after registration) → Tallinn, Estonia, and online');
    expect(update2[0]!.parsed.text).not.toContain('Time:');

    // The published .ics follows: the latest SEQUENCE, the new place.
    const published = await runCli(['ics', '--out', '-', '--now', '2026-12-02T13:00'], { cwd: each.dir });
    expect(readEvent(published.stdout)).toMatchObject({ method: 'PUBLISH', sequence: 2, status: 'CONFIRMED' });

    const cancelled = await invite('cancel', '2026-12-03T12:00');
    expect(cancelled.code).toBe(0);
    await whenReceived(each.smtp, 36);
    const cancels = each.smtp.received.slice(27);
    expect(recipients(cancels)).toEqual([...NINE].sort());
    for (const m of cancels) {
      const { event, mimeMethod, text } = calendarOf(m);
      expect(event).toMatchObject({ method: 'CANCEL', status: 'CANCELLED', sequence: 3, uid: 'bsr-social-innovation-2027@example.org' });
      expect(mimeMethod).toBe('CANCEL');
      expect(text).not.toContain('BEGIN:VALARM');
      expect(m.parsed.attachments.filter((a) => a.contentType === 'application/pdf')).toEqual([]);
    }

    expect(readEvent((await runCli(['ics', '--out', '-', '--now', '2026-12-03T13:00'], { cwd: each.dir })).stdout).status).toBe('CANCELLED');

    for (const command of ['send', 'remind', 'update']) {
      const refused = await invite(command, '2026-12-04T12:00');
      expect(refused.code, command).toBe(2);
      expect(refused.stderr).toContain('the event was cancelled');
    }
    const again = await invite('cancel', '2026-12-04T12:00');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('9 already sent, 0 to send.');
    expect(each.smtp.received).toHaveLength(36);
  });
});
