// `invite update`: after the event changed in invite.yaml, the same UID with the next SEQUENCE
// to everyone the journal shows as invited (RFC 5546).
import type { Campaign } from '../campaign/load.js';
import { Composer } from '../compose/compose.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { eventState, invitedRecipients, planUpdate, refuseIfCancelled } from '../journal/lifecycle.js';
import type { SendingOptions } from '../sending/options.js';
import { counted, type Plan, type PlanContext } from '../sending/plan.js';
import { runSending } from '../sending/run.js';

const updates = counted('update');

function requireUpdateLetter(campaign: Campaign): void {
  if (!campaign.mails.update) throw new UsageError('the campaign has no update letter', 'add mails.update (subject, html, text) to invite.yaml');
}

/** An update when the event differs from what calendars hold (a new SEQUENCE for time or place, the same one for a minor change; the same update again to finish a half-sent one), or nothing. */
export function planEventUpdate({ campaign, contacts, now, entries }: PlanContext): Plan {
  const state = eventState(entries, campaign);
  refuseIfCancelled(state, 'update');
  if (state.invited.size === 0) {
    return {
      nothing: 'Nobody has been invited yet, so there is nobody to update: invite send sends the event as it is now.',
      json: { sequence: null, changes: [] },
    };
  }
  const plan = planUpdate(state, campaign);
  if (!plan) {
    return {
      nothing: `Nothing changed: calendars already hold the event as invite.yaml describes it (SEQUENCE ${state.sequence}). Nothing sent.`,
      json: { sequence: state.sequence, changes: [] },
    };
  }
  const { recipients, notes } = invitedRecipients(state, contacts.contacts, 'update');
  const { kind } = plan;
  const what = plan.significant
    ? `Update to SEQUENCE ${plan.sequence} (the time or the place changed: everyone is asked to answer again)`
    : `Update at SEQUENCE ${plan.sequence} (a minor change: the answers given so far stand)`;
  const composer = new Composer(campaign);
  return {
    notes: [...notes, `${what}:\n${plan.changes.map((c) => `  ${c}`).join('\n')}`],
    batch: {
      kind,
      noun: updates,
      recipients,
      excluded: () => 'was not invited (the journal records no invitation to this address)',
      compose: (contact) =>
        composer.compose(contact, 'update', now, {
          sequence: plan.sequence,
          journalKind: kind,
          extra: { changes: plan.changes },
          // A minor change keeps each answer: the calendar says it again, so no client asks anew.
          ...(plan.significant ? {} : { answer: state.answers.rsvp.get(contact.email.toLowerCase()) }),
        }),
    },
  };
}

export function updateCommand(options: SendingOptions, io: Io): Promise<number> {
  return runSending({ name: 'update', requires: requireUpdateLetter, plan: planEventUpdate }, options, io);
}
