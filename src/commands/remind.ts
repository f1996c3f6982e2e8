// `invite remind`: the reminder stage that is due now, to every invited contact who has not
// registered and has not had it. Never before its time, never after the deadline.
import { existsSync } from 'node:fs';
import { DateTime } from 'luxon';
import type { Campaign, ReminderStage } from '../campaign/load.js';
import { Composer } from '../compose/compose.js';
import { isRegisteredValue } from '../contacts/registered.js';
import type { ContactKey, ContactList } from '../contacts/rules.js';
import { shownPath, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { eventState, refuseIfCancelled, type EventState } from '../journal/lifecycle.js';
import { acceptedRecipients } from '../journal/read.js';
import type { JournalEntry } from '../journal/schema.js';
import type { SendingOptions } from '../sending/options.js';
import { FORMAT, inZone } from '../locale/words.js';
import { counted, type Plan, type PlanContext } from '../sending/plan.js';
import { runSending } from '../sending/run.js';

export type ReminderDue = { state: 'due'; stage: ReminderStage } | { state: 'early'; next: ReminderStage } | { state: 'closed'; deadline: string };

/** The end of the registration deadline day, in the event's zone. */
export function registrationCloses(campaign: Campaign): number {
  if (!campaign.registration) throw new UsageError('the campaign has no registration deadline', 'add registration.deadline to invite.yaml');
  return DateTime.fromISO(campaign.registration.deadline, { zone: campaign.event.timezone }).plus({ days: 1 }).startOf('day').toMillis();
}

/** The latest stage whose time has come, until the deadline: a missed stage still goes out, a superseded one does not. */
export function dueReminder(campaign: Campaign, now: Date): ReminderDue {
  const t = now.getTime();
  if (t >= registrationCloses(campaign)) return { state: 'closed', deadline: campaign.registration!.deadline };
  const due = campaign.reminders.filter((s) => s.at <= t).at(-1);
  if (due) return { state: 'due', stage: due };
  return { state: 'early', next: campaign.reminders[0]! };
}

const reminders = counted('reminder');

function requireSchedule(campaign: Campaign): void {
  if (campaign.reminders.length === 0) {
    throw new UsageError('the campaign has no reminder schedule', 'add `reminders:` to invite.yaml (see "Scheduled reminders" in invite’s docs/reference.md)');
  }
}

/**
 * The due stage, to the invited who have not registered. Before any invitation went out a
 * reminder can only be previewed (to every unregistered contact); a real send then means the
 * journal was lost — typically a scheduled job's fresh checkout without it — and "nothing to
 * send" would hide that every reminder is being skipped.
 */
export function planReminder({ campaign, contacts, now, entries, journal, preview, registered }: PlanContext): Plan {
  const state = eventState(entries, campaign);
  refuseIfCancelled(state, 'remind');
  const zone = campaign.event.timezone;
  const when = (ms: number) => inZone(ms, zone).toFormat(FORMAT.moment);
  const due = dueReminder(campaign, now);
  if (due.state === 'closed' || due.state === 'early') return notDue(due, campaign);
  const stage = due.stage;
  const noInvitation = state.invited.size === 0;
  if (noInvitation && !preview) {
    throw new UsageError(
      `the reminder "${stage.name}" is due, but the journal ${journal} records no invitation for ${campaign.id}, so nobody can be reminded`,
      `reminders go to the people the journal shows as invited. If the invitations were sent, their journal is missing here: commit ${journal} after \`invite send\`, and let a scheduled job commit it back (see "Scheduled reminders" in invite’s docs/reference.md). To see the reminders before anything was sent: invite remind --dry-run`,
    );
  }
  const who = reminderAudience(state, contacts, registered, campaign, noInvitation, laterStagesSent(campaign, stage, entries));
  // Calendar days from today to the deadline day, both in the event's zone: 7 on 18 April for 25 April.
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const daysLeft = Math.max(0, Math.round(DateTime.fromISO(campaign.registration!.deadline, { zone }).diff(today, 'days').days));
  const note = noInvitation
    ? `Preview: no invitation has been sent yet (the journal ${journal} records none); this is what the ${who.recipients.length} contacts who have not registered would receive as the reminder "${stage.name}" (due since ${when(stage.at)}).`
    : `Reminder "${stage.name}" (due since ${when(stage.at)}): ${who.recipients.length} invited and not registered` +
      ` (${state.invited.size} invited, ${who.registeredCount} registered${who.leftOut.map(([n, why]) => `, ${n} ${why}`).join('')}).`;
  const kind = `reminder:${stage.name}` as const;
  const composer = new Composer(campaign);
  return {
    notes: [note],
    batch: {
      kind,
      noun: reminders,
      recipients: who.recipients,
      excluded: who.excluded,
      compose: (contact) =>
        composer.compose(contact, kind, now, {
          sequence: Math.max(0, state.sequence),
          extra: { stage: { name: stage.name, days_before: stage.daysBefore, days_left: daysLeft }, days_left: daysLeft },
        }),
    },
  };
}

/** No stage is due: registration has closed, or the next stage is still ahead. */
function notDue(due: Extract<ReturnType<typeof dueReminder>, { state: 'closed' | 'early' }>, campaign: Campaign): Plan {
  const when = (ms: number, format: string = FORMAT.moment) => inZone(ms, campaign.event.timezone).toFormat(format);
  if (due.state === 'closed') {
    return {
      nothing: `Registration closed on ${when(registrationCloses(campaign) - 1, FORMAT.date)}, no reminder sent.`,
      json: { due: null, closed: true, next: null },
    };
  }
  return {
    nothing: `No reminder due yet: the next reminder (${due.next.name}) is due on ${when(due.next.at)}.`,
    json: { due: null, closed: false, next: { stage: due.next.name, at: new Date(due.next.at).toISOString() } },
  };
}

/**
 * Who already had a stage later than `stage` (with --now set back, or a stage missed): they
 * never get an earlier one after it, whatever the clock says.
 */
function laterStagesSent(campaign: Campaign, stage: ReminderStage, entries: JournalEntry[]): Map<string, string> {
  const later = new Map<string, string>();
  for (const s of campaign.reminders.filter((r) => r.at > stage.at)) {
    for (const address of acceptedRecipients(entries, campaign.id, `reminder:${s.name}`, campaign.event.uid))
      if (!later.has(address)) later.set(address, s.name);
  }
  return later;
}

/** Who the reminder goes to (invited, not registered, not declined, not bounced, no later stage had), why the others do not get it, and how many of each. */
function reminderAudience(
  state: EventState,
  contacts: ContactList,
  registered: Set<string>,
  campaign: Campaign,
  noInvitation: boolean,
  laterSent: Map<string, string>,
) {
  const { rsvp, bounced } = state.answers;
  const acceptCounts = campaign.registration?.acceptCountsAsRegistered ?? false;
  const answer = (c: ContactKey) => rsvp.get(c.email.toLowerCase());
  const hasRegistered = (c: ContactKey) =>
    registered.has(c.email.toLowerCase()) || isRegisteredValue(c.fields.registered) || (acceptCounts && answer(c) === 'ACCEPTED');
  const invited = (c: ContactKey) => state.invited.has(c.email.toLowerCase());
  // Someone who declined does not want reminding; an address that bounced would bounce again.
  const declined = (c: ContactKey) => answer(c) === 'DECLINED';
  const hasBounced = (c: ContactKey) => bounced.has(c.email.toLowerCase());
  const hadLater = (c: ContactKey) => laterSent.get(c.email.toLowerCase());
  const isCandidate = (c: ContactKey) => (noInvitation || invited(c)) && !hasRegistered(c);
  const candidates = contacts.contacts.filter(isCandidate);
  // Counted in one walk of the contacts.
  let [declinedCount, bouncedCount, laterCount, invitedCount] = [0, 0, 0, 0];
  for (const c of contacts.contacts.keys()) {
    if (invited(c)) invitedCount++;
    if (!isCandidate(c)) continue;
    if (declined(c)) declinedCount++;
    else if (hasBounced(c)) bouncedCount++;
    else if (hadLater(c)) laterCount++;
  }
  return {
    recipients: candidates.filter((c) => !declined(c) && !hasBounced(c) && !hadLater(c)),
    registeredCount: invitedCount - candidates.length,
    leftOut: (
      [
        [declinedCount, 'declined'],
        [bouncedCount, 'bounced'],
        [laterCount, 'had a later reminder'],
      ] as [number, string][]
    ).filter(([n]) => n),
    excluded: (contact: ContactKey) =>
      hasRegistered(contact)
        ? 'has registered'
        : declined(contact)
          ? 'declined the invitation'
          : hasBounced(contact)
            ? 'bounced (invite replies recorded the bounce)'
            : hadLater(contact)
              ? `already had the later reminder "${hadLater(contact)}": an earlier one never follows it`
              : 'was not invited (the journal records no invitation to this address)',
  };
}

/** registration.export, when invite.yaml names one: it must be there (a scheduled job would otherwise remind everyone). */
export function registrationExport(campaign: Campaign): string[] {
  const file = campaign.registration?.export;
  if (!file) return [];
  if (!existsSync(file)) {
    throw new UsageError(
      `registration.export in ${shownPath(campaign.file)} names ${shownPath(file)}, which is not there`,
      "commit the registration form's export there, or remove registration.export (a download can be passed as --registered FILE instead)",
    );
  }
  return [file];
}

export function remindCommand(options: SendingOptions, io: Io): Promise<number> {
  return runSending({ name: 'remind', requires: requireSchedule, registeredFrom: registrationExport, plan: planReminder }, options, io);
}
