// `invite update` and `invite cancel`: after the event changed in invite.yaml (or is called
// off), the same UID with the next SEQUENCE to everyone the journal shows as invited (RFC 5546).
import { compose } from '../compose.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { journalPath, readJournal } from '../journal.js';
import { eventState, planUpdate, refuseIfCancelled } from '../lifecycle.js';
import { prepare } from '../prepare.js';
import { runSending, type SendingOptions } from '../sending.js';

/** Invited people the contacts file no longer lists cannot be written to (no name, no columns): say so. */
function warnAboutMissing(invited: Set<string>, listed: string[], io: Io, what: string): void {
  const known = new Set(listed.map((e) => e.toLowerCase()));
  const missing = [...invited].filter((e) => !known.has(e));
  if (missing.length > 0) {
    io.stderr.write(`warning: ${missing.length} invited address${missing.length === 1 ? ' is' : 'es are'} no longer in the contacts and will not get the ${what}: ${missing.join(', ')}\n`);
  }
}

const updates = (n: number) => `${n} update${n === 1 ? '' : 's'}`;
const cancellations = (n: number) => `${n} cancellation${n === 1 ? '' : 's'}`;

export async function updateCommand(options: SendingOptions, io: Io): Promise<number> {
  const { campaign, contacts, now } = prepare(options, io, options.skipInvalid);
  if (!campaign.mails.update) throw new UsageError('the campaign has no update letter', 'add mails.update (subject, html, text) to invite.yaml');
  const state = eventState(readJournal(journalPath(campaign.dir, options.journal)).entries, campaign);
  refuseIfCancelled(state, 'update');
  const say = (text: string) => (options.json ? io.stderr : io.stdout).write(text + '\n');
  if (state.invited.size === 0) {
    say('Nobody has been invited yet, so there is nobody to update: invite send sends the event as it is now.');
    return EXIT.ok;
  }
  const plan = planUpdate(state, campaign);
  if (!plan) {
    say(`Nothing changed: calendars already hold the event as invite.yaml describes it (SEQUENCE ${state.sequence}). Nothing sent.`);
    if (options.json) io.stdout.write(JSON.stringify({ command: 'update', campaign: campaign.id, sequence: state.sequence, changes: [], accepted: 0 }, null, 2) + '\n');
    return EXIT.ok;
  }
  warnAboutMissing(state.invited, contacts.contacts.map((c) => c.email), io, 'update');
  io.stderr.write(`Update to SEQUENCE ${plan.sequence}:\n${plan.changes.map((c) => `  ${c}`).join('\n')}\n`);
  const kind = `update:${plan.sequence}`;
  return runSending(
    {
      command: 'update',
      campaign,
      contacts,
      kind,
      noun: updates,
      recipients: contacts.contacts.filter((c) => state.invited.has(c.email.toLowerCase())),
      excluded: () => 'was not invited (the journal records no invitation to this address)',
      compose: (contact) => compose(campaign, contact, 'update', now, { sequence: plan.sequence, journalKind: kind, extra: { changes: plan.changes } }),
    },
    options,
    io,
  );
}

export async function cancelCommand(options: SendingOptions, io: Io): Promise<number> {
  const { campaign, contacts, now } = prepare(options, io, options.skipInvalid);
  if (!campaign.mails.cancel) throw new UsageError('the campaign has no cancellation letter', 'add mails.cancel (subject, html, text) to invite.yaml');
  const state = eventState(readJournal(journalPath(campaign.dir, options.journal)).entries, campaign);
  if (state.invited.size === 0) {
    (options.json ? io.stderr : io.stdout).write('Nobody has been invited yet, so there is nobody to tell.\n');
    return EXIT.ok;
  }
  warnAboutMissing(state.invited, contacts.contacts.map((c) => c.email), io, 'cancellation');
  // A half-sent cancellation is finished with the SEQUENCE it started with.
  const sequence = state.cancelled ? state.cancelled.sequence : state.sequence + 1;
  return runSending(
    {
      command: 'cancel',
      campaign,
      contacts,
      kind: 'cancel',
      noun: cancellations,
      recipients: contacts.contacts.filter((c) => state.invited.has(c.email.toLowerCase())),
      excluded: () => 'was not invited (the journal records no invitation to this address)',
      compose: (contact) => compose(campaign, contact, 'cancel', now, { sequence }),
    },
    options,
    io,
  );
}
