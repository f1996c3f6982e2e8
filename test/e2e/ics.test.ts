import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { physicalLines, readEvent } from '../helpers/ical.js';

describe('invite ics', () => {
  it('writes the event as METHOD:PUBLISH that ical.js reads, whatever TZ', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-ics-')), 'workshop.ics');
    const result = await runCli(['ics', '--out', file, '--now', '2026-11-27T12:00:00Z'], { env: { TZ: 'America/Los_Angeles' } });
    expect(result.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    const event = readEvent(text);
    expect(event).toMatchObject({
      method: 'PUBLISH',
      uid: 'bsr-social-innovation-2027@example.org',
      start: '2027-05-06T07:00:00.000Z',
      end: '2027-05-06T10:00:00.000Z',
      summary: 'Social Innovation in BSR – 2nd workshop',
    });
    expect(event.attendee).toBeUndefined();
    for (const line of physicalLines(text)) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
  });

  it('writes to stdout with --out -', async () => {
    const result = await runCli(['ics', '--out', '-']);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
  });
});
