// From ≠ organiser (issue 11): sent by an events office for the organiser, the message has a
// Sender header and the calendar's ORGANIZER a SENT-BY, as the SMTP server and ical.js see them.
import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';
import { server } from '../helpers/delivery.js';
import { whenReceived } from '../helpers/smtp.js';

describe('sending for the organiser', () => {
  it('from: another address → Sender header and ORGANIZER;SENT-BY; the organiser stays the ORGANIZER', async () => {
    const dir = campaignCopy((y) => y.replace('reply_to:', 'from:\n  name: Events office\n  email: events-office@example.org\n\nreply_to:'));
    const smtp = await server();
    const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--limit', '1', '--now', '2026-11-27T12:00:00Z'], { cwd: dir });
    expect(result.code).toBe(0);
    await whenReceived(smtp, 1);
    const mail = smtp.received[0]!;
    expect(mail.envelope.from).toBe('events-office@example.org');
    expect(mail.parsed.from?.value[0]?.address).toBe('events-office@example.org');
    expect(mail.raw.toString('latin1')).toMatch(/^Sender: Events office <events-office@example\.org>\r$/m);
    const ics = mail.parsed.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString('utf8');
    const organizer = new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent('vevent')!.getFirstProperty('organizer')!;
    expect(organizer.getFirstValue()).toBe('mailto:biser@example.org');
    expect(organizer.getParameter('sent-by')).toBe('mailto:events-office@example.org');
  });

  it('from the organiser itself: neither', async () => {
    const smtp = await server();
    const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--limit', '1', '--now', '2026-11-27T12:00:00Z']);
    expect(result.code).toBe(0);
    await whenReceived(smtp, 1);
    expect(smtp.received[0]!.raw.toString('latin1')).not.toMatch(/^Sender:/m);
    expect(smtp.received[0]!.raw.toString('latin1')).not.toContain('SENT-BY');
  });
});
