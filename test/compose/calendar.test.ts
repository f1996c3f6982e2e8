import { describe, expect, it } from 'vitest';
import { buildCalendar, foldLine, parameterValue, unfold } from '../../src/compose/calendar.js';
import { physicalLines, readEvent } from '../helpers/ical.js';

const event = {
  title: 'Social Innovation in BSR – 2nd workshop',
  description: 'Ąžuolų gatvė; Łódź, Šiauliai, Pärnu, Jūrmala — ' + 'ž'.repeat(120),
  location: 'Online',
  start: Date.UTC(2027, 4, 6, 7, 0),
  end: Date.UTC(2027, 4, 6, 10, 0),
  timezone: 'Europe/Stockholm',
  uid: 'uid-1@example.org',
};
const organiser = { name: 'Org', email: 'org@example.org' };

describe('foldLine', () => {
  it('keeps every physical line within 75 octets and never splits a character', () => {
    for (const text of ['a'.repeat(200), 'ž'.repeat(100), '€'.repeat(90), 'a' + '😀'.repeat(50), 'DESCRIPTION:' + 'až€😀'.repeat(40)]) {
      const folded = foldLine(text);
      const lines = folded.split('\r\n');
      for (const [i, line] of lines.entries()) {
        expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
        if (i > 0) expect(line.startsWith(' ')).toBe(true);
        expect(line).not.toContain('\uFFFD');
      }
      expect(unfold(folded)).toEqual([text]);
    }
  });

  it('leaves short lines alone', () => {
    expect(foldLine('SUMMARY:short')).toBe('SUMMARY:short');
  });

  it('ASCII: 75 octets, then 74 after each leading space; the same cut as a line of two-octet characters', () => {
    expect(foldLine('x'.repeat(75))).toBe('x'.repeat(75));
    expect(foldLine('x'.repeat(76))).toBe(`${'x'.repeat(75)}\r\n x`);
    expect(foldLine('x'.repeat(75 + 74 + 10))).toBe(`${'x'.repeat(75)}\r\n ${'x'.repeat(74)}\r\n ${'x'.repeat(10)}`);
    // One non-ASCII character anywhere takes the character-by-character way; the cuts agree where they can.
    expect(foldLine(`${'x'.repeat(160)}ž`)).toBe(`${'x'.repeat(75)}\r\n ${'x'.repeat(74)}\r\n ${'x'.repeat(11)}ž`);
  });
});

describe('buildCalendar', () => {
  it('writes a REQUEST that ical.js reads back to the same values', () => {
    const text = buildCalendar({
      event,
      method: 'REQUEST',
      sequence: 3,
      organiser,
      attendee: { name: 'Žydrūnė Šalčiūtė', email: 'z@example.org' },
      now: new Date('2026-11-27T12:00:00Z'),
    });
    const parsed = readEvent(text);
    expect(parsed).toMatchObject({
      method: 'REQUEST',
      uid: 'uid-1@example.org',
      sequence: 3,
      start: '2027-05-06T07:00:00.000Z',
      end: '2027-05-06T10:00:00.000Z',
    });
    expect(parsed.summary).toBe(event.title);
    expect(parsed.attendee?.cn).toBe('Žydrūnė Šalčiūtė');
    for (const line of physicalLines(text)) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text).not.toMatch(/[^\r]\n/);
    expect(text).not.toContain('X-PUBLISHED-TTL');
  });

  it('writes the token parameters bare, as Google and Exchange do; the name quoted because it must be, its " as RFC 6868 ^\'', () => {
    const text = buildCalendar({
      event,
      method: 'REQUEST',
      sequence: 0,
      organiser,
      attendee: { name: 'Ada; Lovelace, "AL"', email: 'ada@example.org' },
      now: new Date('2026-11-27T12:00:00Z'),
    });
    const attendeeLine = unfold(text).find((l) => l.startsWith('ATTENDEE'));
    expect(attendeeLine).toBe(
      `ATTENDEE;RSVP=TRUE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;CN="Ada; Lovelace, ^'AL^'":mailto:ada@example.org`,
    );
    expect(readEvent(text).attendee).toMatchObject({ cn: 'Ada; Lovelace, "AL"', rsvp: 'TRUE', partstat: 'NEEDS-ACTION' });
  });

  it('escapes TEXT values so that every parser reads back exactly what the campaign says', () => {
    const tricky = { ...event, title: 'A; B, C \\ D', description: 'Line one\nline two; with, commas\\', location: 'Room 1, floor 2; east' };
    const parsed = readEvent(buildCalendar({ event: tricky, method: 'REQUEST', sequence: 0, organiser, now: new Date('2026-11-27T12:00:00Z') }));
    expect(parsed).toMatchObject({ summary: tricky.title, description: tricky.description, location: tricky.location });
  });

  it('writes a PUBLISH file without attendees', () => {
    const text = buildCalendar({ event, method: 'PUBLISH', sequence: 0, organiser, now: new Date('2026-11-27T12:00:00Z') });
    const parsed = readEvent(text);
    expect(parsed.method).toBe('PUBLISH');
    expect(parsed.attendee).toBeUndefined();
  });

  it('writes parameter values per RFC 6868, quoted only when they hold ; : or ,', () => {
    expect(parameterValue('Anna "Ania" Nowak')).toBe("Anna ^'Ania^' Nowak");
    expect(parameterValue('Søren Møller')).toBe('Søren Møller');
    expect(parameterValue('Centre, Riga')).toBe('"Centre, Riga"');
    expect(parameterValue('a^b\nc\u0007d')).toBe('a^^b^nc d');
    const text = buildCalendar({
      event,
      method: 'REQUEST',
      sequence: 0,
      organiser,
      attendee: { name: 'Anna "Ania" Nowak', email: 'anna@example.org' },
      now: new Date('2026-11-27T12:00:00Z'),
    });
    expect(readEvent(text).attendee?.cn).toBe('Anna "Ania" Nowak');
  });
});

describe('ORGANIZER when someone else sends', () => {
  it('From ≠ organiser: ORGANIZER carries SENT-BY with the sender, as ical.js reads it; the same address: none', async () => {
    const ICAL = (await import('ical.js')).default;
    const organizerOf = (ics: string) => new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent('vevent')!.getFirstProperty('organizer')!;
    const base = {
      event,
      method: 'REQUEST' as const,
      sequence: 0,
      organiser,
      attendee: { name: 'Ada', email: 'ada@example.com' },
      now: new Date(Date.UTC(2026, 10, 27)),
    };
    const delegated = organizerOf(buildCalendar({ ...base, sentBy: 'events-office@example.org' }));
    expect(delegated.getParameter('sent-by')).toBe('mailto:events-office@example.org');
    expect(delegated.getFirstValue()).toBe('mailto:org@example.org');
    expect(organizerOf(buildCalendar({ ...base, sentBy: 'ORG@example.org' })).getParameter('sent-by')).toBeUndefined();
    expect(organizerOf(buildCalendar(base)).getParameter('sent-by')).toBeUndefined();
  });
});
