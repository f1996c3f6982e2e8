// The attacks on `invite replies` (issue 21), each as a mail a stranger can send: a reply from
// someone who is not the attendee, forged bounces, a SEQUENCE no version had, calendars that do
// not parse, escape sequences, a 50 MB diagnostic, sources that loop or never end. None may
// change a partner's status, lock the journal, stop the reading, or reach the terminal raw.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { campaignCopy, edit } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';
import { journalLines } from '../helpers/delivery.js';
import { dovecotAvailable, imapClient, IMAP_PASS, IMAP_USER, startImap } from '../helpers/imap.js';
import { startSmtp, whenReceived, type TestSmtp } from '../helpers/smtp.js';

const UID = 'bsr-social-innovation-2027@example.org';
const SENT = '2026-11-27T12:00:00Z';
const DENMARK = 'info@cc-denmark.example.org';
const FINLAND = 'info@cc-finland.example.org';
const CRLF = (s: string) => s.replace(/\r?\n/g, '\r\n');

let smtp: TestSmtp;
let dir: string;
let mails: string;
beforeEach(async () => {
  smtp = await startSmtp({ plain: true });
  dir = campaignCopy();
  mails = path.join(dir, 'mails');
  mkdirSync(mails);
  expect((await runCli(['send', '--smtp', smtp.url, '--yes', '--now', SENT], { cwd: dir })).code).toBe(0);
  await whenReceived(smtp, 9);
});
afterEach(async () => {
  await smtp.close();
});

const journal = () => path.join(dir, '.invite', 'journal.jsonl');
const idOf = (address: string) => journalLines(journal()).find((l) => l.recipient === address && l.kind === 'invitation')!.messageId;

interface Reply {
  from: string;
  attendee: string;
  partstat?: string;
  sequence?: string;
  dtstamp?: string;
  uid?: string;
  sentBy?: string;
  headers?: string;
}

/** A REPLY as Apple Calendar sends it: the calendar as the whole body. */
function reply(name: string, r: Reply): void {
  const ics = CRLF(`BEGIN:VCALENDAR
METHOD:REPLY
PRODID:-//Apple Inc.//macOS 15.1//EN
VERSION:2.0
BEGIN:VEVENT
ATTENDEE;PARTSTAT=${r.partstat ?? 'DECLINED'}${r.sentBy ? `;SENT-BY="mailto:${r.sentBy}"` : ''}:mailto:${r.attendee}
DTSTAMP${r.dtstamp ?? ':20261201T101500Z'}
${r.sequence === undefined ? 'SEQUENCE:0' : `SEQUENCE:${r.sequence}`}
UID:${r.uid ?? UID}
END:VEVENT
END:VCALENDAR
`);
  writeFileSync(
    path.join(mails, `${name}.eml`),
    CRLF(`${r.headers ?? ''}From: <${r.from}>
To: biser@example.org
Subject: Reply
Date: Tue, 1 Dec 2026 10:15:00 +0000
Message-ID: <${name}@mail.example.com>
MIME-Version: 1.0
Content-Type: text/calendar; charset=utf-8; method=REPLY

`) + ics,
  );
}

/** A delivery status notification quoting `messageId` for `recipient`. */
function bounce(name: string, recipient: string, messageId: string, diagnostic = 'smtp; 550 5.1.1 user unknown'): void {
  writeFileSync(
    path.join(mails, `${name}.eml`),
    CRLF(`From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: biser@example.org
Subject: Undelivered Mail Returned to Sender
Date: Tue, 1 Dec 2026 10:20:00 +0000
Message-ID: <${name}@mx.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"

--dsn
Content-Type: text/plain

The mail could not be delivered.
--dsn
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; ${recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: ${diagnostic}
--dsn
Content-Type: text/rfc822-headers

From: biser@example.org
To: <${recipient}>
Message-ID: ${messageId}
--dsn--
`),
  );
}

