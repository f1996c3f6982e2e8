// The event's life as the journal tells it: who was invited, which SEQUENCE calendars hold,
// what the event looked like then, and whether it was cancelled. Pure: entries in, facts out.
import type { Campaign } from './campaign/load.js';
import { eventView, snapshotOf, type EventSnapshot } from './compose.js';
import { UsageError } from './errors.js';
import type { Seq } from './contacts/seq.js';
import type { JournalEntry } from './journal.js';
import { FORMAT, inZone, plural } from './words.js';

/** An attendee's answer to the invitation, as calendar clients send it back (iTIP REPLY). */
export type PartStat = 'ACCEPTED' | 'TENTATIVE' | 'DECLINED';

export interface EventState {
  /** Lower-case addresses whose invitation the server accepted. */
  invited: Set<string>;
  /** The highest SEQUENCE any accepted message carried; -1 before the first. */
  sequence: number;
  /** What the event looked like in the messages of each SEQUENCE. */
  snapshots: Map<number, EventSnapshot>;
  /** Set once any cancellation was accepted: its SEQUENCE, when (ISO UTC), and when as people in the event's zone read it. */
  cancelled?: { sequence: number; time: string; when: string };
  /** The answers and bounces `invite replies` recorded. */
  answers: Answers;
}

export function eventState(entries: JournalEntry[], campaign: Campaign): EventState {
  const state: EventState = { invited: new Set(), sequence: -1, snapshots: new Map(), answers: answersOf(entries, campaign) };
  for (const e of entries) {
    if (e.campaign !== campaign.id || e.status !== 'accepted') continue;
    if (e.uid !== undefined && e.uid !== campaign.event.uid) continue;
    if (e.kind === 'invitation') state.invited.add(e.recipient);
    if (e.sequence !== undefined) {
      state.sequence = Math.max(state.sequence, e.sequence);
      if (e.event && !state.snapshots.has(e.sequence)) state.snapshots.set(e.sequence, e.event);
    }
    if (e.kind === 'cancel' && !state.cancelled) state.cancelled = { sequence: e.sequence ?? 0, time: e.time, when: inZone(e.time, campaign.event.timezone).toFormat(FORMAT.moment) };
  }
  return state;
}

/**
 * The invited people the contacts still list (an update or cancellation needs their columns),
 * and a note naming those it can no longer reach.
 */
export function invitedRecipients<C extends { email: string }>(state: EventState, contacts: Seq<C>, what: string): { recipients: Seq<C>; notes: string[] } {
  const { bounced } = state.answers;
  const invited = contacts.filter((c) => state.invited.has(c.email.toLowerCase()));
  // An address that bounced for good would only bounce again.
  const recipients = invited.filter((c) => !bounced.has(c.email.toLowerCase()));
  // The invited addresses the contacts no longer list: those the walk does not meet.
  const missingSet = new Set(state.invited);
  for (const c of contacts) missingSet.delete(c.email.toLowerCase());
  const missing = [...missingSet];
  const notes =
    missing.length > 0
      ? [`warning: ${plural(missing.length, 'invited address', 'invited addresses')} ${missing.length === 1 ? 'is' : 'are'} no longer in the contacts and will not get the ${what}: ${missing.join(', ')}`]
      : [];
  const left = invited.length - recipients.length;
  if (left > 0) notes.push(`Left out ${plural(left, 'address', 'addresses')} that bounced (invite replies recorded the bounce): ${invited.filter((c) => bounced.has(c.email.toLowerCase())).map((c) => c.email).join(', ')}`);
  return { recipients, notes };
}

/** Refuses to go on for an event whose cancellation went out. */
export function refuseIfCancelled(state: EventState, command: string): void {
  if (state.cancelled) {
    throw new UsageError(
      `the event was cancelled (the cancellation went out on ${state.cancelled.when}); invite ${command} will not send anything for it`,
      'to hold the event after all, give it a new event.uid in invite.yaml and invite everyone again with invite send',
    );
  }
}

function sameSnapshot(a: EventSnapshot | undefined, b: EventSnapshot): boolean {
  return a !== undefined && (Object.keys(b) as (keyof EventSnapshot)[]).every((k) => a[k] === b[k]);
}

export interface UpdatePlan {
  /** The SEQUENCE the update carries. */
  sequence: number;
  /** What changed, in the organiser's words, for the letter. */
  changes: string[];
}

/**
 * Which update is due: the next SEQUENCE when the event differs from what calendars hold, the
 * same one again when an update is half sent (a re-run), or none when nothing changed.
 */
export function planUpdate(state: EventState, campaign: Campaign): UpdatePlan | undefined {
  const now = snapshotOf(campaign);
  const latest = state.snapshots.get(state.sequence);
  if (sameSnapshot(latest, now)) {
    if (state.sequence <= 0) return undefined; // the invitation already shows the event as it is
    const before = state.snapshots.get(state.sequence - 1);
    return { sequence: state.sequence, changes: describeChanges(before, campaign) };
  }
  return { sequence: state.sequence + 1, changes: describeChanges(latest, campaign) };
}

/** "Time: Thursday 6 May 2027, 09:00–12:00 CEST → 10:00–13:00 CEST", and so on. */
export function describeChanges(before: EventSnapshot | undefined, campaign: Campaign): string[] {
  if (!before) return ['The details of the event have changed.'];
  const now = snapshotOf(campaign);
  const changes: string[] = [];
  if (before.start !== now.start || before.end !== now.end) {
    const zone = campaign.event.timezone;
    const old = `${inZone(before.start, zone).toFormat(`${FORMAT.day}, ${FORMAT.time}`)}–${inZone(before.end, zone).toFormat(`${FORMAT.time} ${FORMAT.zone}`)}`;
    const view = eventView(campaign);
    changes.push(`Time: ${old} → ${view.date}, ${view.time}`);
  }
  if (before.location !== now.location) changes.push(`Place: ${before.location || '(none)'} → ${now.location || '(none)'}`);
  if (before.title !== now.title) changes.push(`Title: ${before.title} → ${now.title}`);
  if (before.url !== now.url) changes.push(`Link: ${now.url || '(none)'}`);
  if (before.description !== now.description) changes.push('The description has changed.');
  return changes;
}

export interface Answers {
  /** The latest answer per attendee (by SEQUENCE, then DTSTAMP, then the mail's Date). */
  rsvp: Map<string, PartStat>;
  /** Addresses a permanent bounce was received for. */
  bounced: Set<string>;
}

/** What the replies and bounces recorded by `invite replies` say, for this campaign's event. */
export function answersOf(entries: JournalEntry[], campaign: Campaign): Answers {
  const latest = new Map<string, { key: [number, string, string]; partstat: PartStat }>();
  const bounced = new Set<string>();
  for (const e of entries) {
    if (e.campaign !== campaign.id || e.status !== 'received' || (e.uid !== undefined && e.uid !== campaign.event.uid)) continue;
    if (e.kind === 'bounce') bounced.add(e.recipient);
    if (e.kind !== 'reply' || !e.reply) continue;
    const key: [number, string, string] = [e.reply.sequence, e.reply.dtstamp ?? '', e.reply.date ?? e.time];
    const before = latest.get(e.recipient);
    if (!before || compareKeys(key, before.key) >= 0) latest.set(e.recipient, { key, partstat: e.reply.partstat });
  }
  return { rsvp: new Map([...latest].map(([k, v]) => [k, v.partstat])), bounced };
}

function compareKeys(a: [number, string, string], b: [number, string, string]): number {
  return a[0] - b[0] || a[1].localeCompare(b[1]) || a[2].localeCompare(b[2]);
}
