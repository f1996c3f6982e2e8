// `invite replies` (issue 11): replies in the shapes Outlook/Exchange, Google Calendar and Apple
// Calendar / Thunderbird send, a bounce (RFC 3464), and mail to skip, read from --dir and from
// --mbox; what status and remind then do with them. The invitations first go to a real SMTP
// server, so the journal and the Message-IDs are the real ones.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCopy, edit } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';
import { journalLines, server } from '../helpers/delivery.js';
import { whenReceived } from '../helpers/smtp.js';
import { dovecotAvailable, imapClient, IMAP_PASS, IMAP_USER, startImap } from '../helpers/imap.js';

const UID = 'bsr-social-innovation-2027@example.org';
const ORGANISER = 'biser@example.org';
const CRLF = (s: string) => s.replace(/\r?\n/g, '\r\n');
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');

interface Answer {
  attendee: string;
  partstat: string;
  uid?: string;
  dtstamp?: string;
  sequence?: number;
}

/** Outlook / Exchange: multipart/alternative, the REPLY as a base64 text/calendar part. */
function outlook(a: Answer, id: string): string {
  const ics = CRLF(`BEGIN:VCALENDAR
METHOD:REPLY
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VEVENT
ATTENDEE;PARTSTAT=${a.partstat};CN=Søren Møller:mailto:${a.attendee.toUpperCase()}
COMMENT;LANGUAGE=en-US:\\n
SUMMARY;LANGUAGE=en-US:${a.partstat === 'ACCEPTED' ? 'Accepted' : 'Declined'}: Social Innovation in BSR – 2nd workshop
DTSTART:20270506T070000Z
DTEND:20270506T100000Z
UID:${a.uid ?? UID}
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:${a.dtstamp ?? '20261201T101500Z'}
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:${a.sequence ?? 0}
LOCATION;LANGUAGE=en-US:Online
END:VEVENT
END:VCALENDAR
`);
  return CRLF(`From: =?utf-8?B?U8O4cmVuIE3DuGxsZXI=?= <${a.attendee}>
To: BISER <${ORGANISER}>
Subject: Accepted: Invitation: Social Innovation in BSR
Date: Tue, 1 Dec 2026 10:15:00 +0000
Message-ID: <${id}@eur.prod.outlook.example.com>
Content-Type: multipart/alternative; boundary="_000_outlook_"
MIME-Version: 1.0

--_000_outlook_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

${b64('Accepted.')}
--_000_outlook_
Content-Type: text/calendar; charset="utf-8"; method=REPLY
Content-Transfer-Encoding: base64

${b64(ics)}
--_000_outlook_--
`);
}

/** Google Calendar: text/calendar in the alternative, and the same as an invite.ics attachment. */
function google(a: Answer, id: string): string {
  const ics = CRLF(`BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REPLY
BEGIN:VEVENT
DTSTART:20270506T070000Z
DTEND:20270506T100000Z
DTSTAMP:${a.dtstamp ?? '20261202T080000Z'}
ORGANIZER;CN=BISER – Baltic Sea Region Social Innovation:mailto:${ORGANISER}
UID:${a.uid ?? UID}
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=${a.partstat};CN=Māra Bērziņa;X-NUM-GUESTS=0:mailto:${a.attendee}
CREATED:20261201T000000Z
LAST-MODIFIED:20261202T080000Z
SEQUENCE:${a.sequence ?? 0}
STATUS:CONFIRMED
SUMMARY:Social Innovation in BSR – 2nd workshop
TRANSP:OPAQUE
END:VEVENT
END:VCALENDAR
`);
  return CRLF(`From: <${a.attendee}>
To: ${ORGANISER}
Subject: Declined: Social Innovation in BSR
Date: Wed, 2 Dec 2026 08:00:00 +0000
Message-ID: <${id}@google.example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="000000000000mixed"

--000000000000mixed
Content-Type: multipart/alternative; boundary="000000000000alt"

--000000000000alt
Content-Type: text/plain; charset="UTF-8"

Māra Bērziņa has declined this invitation.
--000000000000alt
Content-Type: text/html; charset="UTF-8"

<p>Māra Bērziņa has declined this invitation.</p>
--000000000000alt
Content-Type: text/calendar; charset="UTF-8"; method=REPLY
Content-Transfer-Encoding: 7bit

${ics}
--000000000000alt--
--000000000000mixed
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

${b64(ics)}
--000000000000mixed--
`);
}

