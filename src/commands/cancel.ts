// `invite cancel`: the event is called off. METHOD:CANCEL with the same UID and the next
// SEQUENCE to everyone the journal shows as invited; afterwards send, remind and update refuse.
import type { Campaign } from '../campaign/load.js';
import { Composer } from '../compose/compose.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { eventState, invitedRecipients } from '../journal/lifecycle.js';
import type { SendingOptions } from '../sending/options.js';
import { counted, type Plan, type PlanContext } from '../sending/plan.js';
import { runSending } from '../sending/run.js';

const cancellations = counted('cancellation');

function requireCancelLetter(campaign: Campaign): void {
  if (!campaign.mails.cancel) throw new UsageError('the campaign has no cancellation letter', 'add mails.cancel (subject, html, text) to invite.yaml');
}

/** The cancellation, at the next SEQUENCE — or, to finish a half-sent one, at the SEQUENCE it started with. */
export function planCancellation({ campaign, contacts, now, entries }: PlanContext): Plan {
  const state = eventState(entries, campaign);
  if (state.invited.size === 0) return { nothing: 'Nobody has been invited yet, so there is nobody to tell.', json: { sequence: null } };
  const sequence = state.cancelled ? state.cancelled.sequence : state.sequence + 1;
  const { recipients, notes } = invitedRecipients(state, contacts.contacts, 'cancellation');
  const composer = new Composer(campaign);
  return {
    notes,
    batch: {
      kind: 'cancel',
      noun: cancellations,
      recipients,
      excluded: () => 'was not invited (the journal records no invitation to this address)',
      compose: (contact) => composer.compose(contact, 'cancel', now, { sequence }),
    },
  };
}

export function cancelCommand(options: SendingOptions, io: Io): Promise<number> {
  return runSending({ name: 'cancel', requires: requireCancelLetter, plan: planCancellation }, options, io);
}
