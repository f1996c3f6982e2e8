// The event's life as the journal tells it: who was invited, which SEQUENCE calendars hold,
// what the event looked like then, and whether it was cancelled. Pure: entries in, facts out.
import type { Campaign } from '../campaign/load.js';
import { snapshotOf, type EventSnapshot } from '../compose/compose.js';
import { eventView } from '../compose/context.js';
import { UsageError } from '../errors.js';
import type { Seq } from '../contacts/seq.js';
import { mayHaveArrived, type JournalEntry } from './schema.js';
import { FORMAT, inZone, plural } from '../locale/words.js';

/** An attendee's answer to the invitation, as calendar clients send it back (iTIP REPLY). */
export type PartStat = 'ACCEPTED' | 'TENTATIVE' | 'DECLINED';

export interface EventState {
  /** Lower-case addresses whose invitation the server accepted. */
  invited: Set<string>;
  /** The highest SEQUENCE any accepted message carried; -1 before the first. */
  sequence: number;
  /** Each version of the event calendars were sent (the invitation, each update), oldest first. */
  versions: Version[];
  /** Set once any cancellation was accepted: its SEQUENCE, when (ISO UTC), and when as people in the event's zone read it. */
  cancelled?: { sequence: number; time: string; when: string };
  /** The answers and bounces `invite replies` recorded, to the current SEQUENCE: a change of time or place resets them. */
  answers: Answers;
}

/** A version of the event as the messages of one kind carried it. */
export interface Version {
  /** invitation, update:<sequence>, or update:<sequence>.<n> for a minor change that kept the SEQUENCE. */
  kind: string;
  sequence: number;
  snapshot: EventSnapshot;
}

export function eventState(entries: JournalEntry[], campaign: Campaign): EventState {
  const state: EventState = { invited: new Set(), sequence: -1, versions: [], answers: { rsvp: new Map(), bounced: new Set() } };
  const seen = new Set<string>();
  for (const e of entries) {
    // A message whose reply never came may have arrived: its calendar may be in the recipient's.
    if (e.campaign !== campaign.id || !mayHaveArrived(e)) continue;
    if (e.uid !== undefined && e.uid !== campaign.event.uid) continue;
    if (e.kind === 'invitation') state.invited.add(e.recipient);
    if (e.sequence !== undefined) state.sequence = Math.max(state.sequence, e.sequence);
    if ((e.kind === 'invitation' || e.kind.startsWith('update:')) && e.event && !seen.has(e.kind)) {
      seen.add(e.kind);
      state.versions.push({ kind: e.kind, sequence: e.sequence ?? 0, snapshot: e.event });
    }
    if (e.kind === 'cancel' && !state.cancelled)
      state.cancelled = { sequence: e.sequence ?? 0, time: e.time, when: inZone(e.time, campaign.event.timezone).toFormat(FORMAT.moment) };
  }
  state.answers = answersOf(entries, campaign, state.sequence);
  return state;
}

/**
 * The invited people the contacts still list (an update or cancellation needs their columns),
 * and a note naming those it can no longer reach.
 */
