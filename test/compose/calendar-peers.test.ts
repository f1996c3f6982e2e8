// The same calendar read by two independent parsers, Mozilla's ical.js and Python's
// icalendar (Debian's python3-icalendar, installed by .ci/run), must give the same values.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../../src/campaign/load.js';
import type { Campaign } from '../../src/campaign/model.js';
import { Composer } from '../../src/compose/compose.js';
import type { Contact } from '../../src/contacts/rules.js';
import { readEvent } from '../helpers/ical.js';
import { ROOT } from '../helpers/cli.js';

/** A message as a run composes it (one Composer per call: the tests share no state). */
const compose = (campaign: Campaign, ...rest: Parameters<Composer['compose']>) => new Composer(campaign).compose(...rest);

// Debian's python3 (not a pyenv one) is where apt installs the package.
const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import icalendar']).status === 0);
// CI sets this so that a missing parser fails the run instead of skipping the check.
const required = process.env.INVITE_REQUIRE_PYTHON_ICALENDAR === '1';

const campaign = loadCampaign(path.join(ROOT, 'invite.yaml'));
const names = ['Žydrūnė Šalčiūtė', 'Małgorzata "Gosia" Wąsowska-Łęcka, Polish Competence Centre for Social Innovation', 'Åsa Öberg'];

function contact(name: string, i: number): Contact {
  return {
    line: i + 2,
    email: `p${i}@example.org`,
    name,
    timezone: 'Europe/Vilnius',
    attachments: [],
    fields: { name, organisation: 'Centre', email: `p${i}@example.org` },
  };
}

describe.skipIf(!PYTHON && !required)('calendars read alike by ical.js and Python icalendar', () => {
  it('has Python icalendar', () => {
    expect(PYTHON, "install Debian's python3-icalendar (apt-get install python3-icalendar)").toBeDefined();
  });

  it.each(names.map((n, i) => [n, i] as const))('invitation for %s', (name, i) => {
    const message = compose(campaign, contact(name, i), 'invitation', new Date('2026-11-27T12:00:00Z'));
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-peer-')), 'invite.ics');
    writeFileSync(file, message.calendar.content!);
    const python = JSON.parse(execFileSync(PYTHON!, [path.join(ROOT, 'test/peers/read_ics.py'), file], { encoding: 'utf8' }));
    const mozilla = readEvent(message.calendar.content!);
    expect(python).toMatchObject({
      method: mozilla.method,
      uid: mozilla.uid,
      sequence: mozilla.sequence,
      summary: mozilla.summary,
      start: '2027-05-06T07:00:00+0000',
      end: '2027-05-06T10:00:00+0000',
      status: mozilla.status,
    });
    // Debian 12's icalendar (4.0) predates RFC 6868 and hands back ^' as written: decoded, it is the same name.
    const rfc6868 = (v: string) => v.replace(/\^(\^|'|n)/g, (_, c: string) => (c === '^' ? '^' : c === "'" ? '"' : '\n'));
    expect({ ...python.attendee, cn: rfc6868(python.attendee.cn) }).toEqual({ value: mozilla.attendee?.value, cn: mozilla.attendee?.cn, rsvp: 'TRUE' });
    expect(mozilla.attendee?.cn).toBe(name);
    expect(rfc6868(python.organizer.cn)).toBe(mozilla.organizer?.cn);
    expect(python.organizer.value.toLowerCase()).toBe(mozilla.organizer?.value.toLowerCase());
    expect(python.description).toBe(campaign.event.description);
    expect(python.location).toBe(campaign.event.location);
  });
});
