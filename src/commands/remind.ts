// `invite remind`: the reminder stage that is due now, to every invited contact who has not
// registered and has not had it. Never before its time, never after the deadline.
import { DateTime } from 'luxon';
import type { Campaign, ReminderStage } from '../campaign.js';
import { compose } from '../compose.js';
import type { Contact } from '../contacts.js';
import { isRegisteredValue, readRegistered } from '../contacts.js';
import { EXIT, UsageError, shownPath } from '../errors.js';
import type { Io } from '../io.js';
import { journalPath, readJournal } from '../journal.js';
import { eventState, refuseIfCancelled } from '../lifecycle.js';
import { prepare } from '../prepare.js';
import { runSending, type SendingOptions } from '../sending.js';

export interface RemindOptions extends SendingOptions {
  registered?: string[];
}

export type ReminderDue =
  | { state: 'due'; stage: ReminderStage }
  | { state: 'early'; next: ReminderStage }
  | { state: 'closed'; deadline: string };

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

const reminders = (n: number) => `${n} reminder${n === 1 ? '' : 's'}`;

export async function remindCommand(options: RemindOptions, io: Io): Promise<number> {
  const { campaign, contacts, now } = prepare(options, io, options.skipInvalid);
  if (campaign.reminders.length === 0) {
    throw new UsageError('the campaign has no reminder schedule', 'add `reminders:` to invite.yaml (see the README, "Scheduled reminders")');
  }
  const journalFile = journalPath(campaign.dir, options.journal);
  const journal = { shown: shownPath(journalFile) };
  const state = eventState(readJournal(journalFile).entries, campaign);
  refuseIfCancelled(state, 'remind');

  const zone = campaign.event.timezone;
  const when = (ms: number, format = 'cccc d LLLL yyyy, HH:mm ZZZZ') => DateTime.fromMillis(ms, { zone }).setLocale('en-GB').toFormat(format);
  const due = dueReminder(campaign, now);
  if (due.state !== 'due') {
    const message =
      due.state === 'closed'
        ? `Registration closed on ${when(registrationCloses(campaign) - 1, 'd LLLL yyyy')}, no reminder sent.`
        : `No reminder due yet: the next reminder (${due.next.name}) is due on ${when(due.next.at)}.`;
    if (options.json) {
      io.stdout.write(JSON.stringify({ command: 'remind', campaign: campaign.id, due: null, closed: due.state === 'closed', next: due.state === 'early' ? { stage: due.next.name, at: new Date(due.next.at).toISOString() } : null, accepted: 0 }, null, 2) + '\n');
      io.stderr.write(message + '\n');
    } else io.stdout.write(message + '\n');
    return EXIT.ok;
  }

  const stage = due.stage;
  const registered = new Set<string>();
  for (const file of options.registered ?? []) for (const address of readRegistered(file, { encoding: options.encoding })) registered.add(address);
  const hasRegistered = (c: Contact) => registered.has(c.email.toLowerCase()) || isRegisteredValue(c.fields.registered);
  // Before any invitation went out a reminder can only be previewed. A real send then means the
  // journal was lost — typically a scheduled job's fresh checkout without it — and "nothing to
  // send" would hide that every reminder is being skipped.
  const preview = state.invited.size === 0;
  if (preview && !options.dryRun && !options.out) {
    throw new UsageError(
      `the reminder "${stage.name}" is due, but the journal ${journal.shown} records no invitation for ${campaign.id}, so nobody can be reminded`,
      `reminders go to the people the journal shows as invited. If the invitations were sent, their journal is missing here: commit ${journal.shown} after \`invite send\`, and let a scheduled job commit it back (see "Scheduled reminders" in the README). To see the reminders before anything was sent: invite remind --dry-run`,
    );
  }
  const recipients = contacts.contacts.filter((c) => (preview || state.invited.has(c.email.toLowerCase())) && !hasRegistered(c));
  // Calendar days from today to the deadline day, both in the event's zone: 7 on 18 April for 25 April.
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const deadlineDay = DateTime.fromISO(campaign.registration!.deadline, { zone });
  const daysLeft = Math.max(0, Math.round(deadlineDay.diff(today, 'days').days));
  if (preview) {
    io.stderr.write(
      `Preview: no invitation has been sent yet (the journal ${journal.shown} records none); this is what the ${recipients.length} contacts who have not registered would receive as the reminder "${stage.name}" (due since ${when(stage.at)}).\n`,
    );
  } else {
    io.stderr.write(
      `Reminder "${stage.name}" (due since ${when(stage.at)}): ${recipients.length} invited and not registered` +
        ` (${state.invited.size} invited, ${contacts.contacts.filter((c) => state.invited.has(c.email.toLowerCase())).length - recipients.length} registered).\n`,
    );
  }
  const kind = `reminder:${stage.name}` as const;
  return runSending(
    {
      command: 'remind',
      campaign,
      contacts,
      kind,
      noun: reminders,
      recipients,
      excluded: (contact) => (hasRegistered(contact) ? 'has registered' : 'was not invited (the journal records no invitation to this address)'),
      compose: (contact) =>
        compose(campaign, contact, kind, now, {
          sequence: Math.max(0, state.sequence),
          extra: { stage: { name: stage.name, days_before: stage.daysBefore, days_left: daysLeft }, days_left: daysLeft },
        }),
    },
    options,
    io,
  );
}