export function invitedRecipients<C extends K, K extends { email: string }>(
  state: EventState,
  contacts: Seq<C, K>,
  what: string,
): { recipients: Seq<C, K>; notes: string[] } {
  const { bounced } = state.answers;
  const invited = contacts.filter((c) => state.invited.has(c.email.toLowerCase()));
  // An address that bounced for good would only bounce again.
  const recipients = invited.filter((c) => !bounced.has(c.email.toLowerCase()));
  // The invited addresses the contacts no longer list: those the walk does not meet.
  const missingSet = new Set(state.invited);
  for (const c of contacts.keys()) missingSet.delete(c.email.toLowerCase());
  const missing = [...missingSet];
  const notes =
    missing.length > 0
      ? [
          `warning: ${plural(missing.length, 'invited address', 'invited addresses')} ${missing.length === 1 ? 'is' : 'are'} no longer in the contacts and will not get the ${what}: ${missing.join(', ')}`,
        ]
      : [];
  const left = invited.length - recipients.length;
  if (left > 0)
    notes.push(
      `Left out ${plural(left, 'address', 'addresses')} that bounced (invite replies recorded the bounce): ${invited
        .filter((c) => bounced.has(c.email.toLowerCase()))
        .map((c) => c.email)
        .join(', ')}`,
    );
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

/** The same version: every part both know is equal (a part an older journal did not keep is not a change). */
function sameSnapshot(a: EventSnapshot | undefined, b: EventSnapshot): boolean {
  return a !== undefined && (Object.keys(b) as (keyof EventSnapshot)[]).every((k) => !(k in a) || a[k] === b[k]);
}

export interface UpdatePlan {
  /** The journal's kind of this update: update:<sequence>, or update:<sequence>.<n> for a minor one. */
  kind: string;
  /** The SEQUENCE the update carries. */
  sequence: number;
  /** A change of time or place (RFC 5546 §2.1.4: SEQUENCE up, answers asked again); else a minor one (the same SEQUENCE, answers kept). */
  significant: boolean;
  /** What changed, in the organiser's words, for the letter. */
  changes: string[];
}

/** A change calendars must treat as a new version to answer again: the time or the place. */
function significantChange(before: EventSnapshot | undefined, now: EventSnapshot): boolean {
  return !before || before.start !== now.start || before.end !== now.end || before.location !== now.location;
}

/**
 * Which update is due: a new one when the event differs from the latest version calendars hold
 * (the next SEQUENCE for a change of time or place, the same SEQUENCE for a description, title,
 * link or attachments); the same one again when it is half sent (a re-run); or none when nothing
 * changed.
 */
export function planUpdate(state: EventState, campaign: Campaign): UpdatePlan | undefined {
  const now = snapshotOf(campaign);
  const latest = state.versions.at(-1);
  if (latest && sameSnapshot(latest.snapshot, now)) {
    if (latest.kind === 'invitation') return undefined; // the invitation already shows the event as it is
    const before = state.versions.at(-2)?.snapshot;
    return {
      kind: latest.kind,
      sequence: latest.sequence,
      significant: significantChange(before, latest.snapshot),
      changes: describeChanges(before, campaign),
    };
  }
  const significant = significantChange(latest?.snapshot, now);
  const base = Math.max(0, state.sequence);
  if (significant) return { kind: `update:${base + 1}`, sequence: base + 1, significant, changes: describeChanges(latest?.snapshot, campaign) };
  const minors = state.versions.filter((v) => v.sequence === base && /^update:\d+\.\d+$/.test(v.kind)).length;
  return { kind: `update:${base}.${minors + 1}`, sequence: base, significant, changes: describeChanges(latest?.snapshot, campaign) };
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
  if ('attachments' in before && before.attachments !== now.attachments)
    changes.push(`Attachments: ${campaign.attachments.map((a) => a.filename).join(', ') || '(none)'}`);
  return changes;
}

export interface Answers {
  /** The latest answer per attendee (by SEQUENCE, then DTSTAMP, then the mail's Date). */
  rsvp: Map<string, PartStat>;
  /** Addresses a permanent bounce was received for. */
  bounced: Set<string>;
}

/**
 * What the replies and bounces recorded by `invite replies` say, for this campaign's event: the
 * latest answer per attendee, counting only answers to the current SEQUENCE (`sequence`) or a
 * later claim of it: after a change of time or place an earlier answer no longer holds.
 */
export function answersOf(entries: JournalEntry[], campaign: Campaign, sequence = 0): Answers {
  const latest = new Map<string, { key: [number, string, string]; partstat: PartStat }>();
  const bounced = new Set<string>();
  for (const e of entries) {
    if (e.campaign !== campaign.id || e.status !== 'received' || (e.uid !== undefined && e.uid !== campaign.event.uid)) continue;
    if (e.kind === 'bounce') bounced.add(e.recipient);
    if (e.kind !== 'reply' || !e.reply || e.reply.sequence < sequence) continue;
    const key: [number, string, string] = [e.reply.sequence, e.reply.dtstamp ?? '', e.reply.date ?? e.time];
    const before = latest.get(e.recipient);
    if (!before || compareKeys(key, before.key) >= 0) latest.set(e.recipient, { key, partstat: e.reply.partstat });
  }
  return { rsvp: new Map([...latest].map(([k, v]) => [k, v.partstat])), bounced };
}

function compareKeys(a: [number, string, string], b: [number, string, string]): number {
  return a[0] - b[0] || a[1].localeCompare(b[1]) || a[2].localeCompare(b[2]);
}
