// The planners, pure: the campaign, its contacts, a time and hand-made journal entries in; who
// gets which message (kind, SEQUENCE), "nothing due", or a refusal out. No network, no files written.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaign, type Campaign } from '../../src/campaign/load.js';
import { planCancellation } from '../../src/commands/cancel.js';
import { planReminder } from '../../src/commands/remind.js';
import { planInvitations } from '../../src/commands/send.js';
import { planEventUpdate } from '../../src/commands/update.js';
import { snapshotOf } from '../../src/compose/compose.js';
import { loadContacts } from '../../src/contacts/rules.js';
import type { JournalEntry } from '../../src/journal/schema.js';
import type { Plan, PlanContext } from '../../src/sending/plan.js';
import { ROOT } from '../helpers/cli.js';

const campaign = loadCampaign(path.join(ROOT, 'invite.yaml'));
const contacts = loadContacts(campaign.contacts.file);
const everyone = contacts.contacts.map((c) => c.email);

function accepted(kind: string, recipients: string[], sequence: number, event = snapshotOf(campaign)): JournalEntry[] {
  return recipients.map((recipient) => ({
    time: '2026-12-01T10:00:00Z',
    campaign: campaign.id,
    kind,
    recipient,
    messageId: `<${kind}.${recipient}>`,
    uid: campaign.event.uid,
    sequence,
    status: 'accepted' as const,
    event,
  }));
}

function context(entries: JournalEntry[], now: string, extra: Partial<PlanContext> = {}): PlanContext {
  return { campaign, contacts, now: new Date(now), entries, journal: '.invite/journal.jsonl', preview: false, registered: new Set(), ...extra };
}

function batchOf(plan: Plan) {
  if ('nothing' in plan) throw new Error(`expected a batch, got: ${plan.nothing}`);
  return plan.batch;
}

const sequenceOf = (plan: Plan) => {
  const batch = batchOf(plan);
  return batch.compose(batch.recipients.toArray()[0]!).calendar.sequence;
};

/** The same campaign with the event moved by an hour. */
const moved: Campaign = { ...campaign, event: { ...campaign.event, start: campaign.event.start + 3_600_000, end: campaign.event.end + 3_600_000 } };

describe('planInvitations', () => {
  it('everyone in the contacts, SEQUENCE 0, before anything was sent', () => {
    const batch = batchOf(planInvitations(context([], '2026-12-01T10:00Z')));
    expect(batch.kind).toBe('invitation');
    expect(batch.recipients.map((c) => c.email)).toEqual(everyone);
    expect(sequenceOf(planInvitations(context([], '2026-12-01T10:00Z')))).toBe(0);
  });

  it('after an update, a newcomer gets the SEQUENCE calendars now hold', () => {
    const entries = [...accepted('invitation', everyone.slice(0, 3), 0), ...accepted('update:1', everyone.slice(0, 3), 1)];
    expect(sequenceOf(planInvitations(context(entries, '2026-12-02T10:00Z')))).toBe(1);
  });

  it('refuses once a cancellation went out', () => {
    const entries = [...accepted('invitation', everyone, 0), ...accepted('cancel', everyone.slice(0, 1), 1)];
    expect(() => planInvitations(context(entries, '2026-12-02T10:00Z'))).toThrow(/the event was cancelled/);
  });
});

