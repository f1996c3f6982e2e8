// The organiser's first weeks without surprises (issue 20, points 5-9): invalid rows settled once
// in invite.yaml and flagged in the preview; status words that say what they mean; no warning for
// an empty column a template guards; a new event.uid after a cancellation is a new event; and
// updates that keep the answers for a minor change and ask again for a new time or place.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edit } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';
import { readEvent } from '../helpers/ical.js';
import { serverAndCampaignEachTest, whenReceived, type Received } from '../helpers/smtp.js';

const UID = 'bsr-social-innovation-2027@example.org';
const SENT = '2026-11-27T12:00';

const each = serverAndCampaignEachTest();

const invite = (command: string, now: string, extra: string[] = []) =>
  runCli([command, '--smtp', each.smtp.url, '--yes', '--now', now, ...extra], { cwd: each.dir });
const calendarOf = (mail: Received) => readEvent(mail.parsed.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString('utf8'));

/** An iTIP REPLY as Apple Calendar sends it, into a folder `invite replies --dir` reads. */
function reply(folder: string, name: string, attendee: string, partstat: string, sequence: number, uid = UID): void {
  mkdirSync(folder, { recursive: true });
  const ics = `BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:-//Apple Inc.//macOS 15.1//EN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=${partstat}:mailto:${attendee}\r\nDTSTAMP:20261201T10${String(sequence).padStart(2, '0')}00Z\r\nSEQUENCE:${sequence}\r\nUID:${uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
  writeFileSync(
    path.join(folder, `${name}.eml`),
    `From: <${attendee}>\r\nTo: biser@example.org\r\nSubject: ${partstat}\r\nDate: Tue, 1 Dec 2026 10:15:00 +0000\r\nMessage-ID: <${name}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/calendar; charset=utf-8; method=REPLY\r\n\r\n${ics}`,
  );
}

describe('invalid rows, settled once', () => {
  const breakRow = () => edit(path.join(each.dir, 'contacts/competence-centres.csv'), (csv) => csv.replace('info@cc-estonia.example.org', 'not-an-address'));

  it('contacts.skip_invalid in invite.yaml: send leaves the row out and lists it; validate warns instead of failing', async () => {
    breakRow();
    edit(path.join(each.dir, 'invite.yaml'), (y) =>
      y.replace('contacts: contacts/competence-centres.csv', 'contacts:\n  file: contacts/competence-centres.csv\n  skip_invalid: true'),
    );
    const sent = await invite('send', SENT);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^Skipped \(invalid\): contacts\/competence-centres\.csv:3 not-an-address: /m);
    await whenReceived(each.smtp, 8);
    expect(each.smtp.received).toHaveLength(8);
    const validate = await runCli(['validate', '--now', SENT], { cwd: each.dir });
    expect(validate.code).toBe(0);
    expect(validate.stdout).toMatch(/Warnings \(\d+\):[\s\S]*contacts\/competence-centres\.csv:3:.*left out: contacts\.skip_invalid/);
  });

  it('invite preview shows the valid letters and flags the invalid row, instead of refusing', async () => {
    breakRow();
    const out = path.join(each.dir, 'gallery');
    const preview = await runCli(['preview', '--out', out, '--now', SENT], { cwd: each.dir });
    expect(preview.code).toBe(0);
    const index = readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(index).toContain('8 messages, as the recipients will see them');
    expect(index).toMatch(/1 invalid row: nothing would be sent to it until fixed[\s\S]*contacts\/competence-centres\.csv:3<\/td><td>not-an-address<\/td>/);
  });
});

describe('invite status says what it means', () => {
  it('"accepted by the server" apart from "said yes"; who was left out on purpose, and why; a cancelled event first; invalid rows counted', async () => {
    edit(path.join(each.dir, 'contacts/competence-centres.csv'), (csv) => csv.trimEnd() + '\nbroken-row\n');
    edit(path.join(each.dir, 'invite.yaml'), (y) =>
      y.replace('contacts: contacts/competence-centres.csv', 'contacts:\n  file: contacts/competence-centres.csv\n  skip_invalid: true'),
    );
    expect((await invite('send', SENT)).code).toBe(0);
    await whenReceived(each.smtp, 9);
    const replies = path.join(each.dir, 'replies');
    reply(replies, 'yes', 'info@cc-denmark.example.org', 'ACCEPTED', 0);
    reply(replies, 'no', 'info@cc-finland.example.org', 'DECLINED', 0);
    expect((await runCli(['replies', '--dir', replies], { cwd: each.dir })).code).toBe(0);
    writeFileSync(path.join(each.dir, 'registrations.csv'), 'email\ninfo@cc-latvia.example.org\n');
    expect((await invite('remind', '2027-04-18T09:30', ['--registered', 'registrations.csv'])).code).toBe(0);

    const status = await runCli(['status', '--registered', 'registrations.csv', '--now', '2027-04-18T10:00'], { cwd: each.dir });
    expect(status.code).toBe(0);
    const text = status.stdout;
    expect(text).toContain('contacts: 9 valid rows, 1 invalid row left out');
    expect(text).toMatch(/invitation\n {2}accepted by the server {2}9 /);
    expect(text).toMatch(
      /reminder:week-before\n {2}accepted by the server {2}7 [^\n]*\n {2}failed {18}0\n {2}left out: registered {4}1: info@cc-latvia\.example\.org\n {2}left out: declined {6}1: info@cc-finland\.example\.org\n {2}not yet sent {12}0\n/,
    );
    expect(text).toMatch(/ {2}said yes {16}1: info@cc-denmark\.example\.org/);
    expect(text).toMatch(/ {2}said no {17}1: info@cc-finland\.example\.org/);
    expect(text).not.toMatch(/^ {2}accepted {2,}\d/m);

    expect((await invite('cancel', '2027-04-19T09:00')).code).toBe(0);
    const after = await runCli(['status', '--json', '--now', '2027-04-19T10:00'], { cwd: each.dir });
    expect(JSON.parse(after.stdout)).toMatchObject({ cancelled: { sequence: 1 }, contacts: { valid: 9, invalid: 1 } });
    expect((await runCli(['status', '--now', '2027-04-19T10:00'], { cwd: each.dir })).stdout.split('\n')[1]).toMatch(
      /^CANCELLED: the cancellation went out on /,
    );
  });
});

describe('no false warnings', () => {
  it('an empty column the templates use only inside {{#if it}} is no warning (the starter letters); one used outside a guard still is', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'invite-starter-'));
    expect((await runCli(['init', 'starter-campaign', '--yes', '--now', SENT], { cwd: parent })).code).toBe(0);
    const starter = path.join(parent, 'starter-campaign');
    edit(path.join(starter, 'contacts/contacts.csv'), (csv) => csv.replace('Analytical Engines Ltd', ''));
    const quiet = await runCli(['send', '--dry-run', '--now', SENT], { cwd: starter });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    // This repository's letters print {{organisation}} unguarded: an empty one is worth the warning.
    edit(path.join(each.dir, 'contacts/competence-centres.csv'), (csv) => csv.replace(/^(info@cc-estonia\.example\.org,[^,]*),[^,]*,/m, '$1,,'));
    const warned = await runCli(['send', '--dry-run', '--now', SENT], { cwd: each.dir });
    expect(warned.stderr).toContain('"organisation" is used by the templates but empty on line 3');
  });
});

describe('re-inviting after a cancellation', () => {
  it('a new event.uid is a new event: everyone is invited again, with new Message-IDs; answers to the old UID do not count', async () => {
    expect((await invite('send', SENT)).code).toBe(0);
    await whenReceived(each.smtp, 9);
    expect((await invite('cancel', '2026-12-01T12:00')).code).toBe(0);
    await whenReceived(each.smtp, 18);
    const old = each.smtp.received.slice(0, 9).map((m) => m.parsed.messageId);
    edit(path.join(each.dir, 'invite.yaml'), (y) =>
      y.replace(
        '  url: https://events.example.org/bsr-social-innovation-2027\n',
        '  url: https://events.example.org/bsr-social-innovation-2027\n  uid: bsr-social-innovation-2027-b@example.org\n',
      ),
    );
    const again = await invite('send', '2026-12-02T12:00');
    expect(again.stderr).not.toContain('already sent');
    expect(again.code).toBe(0);
    await whenReceived(each.smtp, 27);
    const fresh = each.smtp.received.slice(18);
    expect(fresh.map((m) => calendarOf(m).uid)).toEqual(Array(9).fill('bsr-social-innovation-2027-b@example.org'));
    for (const id of fresh.map((m) => m.parsed.messageId)) expect(old).not.toContain(id);

    const replies = path.join(each.dir, 'replies');
    reply(replies, 'old-no', 'info@cc-denmark.example.org', 'DECLINED', 0);
    reply(replies, 'new-yes', 'info@cc-estonia.example.org', 'ACCEPTED', 0, 'bsr-social-innovation-2027-b@example.org');
    await runCli(['replies', '--dir', replies], { cwd: each.dir });
    const status = JSON.parse((await runCli(['status', '--json', '--now', '2026-12-03T12:00'], { cwd: each.dir })).stdout);
    expect(status).toMatchObject({ cancelled: null, rsvp: { accepted: 1, declined: 0 } });
  });
});

describe('updates that respect answers (RFC 5546)', () => {
  it('a new description keeps the SEQUENCE and each answer; a new time asks again (SEQUENCE up, answers reset); the letter keeps the deadline while it is ahead', async () => {
    expect((await invite('send', SENT)).code).toBe(0);
    await whenReceived(each.smtp, 9);
    const replies = path.join(each.dir, 'replies');
    reply(replies, 'yes', 'info@cc-denmark.example.org', 'ACCEPTED', 0);
    await runCli(['replies', '--dir', replies], { cwd: each.dir });

    edit(path.join(each.dir, 'invite.yaml'), (y) => y.replace('Programme attached to the invitation e-mail.', 'The programme (attached) now has a panel.'));
    const minor = await invite('update', '2026-12-01T12:00');
    expect(minor.code).toBe(0);
    expect(minor.stderr).toContain('Update at SEQUENCE 0 (a minor change: the answers given so far stand)');
    await whenReceived(each.smtp, 18);
    const minors = each.smtp.received.slice(9);
    expect(minors.map((m) => calendarOf(m).sequence)).toEqual(Array(9).fill(0));
    const denmark = minors.find((m) => m.envelope.to[0] === 'info@cc-denmark.example.org')!;
    expect(calendarOf(denmark).attendee?.partstat).toBe('ACCEPTED');
    expect(calendarOf(minors.find((m) => m.envelope.to[0] === 'info@cc-estonia.example.org')!).attendee?.partstat).toBe('NEEDS-ACTION');
    expect(denmark.parsed.text).toContain('The description has changed.');
    expect(denmark.parsed.text).toContain('Registration is open until Sunday 25 April 2027');
    expect(JSON.parse((await runCli(['status', '--json', '--now', '2026-12-01T13:00'], { cwd: each.dir })).stdout).rsvp.accepted).toBe(1);
    // Run again: the minor update is not sent twice.
    expect((await invite('update', '2026-12-01T13:00')).stderr).toContain('9 already sent, 0 to send.');

    edit(path.join(each.dir, 'invite.yaml'), (y) =>
      y.replace('start: 2027-05-06T09:00', 'start: 2027-05-06T10:00').replace('end: 2027-05-06T12:00', 'end: 2027-05-06T13:00'),
    );
    const moved = await invite('update', '2027-04-26T12:00');
    expect(moved.code).toBe(0);
    expect(moved.stderr).toContain('Update to SEQUENCE 1 (the time or the place changed: everyone is asked to answer again)');
    await whenReceived(each.smtp, 27);
    const majors = each.smtp.received.slice(18);
    expect(majors.map((m) => [calendarOf(m).sequence, calendarOf(m).attendee?.partstat])).toEqual(Array(9).fill([1, 'NEEDS-ACTION']));
    // The deadline (25 April) has passed: the letter no longer asks to register by it.
    expect(majors[0]!.parsed.text).not.toContain('Registration is open until');
    expect(JSON.parse((await runCli(['status', '--json', '--now', '2027-04-26T13:00'], { cwd: each.dir })).stdout).rsvp.accepted).toBe(0);
  });
});
