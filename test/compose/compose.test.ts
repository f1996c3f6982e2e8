// compose() is pure: these tests need no network and no clock.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../../src/campaign/load.js';
import type { Campaign } from '../../src/campaign/model.js';
import { Composer } from '../../src/compose/compose.js';
import { eventView } from '../../src/compose/context.js';
import { CampaignKeys } from '../../src/compose/keys.js';
import type { Contact } from '../../src/contacts/rules.js';
import { InputError } from '../../src/errors.js';
import { compileTemplate } from '../../src/campaign/templates.js';
import { physicalLines, readEvent } from '../helpers/ical.js';

/** A message as a run composes it (one Composer per call: the tests share no state). */
const compose = (campaign: Campaign, ...rest: Parameters<Composer['compose']>) => new Composer(campaign).compose(...rest);

const campaign = loadCampaign(path.join(import.meta.dirname, '../fixtures/campaign/invite.yaml'));
const now = new Date('2026-11-27T12:00:00Z');

function contact(fields: Record<string, string>, timezone?: string): Contact {
  return { line: 2, email: fields.email ?? 'x@example.com', name: fields.name ?? '', timezone, attachments: [], fields };
}

describe('compose', () => {
  const ada = contact({ email: 'ada@example.com', name: 'Ada Lovelace', organisation: 'Analytical & Co <Engines>' }, 'Europe/Helsinki');

  it('fills every column and built-in variable', () => {
    const message = compose(campaign, ada, 'invitation', now);
    expect(message.subject).toBe('Invitation for Ada Lovelace: Test workshop');
    expect(message.text).toBe(
      [
        'Dear Ada Lovelace (Analytical & Co <Engines>),',
        'When: Thursday 6 May 2027, 09:00–12:00 CEST (10:00–13:00 in Helsinki)',
        'Local: 10:00–13:00 in Helsinki',
        'Register by Sunday 25 April 2027: https://events.example.org/test/register',
        'Test Organiser',
        '',
      ].join('\n'),
    );
    expect(message.to).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(message.from).toEqual({ name: 'Test Organiser', email: 'organiser@example.org' });
  });

  it('escapes contact data in the HTML part and never in the text part', () => {
    const message = compose(campaign, ada, 'invitation', now);
    expect(message.html).toContain('<b>Analytical &amp; Co &lt;Engines&gt;</b>');
    expect(message.text).toContain('Analytical & Co <Engines>');
    expect(message.text).not.toContain('&amp;');
  });

  it.each([
    ['Europe/Helsinki', 'Thursday 6 May 2027, 09:00–12:00 CEST (10:00–13:00 in Helsinki)'],
    ['Europe/Vilnius', 'Thursday 6 May 2027, 09:00–12:00 CEST (10:00–13:00 in Vilnius)'],
    // Berlin keeps Stockholm's clock: no second time to read.
    ['Europe/Berlin', 'Thursday 6 May 2027, 09:00–12:00 CEST'],
    ['Asia/Tokyo', 'Thursday 6 May 2027, 09:00–12:00 CEST (16:00–19:00 in Tokyo)'],
    ['America/New_York', 'Thursday 6 May 2027, 09:00–12:00 CEST (03:00–06:00 in New York)'],
    [undefined, 'Thursday 6 May 2027, 09:00–12:00 CEST'],
  ])("shows the time in the contact's zone %s", (zone, when) => {
    expect(eventView(campaign, zone).when).toBe(when);
  });

  it('puts the recipient into a calendar that ical.js reads as an invitation', () => {
    const message = compose(campaign, ada, 'invitation', now);
    const event = readEvent(message.calendar.content!);
    expect(event).toMatchObject({
      method: 'REQUEST',
      uid: 'test-campaign@example.org',
      sequence: 0,
      summary: 'Test workshop',
      start: '2027-05-06T07:00:00.000Z',
      end: '2027-05-06T10:00:00.000Z',
      stamp: '2026-11-27T12:00:00.000Z',
      status: 'CONFIRMED',
    });
    expect(event.attendee).toEqual({ value: 'mailto:ada@example.com', cn: 'Ada Lovelace', rsvp: 'TRUE', partstat: 'NEEDS-ACTION' });
    expect(event.organizer?.cn).toBe('Test Organiser');
    expect(message.calendar.method).toBe(event.method);
  });

  it('keeps the UID and Message-ID stable and distinct per recipient', () => {
    const a = compose(campaign, ada, 'invitation', now);
    const b = compose(campaign, ada, 'invitation', new Date('2027-01-01T00:00:00Z'));
    const other = compose(campaign, contact({ email: 'bob@example.com', name: 'Bob', organisation: 'B' }), 'invitation', now);
    expect(a.messageId).toBe(b.messageId);
    expect(a.messageId).toMatch(/^<invitation\.[0-9a-f]{32}@example\.org>$/);
    expect(other.messageId).not.toBe(a.messageId);
    expect(new CampaignKeys(campaign).messageIdFor('invitation', 'ADA@example.com')).toBe(a.messageId);
    expect(other.calendar.uid).toBe(a.calendar.uid);
  });

  it('keeps the double quotes of a name in CN (RFC 6868), and folds long non-ASCII names by octets', () => {
    const name = 'Žydrūnė "Žyde" Šalčiūtė-Ąžuolaitienė Łukasiewicz-Wąsowska Õunapuu Ærø';
    const message = compose(campaign, contact({ email: 'zyde@example.com', name, organisation: 'Z' }), 'invitation', now);
    const event = readEvent(message.calendar.content!);
    expect(event.attendee?.cn).toBe(name);
    for (const line of physicalLines(message.calendar.content!)) {
      expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
      expect(line).not.toContain('\uFFFD');
    }
  });

  it("is independent of the machine's time zone", () => {
    const before = process.env.TZ;
    try {
      process.env.TZ = 'Pacific/Kiritimati';
      expect(readEvent(compose(campaign, ada, 'invitation', now).calendar.content!).start).toBe('2027-05-06T07:00:00.000Z');
    } finally {
      process.env.TZ = before;
    }
  });
});

describe('strict templates', () => {
  it('a variable missing at render time is an input error naming file, line and variable', () => {
    const template = compileTemplate('Hello\n{{name}} from {{organisation}}', 'templates/x.txt.hbs', 0, 'text');
    try {
      template.render({ name: 'Ada' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      const [problem] = (error as InputError).problems;
      expect(problem).toMatchObject({ file: 'templates/x.txt.hbs', line: 2 });
      expect(problem?.message).toContain('"organisation" not defined');
    }
  });
});