describe('planReminder', () => {
  const invited = accepted('invitation', everyone.slice(0, 6), 0);

  it('before the first stage: nothing, and when the next is due', () => {
    const plan = planReminder(context(invited, '2027-04-10T09:00Z'));
    expect(plan).toEqual({
      nothing: 'No reminder due yet: the next reminder (week-before) is due on Sunday 18 April 2027, 09:00 CEST.',
      json: { due: null, closed: false, next: { stage: 'week-before', at: '2027-04-18T07:00:00.000Z' } },
    });
  });

  it('after the deadline day: nothing, registration closed', () => {
    expect(planReminder(context(invited, '2027-04-25T22:00Z'))).toMatchObject({ nothing: 'Registration closed on 25 April 2027, no reminder sent.' });
  });

  it('the due stage to the invited who have not registered; why the others get none', () => {
    const plan = planReminder(context(invited, '2027-04-18T07:00Z', { registered: new Set([everyone[1]!.toLowerCase()]) }));
    const batch = batchOf(plan);
    expect(batch.kind).toBe('reminder:week-before');
    expect(batch.recipients.map((c) => c.email)).toEqual([everyone[0], ...everyone.slice(2, 6)]);
    const byEmail = (e: string) => contacts.contacts.find((c) => c.email === e)!;
    expect(batch.excluded!(byEmail(everyone[1]!))).toBe('has registered');
    expect(batch.excluded!(byEmail(everyone[7]!))).toMatch(/^was not invited/);
    expect(batch.compose(batch.recipients.toArray()[0]!).text).toContain('Days left to register: 7.');
  });

  it('a superseded stage is not sent: on 24 April only day-before is due', () => {
    expect(batchOf(planReminder(context(invited, '2027-04-24T07:00Z'))).kind).toBe('reminder:day-before');
  });

  it('no invitation in the journal: a real send refuses naming the journal; a preview goes to every unregistered contact', () => {
    expect(() => planReminder(context([], '2027-04-18T07:00Z'))).toThrow(
      /the reminder "week-before" is due, but the journal \.invite\/journal\.jsonl records no invitation/,
    );
    const preview = planReminder(context([], '2027-04-18T07:00Z', { preview: true, registered: new Set([everyone[0]!.toLowerCase()]) }));
    expect(batchOf(preview).recipients.map((c) => c.email)).toEqual(everyone.slice(1));
    expect((preview as { notes: string[] }).notes[0]).toMatch(/^Preview: no invitation has been sent yet/);
  });
});

describe('planEventUpdate', () => {
  it('nobody invited: nothing to update', () => {
    expect(planEventUpdate(context([], '2026-12-01T10:00Z'))).toMatchObject({ nothing: expect.stringMatching(/^Nobody has been invited yet/) });
  });

  it('the event as calendars hold it: nothing changed', () => {
    expect(planEventUpdate(context(accepted('invitation', everyone, 0), '2026-12-01T10:00Z'))).toMatchObject({
      nothing: expect.stringMatching(/^Nothing changed/),
      json: { sequence: 0 },
    });
  });

  it('moved: SEQUENCE 1 to the invited, with what changed', () => {
    const plan = planEventUpdate({ ...context(accepted('invitation', everyone.slice(0, 4), 0), '2026-12-01T10:00Z'), campaign: moved });
    const batch = batchOf(plan);
    expect(batch.kind).toBe('update:1');
    expect(batch.recipients.map((c) => c.email)).toEqual(everyone.slice(0, 4));
    expect(sequenceOf(plan)).toBe(1);
    expect((plan as { notes: string[] }).notes.at(-1)).toContain('Time: Thursday 6 May 2027, 09:00–12:00 CEST → Thursday 6 May 2027, 10:00–13:00 CEST');
  });

  it('a half-sent update is finished with the same SEQUENCE, not a new one', () => {
    const entries = [...accepted('invitation', everyone, 0), ...accepted('update:1', everyone.slice(0, 2), 1, snapshotOf(moved))];
    const plan = planEventUpdate({ ...context(entries, '2026-12-02T10:00Z'), campaign: moved });
    expect(batchOf(plan).kind).toBe('update:1');
    expect(sequenceOf(plan)).toBe(1);
  });
});

describe('planCancellation', () => {
  it('nobody invited: nobody to tell', () => {
    expect(planCancellation(context([], '2026-12-01T10:00Z'))).toMatchObject({ nothing: 'Nobody has been invited yet, so there is nobody to tell.' });
  });

  it('the next SEQUENCE after an update; a half-sent cancellation keeps its SEQUENCE', () => {
    const entries = [...accepted('invitation', everyone, 0), ...accepted('update:1', everyone, 1)];
    const first = planCancellation(context(entries, '2026-12-03T10:00Z'));
    expect(batchOf(first).kind).toBe('cancel');
    expect(sequenceOf(first)).toBe(2);
    const resumed = planCancellation(context([...entries, ...accepted('cancel', everyone.slice(0, 3), 2)], '2026-12-03T11:00Z'));
    expect(sequenceOf(resumed)).toBe(2);
    expect(batchOf(resumed).compose(batchOf(resumed).recipients.toArray()[0]!).calendar.method).toBe('CANCEL');
  });

  it('names invited addresses the contacts no longer list', () => {
    const plan = planCancellation(context(accepted('invitation', [...everyone, 'gone@example.org'], 0), '2026-12-03T10:00Z'));
    expect((plan as { notes: string[] }).notes).toEqual([
      'warning: 1 invited address is no longer in the contacts and will not get the cancellation: gone@example.org',
    ]);
  });
});
