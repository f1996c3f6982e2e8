// The exact bytes of every mail kind (issue 12: "the same bytes per message as today for the
// same inputs"). A frozen campaign (test/fixtures/golden) is composed and built for each kind
// at a fixed time and compared byte for byte with test/fixtures/golden/<kind>.eml, so a
// faster MIME path can prove it changes nothing. After a deliberate change of the output,
// regenerate with UPDATE_GOLDEN=1 npx vitest run test/mime-golden.test.ts and review the diff.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../src/campaign/load.js';
import { compose, type ComposeOptions } from '../src/compose.js';
import { loadContacts } from '../src/contacts/rules.js';
import type { MailKind } from '../src/campaign/model.js';
import { buildRaw } from '../src/mime.js';

const dir = path.join(import.meta.dirname, 'fixtures/golden');
const campaign = loadCampaign(path.join(dir, 'invite.yaml'));
const [ada] = loadContacts(path.join(dir, 'contacts/people.csv')).contacts;
const now = new Date('2027-04-18T07:00:00Z');

const kinds: [string, MailKind, ComposeOptions][] = [
  ['invitation', 'invitation', { sequence: 0 }],
  ['reminder', 'reminder:week-before', { sequence: 0, extra: { stage: { name: 'week-before', days_before: 7, days_left: 7 }, days_left: 7 } }],
  ['update', 'update', { sequence: 1, journalKind: 'update:1', extra: { changes: ['Time: Thursday 6 May 2027, 09:00–12:00 CEST → Thursday 6 May 2027, 10:00–13:00 CEST'] } }],
  ['cancel', 'cancel', { sequence: 2 }],
];

describe('the bytes of every mail kind', () => {
  it.each(kinds)('%s: byte for byte as recorded, and the same when built twice', async (name, kind, options) => {
    const raw = await buildRaw(compose(campaign, ada!, kind, now, options));
    expect(await buildRaw(compose(campaign, ada!, kind, now, options))).toEqual(raw);
    const file = path.join(dir, `${name}.eml`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, raw);
    expect(existsSync(file), `${file} is missing: UPDATE_GOLDEN=1 records it`).toBe(true);
    expect(raw.toString('latin1')).toBe(readFileSync(file).toString('latin1'));
  });
});
