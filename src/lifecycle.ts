// The event's life as the journal tells it: who was invited, which SEQUENCE calendars hold,
// what the event looked like then, and whether it was cancelled. Pure: entries in, facts out.
import type { Campaign } from './campaign/load.js';
import { eventView, snapshotOf, type EventSnapshot } from './compose.js';
import { UsageError } from './errors.js';
import type { JournalEntry } from './journal.js';
import { FORMAT, inZone, plural } from './words.js';

export interface EventState {
  /** Lower-case addresses whose invitation the server accepted. */
  invited: Set<string>;
  /** The highest SEQUENCE any accepted message carried; -1 before the first. */
  sequence: number;
  /** What the event looked like in the messages of each SEQUENCE. */
  snapshots: Map<number, EventSnapshot>;
  /** Set once any cancellation was accepted. */
  cancelled?: { sequence: number; time: string };
}

export function eventState(entries: JournalEntry[], campaign: Campaign): EventState {
  const state: EventState = { invited: new Set(), sequence: -1, snapshots: new Map() };
  for (const e of entries) {
    if (e.campaign !== campaign.id || e.status !== 'accepted') continue;
    if (e.uid !== undefined && e.uid !== campaign.event.uid) continue;
    if (e.kind === 'invitation') state.invited.add(e.recipient);
    if (e.sequence !== undefined) {
      state.sequence = Math.max(state.sequence, e.sequence);
      if (e.event && !state.snapshots.has(e.sequence)) state.snapshots.set(e.sequence, e.event);
    }
    if (e.kind === 'cancel' && !state.cancelled) state.cancelled = { sequence: e.sequence ?? 0, time: e.time };
  }
  return state;
}

/**
 * The invited people the contacts still list (an update or cancellation needs their columns),
 * and a note naming those it can no longer reach.
 */
export function invitedRecipients<C extends { email: string }>(state: EventState, contacts: C[], what: string): { recipients: C[]; notes: string[] } {
  const recipients = contacts.filter((c) => state.invited.has(c.email.toLowerCase()));
  const listed = new Set(contacts.map((c) => c.email.toLowerCase()));
  const missing = [...state.invited].filter((e) => !listed.has(e));
  const notes =
    missing.length > 0
      ? [`warning: ${plural(missing.length, 'invited address', 'invited addresses')} ${missing.length === 1 ? 'is' : 'are'} no longer in the contacts and will not get the ${what}: ${missing.join(', ')}`]
      : [];
  return { recipients, notes };
}

/** Refuses to go on for an event whose cancellation went out. */
export function refuseIfCancelled(state: EventState, command: string): void {
  if (state.cancelled) {
    throw new UsageError(
      `the event was cancelled (the cancellation went out on ${state.cancelled.time}); invite ${command} will not send anything for it`,
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