const replies = async (extra: string[] = [], env: Record<string, string | undefined> = {}) => {
  const result = await runCli(['replies', '--dir', 'mails', '--json', '--now', '2026-12-02T12:00:00Z', ...extra], { cwd: dir, env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as {
    new: Record<string, number>;
    notCounted: { where: string; reason: string }[];
    skipped: { where: string; reason: string }[];
    unreadable: { where: string; reason: string }[];
  };
};
const reasons = (list: { where: string; reason: string }[]) => list.map((l) => [path.basename(l.where), l.reason]);
const status = async () => JSON.parse((await runCli(['status', '--json', '--now', '2026-12-02T13:00'], { cwd: dir })).stdout);

describe('who may answer', () => {
  it("a stranger's reply for a partner does not count; the partner's own does, and so does its delegate (SENT-BY)", async () => {
    reply('forged', { from: 'mallory@evil.example', attendee: DENMARK });
    reply('delegate', {
      from: 'assistant@cc-estonia.example.org',
      attendee: 'info@cc-estonia.example.org',
      partstat: 'ACCEPTED',
      sentBy: 'assistant@cc-estonia.example.org',
    });
    const read = await replies();
    expect(reasons(read.notCounted)).toEqual([['forged.eml', `From: mallory@evil.example is not the attendee ${DENMARK}`]]);
    expect(read.new).toMatchObject({ accepted: 1, declined: 0 });
    const s = await status();
    expect(s.attendees.declined).toEqual([]);
    expect(s.notCounted).toEqual([
      expect.objectContaining({ kind: 'reply', recipient: DENMARK, reason: `From: mallory@evil.example is not the attendee ${DENMARK}` }),
    ]);
    // Denmark is still reminded.
    const remind = await runCli(['remind', '--dry-run', '--now', '2027-04-18T09:30'], { cwd: dir });
    expect(remind.stdout).toContain(`<${DENMARK}>`);
  });

  it('with replies.trusted_authserv_id, only what that server authenticated counts', async () => {
    edit(path.join(dir, 'invite.yaml'), (y) => `${y}\nreplies:\n  trusted_authserv_id: mx.example.org\n`);
    const ar = (result: string, domain: string) => `Authentication-Results: mx.example.org;\n dkim=none;\n dmarc=${result} (p=none) header.from=${domain}\n`;
    reply('pass', { from: DENMARK, attendee: DENMARK, headers: ar('pass', 'cc-denmark.example.org') });
    reply('fail', { from: 'info@cc-latvia.example.org', attendee: 'info@cc-latvia.example.org', headers: ar('fail', 'cc-latvia.example.org') });
    reply('elsewhere', {
      from: 'info@cc-poland.example.org',
      attendee: 'info@cc-poland.example.org',
      headers: 'Authentication-Results: mx.attacker.example; dmarc=pass header.from=example.org\n',
    });
    reply('aligned-dkim', {
      from: 'info@cc-sweden.example.org',
      attendee: 'info@cc-sweden.example.org',
      headers: 'Authentication-Results: mx.example.org; dmarc=none; dkim=pass header.d=cc-sweden.example.org\n',
    });
    const read = await replies();
    expect(read.new.declined).toBe(2);
    expect(reasons(read.notCounted)).toEqual([
      ['elsewhere.eml', 'no Authentication-Results from mx.example.org (the receiving server invite.yaml trusts)'],
      ['fail.eml', 'mx.example.org did not authenticate cc-latvia.example.org: dmarc=fail, no aligned DKIM pass'],
    ]);
  });
});

describe('bounces nobody else can make', () => {
  it('bounces quoting Message-IDs computed as invite once made them (an unkeyed hash, with or without the UID) are not ours; Finland is still told of a cancellation', async () => {
    const digest = (data: string) => createHash('sha256').update(data).digest('hex').slice(0, 32);
    const guesses = [
      `<invitation.${digest(`bsr-social-innovation-2027\u0000invitation\u0000${FINLAND}`)}@example.org>`,
      `<invitation.${digest(`bsr-social-innovation-2027\u0000${UID}\u0000invitation\u0000${FINLAND}`)}@example.org>`,
    ];
    for (const guess of guesses) expect(guess).not.toBe(idOf(FINLAND));
    guesses.forEach((guess, i) => bounce(`forged-${i}`, FINLAND, guess));
    const read = await replies();
    expect(read.new.bounced).toBe(0);
    expect(reasons(read.skipped)).toEqual(guesses.map((guess, i) => [`forged-${i}.eml`, `a bounce of ${guess}, not a message of this campaign`]));
    const cancel = await runCli(['cancel', '--dry-run', '--all', '--now', '2026-12-02T13:00'], { cwd: dir });
    expect(cancel.stdout).toContain(`<${FINLAND}>`);
  });

  it('a quoted Message-ID that the journal names but that does not verify with the campaign secret does not count', async () => {
    bounce('real-id', FINLAND, idOf(FINLAND));
    const read = await replies([], { INVITE_SECRET: 'another-secret-of-sixteen-or-more' });
    expect(read.new.bounced).toBe(0);
    expect(reasons(read.notCounted)).toEqual([
      ['real-id.eml', `the quoted Message-ID ${idOf(FINLAND)} does not verify (not made with this campaign's secret for ${FINLAND})`],
    ]);
    // With the right secret it counts.
    const counted = await replies();
    expect(counted.new.bounced).toBe(0); // recorded once already, as not counted: the same mail is not read twice
    bounce('real-id-2', FINLAND, idOf(FINLAND));
    expect((await replies()).new.bounced).toBe(1);
  });

  it('a 50 MB diagnostic is kept to 1 kB; status reads the journal at once', async () => {
    bounce('huge', FINLAND, idOf(FINLAND), `smtp; 550 ${'A'.repeat(50 * 1024 * 1024)}`);
    expect((await replies()).new.bounced).toBe(1);
    const line = readFileSync(journal(), 'utf8').trim().split('\n').at(-1)!;
    expect(line.length).toBeLessThan(2048);
    expect(JSON.parse(line).bounce.diagnostic).toMatch(/^smtp; 550 A+…$/);
    expect((await status()).attendees.bounced).toEqual([FINLAND]);
  });
});

describe('answers in order, and a journal no mail can lock', () => {
  it('a journal an older invite wrote with a 50 MB line is read in linear time: the line is reported and skipped, status answers', async () => {
    const huge = {
      time: '2026-12-01T10:00:00.000Z',
      campaign: 'bsr-social-innovation-2027',
      kind: 'bounce',
      recipient: FINLAND,
      messageId: '<old@x>',
      uid: UID,
      status: 'received',
      bounce: { status: '5.1.1', diagnostic: 'A'.repeat(50 * 1024 * 1024) },
    };
    writeFileSync(journal(), readFileSync(journal(), 'utf8') + JSON.stringify(huge) + '\n');
    // Quadratic in the line's length, this took 34 s; that the reader copies each byte a bounded
    // number of times is test/journal.test.ts's (no test here asserts a time).
    const s = await runCli(['status', '--now', '2026-12-02T13:00'], { cwd: dir });
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/warning: journal line 10: this journal line is not a journal entry: "bounce\.diagnostic": .*; skipped/);
  });

  it.each([
    ['-1', 'SEQUENCE -1 is not a version that was sent (0 to 0)'],
    ['9007199254740993', 'SEQUENCE 9007199254740993 is not a version that was sent (0 to 0)'],
    ['2147483647', 'SEQUENCE 2147483647 is not a version that was sent (0 to 0)'],
  ])('SEQUENCE %s: not counted, and every command still reads the journal', async (sequence, reason) => {
    reply('sequence', { from: DENMARK, attendee: DENMARK, sequence });
    const read = await replies();
    expect(reasons(read.notCounted)).toEqual([['sequence.eml', reason]]);
    for (const command of [
      ['status'],
      ['send', '--dry-run'],
      ['remind', '--dry-run'],
      ['update', '--dry-run'],
      ['cancel', '--dry-run'],
      ['replies', '--dir', 'mails'],
    ]) {
      const result = await runCli([...command, '--now', '2026-12-02T13:00'], { cwd: dir });
      expect(result.code, command.join(' ')).toBe(0);
    }
  });

  it('a bad reply line an older invite wrote is reported and skipped, not fatal; a bad line of what was sent stays fatal', async () => {
    const bad = {
      time: '2026-12-01T10:00:00.000Z',
      campaign: 'bsr-social-innovation-2027',
      kind: 'reply',
      recipient: DENMARK,
      messageId: '<old@x>',
      uid: UID,
      status: 'received',
      reply: { partstat: 'DECLINED', sequence: -1 },
    };
    writeFileSync(journal(), readFileSync(journal(), 'utf8') + JSON.stringify(bad) + '\n');
    const s = await runCli(['status', '--now', '2026-12-02T13:00'], { cwd: dir });
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/warning: journal line 10: this journal line is not a journal entry: "reply\.sequence": .*; skipped/);
    const dry = await runCli(['remind', '--dry-run', '--now', '2027-04-18T09:30'], { cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('journal.jsonl:10: this journal line is not a journal entry');
    writeFileSync(
      journal(),
      readFileSync(journal(), 'utf8') + JSON.stringify({ ...bad, kind: 'invitation', status: 'accepted', reply: undefined, sequence: -1 }) + '\n',
    );
    expect((await runCli(['status'], { cwd: dir })).code).toBe(2);
  });

  it('calendars that do not parse, among good ones: the good ones count, the rest are listed, the reading goes on', async () => {
    reply('a-empty-stamp', { from: DENMARK, attendee: DENMARK, dtstamp: ':' });
    reply('b-date-stamp', { from: DENMARK, attendee: DENMARK, dtstamp: ';VALUE=DATE:20261201' });
    reply('c-future', { from: DENMARK, attendee: DENMARK, dtstamp: ':20271201T101500Z' });
    writeFileSync(path.join(mails, 'd-empty-part.eml'), CRLF(`From: <${DENMARK}>\nMessage-ID: <d@x>\nContent-Type: text/calendar; method=REPLY\n\n`));
    writeFileSync(
      path.join(mails, 'e-bad-base64.eml'),
      CRLF(
        `From: <${DENMARK}>\nMessage-ID: <e@x>\nContent-Type: text/calendar; method=REPLY\nContent-Transfer-Encoding: base64\n\n!!!!not base64 at all@@@@\n`,
      ),
    );
    reply('f-good', { from: 'info@cc-latvia.example.org', attendee: 'info@cc-latvia.example.org', partstat: 'ACCEPTED' });
    const read = await replies();
    expect(read.new.accepted).toBe(1);
    expect(reasons(read.notCounted)).toEqual([
      ['b-date-stamp.eml', 'no DTSTAMP date and time (when the answer was given)'],
      ['c-future.eml', 'a DTSTAMP in the future (2027-12-01T10:15:00.000Z)'],
    ]);
    expect(reasons(read.unreadable)).toEqual([
      ['a-empty-stamp.eml', 'a calendar that cannot be read (invalid date-time value: "--T::")'],
      ['d-empty-part.eml', 'an empty calendar part'],
      ['e-bad-base64.eml', expect.stringMatching(/^a calendar that cannot be read \(invalid line/)],
    ]);
  });
});

describe('nothing raw reaches the terminal', () => {
  it('escape sequences in a UID, a METHOD or an address are shown escaped by replies and status', async () => {
    reply('osc52', { from: DENMARK, attendee: 'x\u001b]52;c;cGF5bG9hZA==\u0007@evil.example', uid: `evil\u001b[2J${UID}` });
    writeFileSync(
      path.join(mails, 'method.eml'),
      CRLF(
        `From: <${DENMARK}>\nMessage-ID: <m@x>\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\nMETHOD:\u001b[2JREPLY\nBEGIN:VEVENT\nUID:${UID}\nEND:VEVENT\nEND:VCALENDAR\n`,
      ),
    );
    reply('attendee', { from: 'mallory@evil.example', attendee: `info\u001b[31m@cc-denmark.example.org` });
    const text = await runCli(['replies', '--dir', 'mails', '--now', '2026-12-02T12:00:00Z'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout + text.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text.stdout).toContain('\\x1B');
    const s = await runCli(['status', '--now', '2026-12-02T13:00'], { cwd: dir });
    expect(s.stdout + s.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});

describe('sources that do not crash or hang', () => {
  it('--dir: a link that loops and a link to nothing are passed over with a note; the mail beside them is read', async () => {
    reply('good', { from: DENMARK, attendee: DENMARK });
    symlinkSync('.', path.join(mails, 'loop'));
    symlinkSync('nowhere.eml', path.join(mails, 'dangling.eml'));
    const result = await runCli(['replies', '--dir', 'mails', '--now', '2026-12-02T12:00:00Z'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 new (1 declined)');
    expect(result.stdout).toMatch(/Passed over mails\/dangling\.eml: a link to nothing/);
    expect(result.stdout).toMatch(/Passed over mails\/loop: a link to a folder already read \(a loop\)/);
  });

  it.each([
    [
      'a file without a leading From line',
      () => (writeFileSync(path.join(dir, 'inbox'), 'Subject: hi\n\nbody\n'), 'inbox'),
      /is not an mbox file: it does not start with a "From " line/,
    ],
    ['a folder', () => 'mails', /mails: is a folder, not an mbox file/],
    ['/dev/zero', () => '/dev/zero', /is not a regular file \(a device or a pipe\)/],
  ])('--mbox on %s: exit 2 saying what it is', async (_, make, message) => {
    const result = await runCli(['replies', '--mbox', make()], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe.skipIf(!dovecotAvailable())('unsubscribe', () => {
  it('the List-Unsubscribe mail, read over IMAP: no more reminders or updates to that address, but the cancellation; a forged one does not count', async () => {
    const header = smtp.received.find((m) => m.envelope.to[0] === DENMARK)!.parsed.headers.get('list-unsubscribe') as { mail?: string; url?: string } | string;
    const raw = smtp.received.find((m) => m.envelope.to[0] === DENMARK)!.raw.toString();
    const link = /List-Unsubscribe:\s*<mailto:([^?>]+)\?subject=([^>]+)>/.exec(raw.replace(/\r\n\s+/g, ' '))!;
    expect(link[1]).toBe('biser@example.org');
    const subject = decodeURIComponent(link[2]!);
    expect(subject).toMatch(new RegExp(`^unsubscribe ${DENMARK} [0-9a-f]{20}$`));
    void header;
    const imap = await startImap();
    try {
      const client = await imapClient(imap);
      await client.append('INBOX', CRLF(`From: <${DENMARK}>\nTo: biser@example.org\nSubject: ${subject}\nMessage-ID: <unsub@cc-denmark.example.org>\n\n`));
      await client.append(
        'INBOX',
        CRLF(
          `From: <mallory@evil.example>\nTo: biser@example.org\nSubject: unsubscribe info@cc-latvia.example.org 0123456789abcdef0123\nMessage-ID: <unsub2@evil.example>\n\n`,
        ),
      );
      await client.logout();
      const env = { IMAP_URL: imap.url, IMAP_USER, IMAP_PASS, NODE_EXTRA_CA_CERTS: imap.caFile };
      const read = JSON.parse((await runCli(['replies', '--json', '--now', '2026-12-02T12:00:00Z'], { cwd: dir, env })).stdout);
      expect(read.new.unsubscribed).toBe(1);
      expect(reasons(read.notCounted)).toEqual([['INBOX UID 2', 'an unsubscribe request for info@cc-latvia.example.org whose token does not verify']]);
      expect(readFileSync(path.join(dir, '.invite/unsubscribed.csv'), 'utf8')).toMatch(
        new RegExp(`^email,date,campaign\\n${DENMARK},2026-12-02T12:00:00.000Z,bsr-social-innovation-2027\\n$`),
      );

      const remind = await runCli(['remind', '--dry-run', '--now', '2027-04-18T09:30'], { cwd: dir });
      expect(remind.stdout).not.toContain(`<${DENMARK}>`);
      expect(remind.stderr).toContain('Left out 1 address that unsubscribed');
      edit(path.join(dir, 'invite.yaml'), (y) => y.replace('location: Online (video conference; the link follows after registration)', 'location: Tallinn'));
      const update = await runCli(['update', '--dry-run', '--now', '2026-12-03T09:00'], { cwd: dir });
      expect(update.stdout).not.toContain(`<${DENMARK}>`);
      const cancel = await runCli(['cancel', '--dry-run', '--all', '--now', '2026-12-03T09:00'], { cwd: dir });
      expect(cancel.stdout).toContain(`<${DENMARK}>`);
      expect((await status()).unsubscribed).toBe(1);
    } finally {
      await imap.close();
    }
  });
});