/** Apple Calendar / Thunderbird: the REPLY as a text/calendar attachment next to a short text. */
function apple(a: Answer, id: string): string {
  const ics = CRLF(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Apple Inc.//macOS 14.1//EN
METHOD:REPLY
BEGIN:VEVENT
ATTENDEE;CN="Tõnu Põld";CUTYPE=INDIVIDUAL;EMAIL="${a.attendee}";PARTSTAT=${a.partstat}:mailto:${a.attendee}
DTEND:20270506T100000Z
DTSTAMP:${a.dtstamp ?? '20261203T120000Z'}
DTSTART:20270506T070000Z
ORGANIZER;CN="BISER":mailto:${ORGANISER}
SEQUENCE:${a.sequence ?? 0}
SUMMARY:Social Innovation in BSR – 2nd workshop
UID:${a.uid ?? UID}
END:VEVENT
END:VCALENDAR
`);
  return CRLF(`From: =?utf-8?Q?T=C3=B5nu_P=C3=B5ld?= <${a.attendee}>
To: ${ORGANISER}
Subject: Invitation: Social Innovation in BSR (tentative)
Date: Thu, 3 Dec 2026 12:00:00 +0200
Message-ID: <${id}@icloud.example.com>
Mime-Version: 1.0 (Mac OS X Mail 16.0)
Content-Type: multipart/mixed; boundary="Apple-Mail=_1"

--Apple-Mail=_1
Content-Transfer-Encoding: 7bit
Content-Type: text/plain; charset=us-ascii

Tentative.
--Apple-Mail=_1
Content-Disposition: attachment; filename=iCal-20261203-120000.ics
Content-Type: text/calendar; method=REPLY; name="iCal-20261203-120000.ics"; charset=utf-8
Content-Transfer-Encoding: quoted-printable

${ics.replace(/=/g, '=3D')}
--Apple-Mail=_1--
`);
}

/** A delivery status notification (RFC 3464) for one of our messages. */
function bounce(recipient: string, messageId: string, status: string, id: string): string {
  return CRLF(`From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: ${ORGANISER}
Subject: Undelivered Mail Returned to Sender
Date: Tue, 1 Dec 2026 10:00:00 +0000
Message-ID: <${id}@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"

--dsn
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.
--dsn
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; ${recipient}
Original-Recipient: rfc822;${recipient}
Action: ${status.startsWith('5') ? 'failed' : 'delayed'}
Status: ${status}
Diagnostic-Code: smtp; ${status.startsWith('5') ? '550 5.1.1 user unknown' : '451 4.4.1 try later'}
--dsn
Content-Type: text/rfc822-headers

From: BISER <${ORGANISER}>
To: <${recipient}>
Subject: Invitation: Social Innovation in BSR
Message-ID: ${messageId}
--dsn--
`);
}

/** The replies of the test, as files: three clients' answers, a bounce and a delay, and mail to skip. */
function replyMails(idOf: (address: string) => string): [string, string][] {
  return [
    ['outlook/accept.eml', outlook({ attendee: 'info@cc-denmark.example.org', partstat: 'ACCEPTED' }, 'a1')],
    // Denmark changes its mind later (a newer DTSTAMP): the latest answer wins.
    ['outlook/decline-later.eml', outlook({ attendee: 'info@cc-denmark.example.org', partstat: 'DECLINED', dtstamp: '20261205T090000Z' }, 'a2')],
    ['google.eml', google({ attendee: 'info@cc-latvia.example.org', partstat: 'DECLINED' }, 'g1')],
    ['apple.eml', apple({ attendee: 'info@cc-estonia.example.org', partstat: 'TENTATIVE' }, 'p1')],
    ['nested/deeper/lithuania.eml', apple({ attendee: 'info@cc-lithuania.example.org', partstat: 'ACCEPTED' }, 'p2')],
    ['bounce-finland.eml', bounce('info@cc-finland.example.org', idOf('info@cc-finland.example.org'), '5.1.1', 'd1')],
    ['delay-poland.eml', bounce('info@cc-poland.example.org', idOf('info@cc-poland.example.org'), '4.4.1', 'd2')],
    ['other-event.eml', google({ attendee: 'info@cc-sweden.example.org', partstat: 'ACCEPTED', uid: 'another-event@example.org' }, 'x1')],
    ['stranger.eml', outlook({ attendee: 'stranger@example.com', partstat: 'ACCEPTED' }, 'x2')],
    [
      'malformed.eml',
      CRLF(
        `From: someone@example.com\nMessage-ID: <x3@example.com>\nContent-Type: text/calendar; method=REPLY\n\nBEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nthis is not a property\n`,
      ),
    ],
    ['newsletter.eml', CRLF(`From: news@example.com\nTo: ${ORGANISER}\nSubject: News\nMessage-ID: <x4@example.com>\n\nHello.\n`)],
  ];
}

describe('invite replies', () => {
  it('records Outlook, Google and Apple answers and a bounce from --dir; skips the rest with reasons; a second run adds nothing; --mbox reads the same', async () => {
    const dir = campaignCopy();
    const smtp = await server();
    const sent = await runCli(['send', '--smtp', smtp.url, '--yes', '--now', '2026-11-27T12:00:00Z'], { cwd: dir });
    expect(sent.code).toBe(0);
    await whenReceived(smtp, 9);
    const journal = path.join(dir, '.invite', 'journal.jsonl');
    const before = readFileSync(journal);
    const idOf = (address: string) => journalLines(journal).find((l) => l.recipient === address)!.messageId;

    const mails = replyMails(idOf);
    const replies = path.join(dir, 'replies');
    for (const [name, text] of mails) {
      mkdirSync(path.dirname(path.join(replies, name)), { recursive: true });
      writeFileSync(path.join(replies, name), text);
    }
    writeFileSync(path.join(replies, 'notes.txt'), 'not a mail file');

    const first = await runCli(['replies', '--dir', 'replies', '--json'], { cwd: dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ read: 11, new: { accepted: 2, tentative: 1, declined: 2, bounced: 1 }, alreadyRecorded: 0, temporaryBounces: 1, other: 1 });
    expect(summary.skipped.map((s: { where: string; reason: string }) => [path.basename(s.where), s.reason])).toEqual([
      ['other-event.eml', 'a reply for another event (UID another-event@example.org)'],
    ]);
    expect(summary.unreadable.map((s: { where: string; reason: string }) => [path.basename(s.where), s.reason])).toEqual([
      ['malformed.eml', expect.stringMatching(/^a calendar that cannot be read/)],
    ]);
    // A reply for this event from someone never invited is a claim about it: not counted, and said.
    expect(summary.notCounted.map((s: { where: string; reason: string }) => [path.basename(s.where), s.reason])).toEqual([
      ['stranger.eml', 'stranger@example.com was not invited'],
    ]);

    const again = await runCli(['replies', '--dir', 'replies'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n')[0]).toBe('Read 11 messages: 0 new; 7 already recorded; 1 unreadable; 1 skipped; 1 other mail.');

    // The same mail as one mbox file, read against the journal as it was before: the same counts.
    const mbox = path.join(dir, 'Inbox.mbox');
    writeFileSync(
      mbox,
      mails.map(([, text]) => `From MAILER-DAEMON Tue Dec  1 10:00:00 2026\n${text.replace(/\r\n/g, '\n').replace(/^From /gm, '>From ')}\n`).join(''),
    );
    const fresh = path.join(dir, 'fresh-journal.jsonl');
    writeFileSync(fresh, before);
    const fromMbox = JSON.parse((await runCli(['replies', '--mbox', mbox, '--journal', fresh, '--json'], { cwd: dir })).stdout);
    expect(fromMbox).toMatchObject({ read: 11, new: { accepted: 2, tentative: 1, declined: 2, bounced: 1 }, temporaryBounces: 1, other: 1 });

    const status = JSON.parse((await runCli(['status', '--json'], { cwd: dir })).stdout);
    expect(status.rsvp).toEqual({ accepted: 1, tentative: 1, declined: 2, noReply: 4, bounced: 1 });
    expect(status.attendees).toMatchObject({
      accepted: ['info@cc-lithuania.example.org'],
      tentative: ['info@cc-estonia.example.org'],
      declined: ['info@cc-denmark.example.org', 'info@cc-latvia.example.org'],
      bounced: ['info@cc-finland.example.org'],
    });
    // The invitations' own lines are untouched, and nothing was sent.
    expect(readFileSync(journal).subarray(0, before.length)).toEqual(before);

    // remind: the decliners and the bounced address get nothing; the rest do.
    const mark = smtp.received.length;
    const remind = await runCli(['remind', '--smtp', smtp.url, '--yes', '--now', '2027-04-18T09:00'], { cwd: dir });
    expect(remind.code).toBe(0);
    expect(remind.stderr).toContain('9 invited, 0 registered, 2 declined, 1 bounced');
    await whenReceived(smtp, mark + 6);
    const reminded = smtp.received
      .slice(mark)
      .map((m) => m.envelope.to[0])
      .sort();
    expect(reminded).toEqual(
      [
        'info@cc-estonia.example.org',
        'info@cc-germany.example.org',
        'info@cc-lithuania.example.org',
        'info@cc-poland.example.org',
        'info@cc-sweden.example.org',
        'info@cc-europe.example.org',
      ].sort(),
    );

    // A cancellation still tells those who declined (it is their calendar entry too), never the bounced address.
    const cancel = await runCli(['cancel', '--dry-run', '--all', '--now', '2027-04-18T09:00'], { cwd: dir });
    expect(cancel.code).toBe(0);
    expect(cancel.stderr).toContain('Left out 1 address that bounced (invite replies recorded the bounce): info@cc-finland.example.org');
    expect(cancel.stdout).toContain('To: Māra Bērziņa <info@cc-latvia.example.org>');
    expect(cancel.stdout).not.toContain('info@cc-finland.example.org>');
    expect(cancel.stdout).toContain('Dry run: 8 cancellations rendered');

    // registration.accept_counts_as_registered: the Accept from Lithuania counts as registered.
    const day = ['remind', '--dry-run', '--all', '--now', '2027-04-24T09:00'];
    expect((await runCli(day, { cwd: dir })).stdout).toContain('To: Žydrūnė Šalčiūtė <info@cc-lithuania.example.org>');
    edit(path.join(dir, 'invite.yaml'), (y) => y.replace('  deadline: 2027-04-25\n', '  deadline: 2027-04-25\n  accept_counts_as_registered: true\n'));
    const counted = await runCli(day, { cwd: dir });
    expect(counted.code).toBe(0);
    expect(counted.stderr).toContain('9 invited, 1 registered, 2 declined, 1 bounced');
    expect(counted.stdout).not.toContain('info@cc-lithuania.example.org');
  });

  it('without IMAP_URL, --dir or --mbox: exit 2 saying which to set', async () => {
    const result = await runCli(['replies']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "invite: no mailbox to read the replies from\nhint: set IMAP_URL (e.g. imaps://imap.example.org, with IMAP_USER and IMAP_PASS), or pass --dir DIR (.eml files saved from the organiser's mailbox, read recursively) or --mbox FILE\n",
    );
  });

  it.skipIf(!dovecotAvailable())(
    'over IMAP (Dovecot, STARTTLS): the same counts, read-only (nothing flagged or moved), 0 new the second time; a wrong password exits 2 without showing it',
    async () => {
      const dir = campaignCopy();
      const smtp = await server();
      expect((await runCli(['send', '--smtp', smtp.url, '--yes', '--now', '2026-11-27T12:00:00Z'], { cwd: dir })).code).toBe(0);
      const journal = path.join(dir, '.invite', 'journal.jsonl');
      const idOf = (address: string) => journalLines(journal).find((l) => l.recipient === address)!.messageId;
      const imap = await startImap();
      try {
        const client = await imapClient(imap);
        const mails = replyMails(idOf);
        for (const [, text] of mails) await client.append('INBOX', text);

        const env = { IMAP_URL: imap.url, IMAP_USER, IMAP_PASS, NODE_EXTRA_CA_CERTS: imap.caFile };
        const first = await runCli(['replies', '--json'], { cwd: dir, env });
        expect(first.stderr).toBe('');
        expect(first.code).toBe(0);
        // The newsletter cannot be a reply (no calendar, no report, not in reply to ours): never downloaded.
        expect(JSON.parse(first.stdout)).toMatchObject({
          read: 10,
          new: { accepted: 2, tentative: 1, declined: 2, bounced: 1 },
          alreadyRecorded: 0,
          temporaryBounces: 1,
          other: 0,
          mailbox: { name: 'INBOX', uid: 11, reread: false },
        });
        // The next run looks only at what came after UID 11: nothing.
        const again = await runCli(['replies'], { cwd: dir, env });
        expect(again.stdout.split('\n').slice(0, 2)).toEqual([
          'Read 0 messages: 0 new; 0 already recorded; 0 skipped; 0 other mails.',
          'Read INBOX up to UID 11; the next run starts after it.',
        ]);
        // Another UIDVALIDITY (the mailbox was recreated, or moved to another server): read again from the start, once; nothing twice.
        writeFileSync(journal, readFileSync(journal, 'utf8').replace(/"uidValidity":\d+/g, '"uidValidity":1'));
        const reread = JSON.parse((await runCli(['replies', '--json'], { cwd: dir, env })).stdout);
        expect(reread).toMatchObject({ read: 10, new: { accepted: 0, declined: 0, bounced: 0 }, alreadyRecorded: 7, mailbox: { uid: 11, reread: true } });
        expect((await runCli(['replies'], { cwd: dir, env })).stdout.split('\n')[0]).toBe(
          'Read 0 messages: 0 new; 0 already recorded; 0 skipped; 0 other mails.',
        );

        // Read-only: the same 11 messages, none marked \Seen or anything else.
        const lock = await client.getMailboxLock('INBOX', { readOnly: true });
        const flags: string[][] = [];
        for await (const m of client.fetch('1:*', { flags: true })) flags.push([...(m.flags ?? [])]);
        lock.release();
        expect(flags).toEqual(mails.map(() => ['\\Recent']));
        await client.logout();

        const wrong = await runCli(['replies'], { cwd: dir, env: { ...env, IMAP_PASS: 'not the password 4d1' } });
        expect(wrong.code).toBe(2);
        expect(wrong.stderr).toContain(`invite: the IMAP server 127.0.0.1:${new URL(imap.url).port} refused the login for ${IMAP_USER}`);
        expect(wrong.stderr + wrong.stdout).not.toContain('not the password 4d1');

        // Without the CA the certificate is not trusted: exit 2, nothing read.
        const untrusted = await runCli(['replies'], { cwd: dir, env: { ...env, NODE_EXTRA_CA_CERTS: undefined } });
        expect(untrusted.code).toBe(2);
        expect(untrusted.stderr).toMatch(/cannot read the mailbox on 127\.0\.0\.1:\d+: .*(certificate|self.signed)/i);
      } finally {
        await imap.close();
      }
    },
  );
});
