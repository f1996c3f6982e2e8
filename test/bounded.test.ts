// Bounded work per row (issue 10): long values are row problems, folding is linear, and no
// header line of a message exceeds the 998 octets SMTP allows.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { foldLine, unfold } from '../src/compose/calendar.js';
import { loadCampaign } from '../src/campaign/load.js';
import type { Campaign } from '../src/campaign/model.js';
import { Composer } from '../src/compose/compose.js';
import { parseContacts, type Contact } from '../src/contacts/rules.js';
import { RecipientFailure } from '../src/errors.js';
import { buildRaw } from '../src/mime/mime.js';

/** A message as a run composes it (one Composer per call: the tests share no state). */
const compose = (campaign: Campaign, ...rest: Parameters<Composer['compose']>) => new Composer(campaign).compose(...rest);

const campaign = loadCampaign(path.join(import.meta.dirname, 'fixtures/campaign/invite.yaml'));
const now = new Date('2026-11-27T12:00:00Z');
const contact = (name: string, organisation = 'Org'): Contact => ({
  line: 2,
  email: 'ada@example.com',
  name,
  attachments: [],
  fields: { email: 'ada@example.com', name, organisation },
});

describe('bounded work per row', () => {
  it('a 5,000-character name and a 300-character organisation are row problems naming line and column; a long note is fine up to 4,096', () => {
    const csv = [
      'email,name,organisation,note',
      `a@example.org,${'N'.repeat(5000)},Org,${'n'.repeat(4000)}`,
      `b@example.org,Bea,${'O'.repeat(300)},`,
      `c@example.org,Cy,Org,${'n'.repeat(5000)}`,
    ].join('\n');
    const list = parseContacts(csv, 'partner.csv');
    expect([...list.contacts]).toEqual([]);
    expect(list.rejected.map((r) => r.problems.map((p) => [p.line, p.column, p.message]))).toEqual([
      [[2, 'name', '"name" is 5,000 characters long; at most 256 are allowed']],
      [[3, 'organisation', '"organisation" is 300 characters long; at most 256 are allowed']],
      [[4, 'note', '"note" is 5,000 characters long; at most 4,096 are allowed']],
    ]);
  });

  it('folding is linear: a 1 MB calendar line folds into 75-octet lines and unfolds to itself', () => {
    const line = `DESCRIPTION:${'Ā'.repeat(500_000)}`; // 1 MB of two-octet characters
    const folded = foldLine(line);
    const physical = folded.split('\r\n');
    expect(Math.max(...physical.map((l) => Buffer.byteLength(l)))).toBeLessThanOrEqual(75);
    expect(unfold(folded)).toEqual([line]);
  });

  it('a 256-character name keeps every header line within 998 octets', async () => {
    const raw = await buildRaw(compose(campaign, contact('N'.repeat(256)), 'invitation', now));
    const header = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1');
    expect(Math.max(...header.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(998);
    expect(header).toContain('N'.repeat(256));
  });

  it('an unfoldable header line over 998 octets is refused for that message, never sent to a "500 Line too long"', async () => {
    const message = { ...compose(campaign, contact('Ada'), 'invitation', now), subject: 'x'.repeat(1200) };
    const error = await buildRaw(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecipientFailure);
    expect((error as RecipientFailure).permanent).toBe(true);
    expect((error as Error).message).toMatch(/^the Subject header of the message to ada@example\.com has a line of \d+ octets, more than the 998 SMTP allows$/);
  });
});
