import { describe, expect, it } from 'vitest';
import { buildCalendar, foldLine, parameterSafe, unfold } from '../src/calendar.js';
import { physicalLines, readEvent } from './helpers/ical.js';

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
});

describe('buildCalendar', () => {
  it('writes a REQUEST that ical.js reads back to the same values', () => {
    const text = buildCalendar({ event, method: 'REQUEST', sequence: 3, organiser, attendee: { name: 'Žydrūnė Šalčiūtė', email: 'z@example.org' }, now: new Date('2026-11-27T12:00:00Z') });
    const parsed = readEvent(text);
    expect(parsed).toMatchObject({ method: 'REQUEST', uid: 'uid-1@example.org', sequence: 3, start: '2027-05-06T07:00:00.000Z', end: '2027-05-06T10:00:00.000Z' });
    expect(parsed.summary).toBe(event.title);
    expect(parsed.attendee?.cn).toBe('Žydrūnė Šalčiūtė');
    for (const line of physicalLines(text)) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text).not.toMatch(/[^\r]\n/);
    expect(text).not.toContain('X-PUBLISHED-TTL');
  });

  it('writes a PUBLISH file without attendees', () => {
    const text = buildCalendar({ event, method: 'PUBLISH', sequence: 0, organiser, now: new Date('2026-11-27T12:00:00Z') });
    const parsed = readEvent(text);
    expect(parsed.method).toBe('PUBLISH');
    expect(parsed.attendee).toBeUndefined();
  });

  it('makes names safe for a quoted parameter', () => {
    expect(parameterSafe('Anna "Ania" Nowak')).toBe("Anna 'Ania' Nowak");
    expect(parameterSafe('a\r\nb')).toBe('a  b');
  });
});
