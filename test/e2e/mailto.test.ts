// Issue 23, point 8: an address is written into a calendar's mailto: URI percent-encoded as
// RFC 6068 asks, so `a?cc=x@example.org` cannot add a header field to the URI; the answer a
// calendar client echoes back (encoded) still counts for that contact.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edit } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';
import { readEvent } from '../helpers/ical.js';
import { serverAndCampaignEachTest, whenReceived } from '../helpers/smtp.js';

const SENT = '2026-11-27T12:00';
const ODD = 'a?cc=x&y=z#f@example.org';
const ENCODED = 'mailto:a%3Fcc%3Dx%26y%3Dz%23f@example.org';

const each = serverAndCampaignEachTest();

describe('addresses in mailto: URIs', () => {
  it('are percent-encoded in ATTENDEE; the reply that echoes the encoded URI counts for that contact', async () => {
    edit(path.join(each.dir, 'contacts/competence-centres.csv'), (csv) => `${csv.trimEnd()}\n${ODD},Ann Odd,Odd Org,Latvia,\n`);
    const sent = await runCli(['send', '--smtp', each.smtp.url, '--yes', '--now', SENT], { cwd: each.dir });
    expect(sent.code, sent.stderr).toBe(0);
    await whenReceived(each.smtp, 10);
    const mail = each.smtp.received.find((m) => m.envelope.to.includes(ODD))!;
    expect(mail).toBeDefined();
    const calendar = mail.parsed.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString('utf8');
    expect(readEvent(calendar).attendee?.value).toBe(ENCODED);
    expect(calendar).not.toContain(`mailto:${ODD}`);

    // Apple Calendar's answer, with the ATTENDEE as it was sent.
    const folder = path.join(each.dir, 'replies');
    mkdirSync(folder);
    const ics = `BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:-//Apple Inc.//macOS 15.1//EN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=ACCEPTED:${ENCODED}\r\nDTSTAMP:20261201T100000Z\r\nSEQUENCE:0\r\nUID:${readEvent(calendar).uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    writeFileSync(
      path.join(folder, 'yes.eml'),
      `From: Ann Odd <${ODD}>\r\nTo: biser@example.org\r\nSubject: Accepted\r\nDate: Tue, 1 Dec 2026 10:15:00 +0000\r\nMessage-ID: <odd-yes@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/calendar; charset=utf-8; method=REPLY\r\n\r\n${ics}`,
    );
    const replies = await runCli(['replies', '--dir', folder, '--json', '--now', '2026-12-02T09:00'], { cwd: each.dir });
    expect(replies.code, replies.stderr).toBe(0);
    expect((JSON.parse(replies.stdout) as { new: { accepted: number } }).new.accepted).toBe(1);
  });
});
