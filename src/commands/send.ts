// `invite send`: the invitation to every contact the journal does not show as already invited.
import { Composer } from '../compose/compose.js';
import type { Io } from '../io.js';
import { eventState, refuseIfCancelled } from '../journal/lifecycle.js';
import type { SendingOptions } from '../sending/options.js';
import { counted, type Plan, type PlanContext } from '../sending/plan.js';
import { runSending } from '../sending/run.js';

export const invitations = counted('invitation');

/** Everyone in the contacts, at the SEQUENCE calendars now hold; refused once the event was cancelled. */
export function planInvitations({ campaign, contacts, now, entries }: PlanContext): Plan {
  const state = eventState(entries, campaign);
  refuseIfCancelled(state, 'send');
  // Someone invited after an update gets the event as calendars now hold it.
  const sequence = Math.max(0, state.sequence);
  const composer = new Composer(campaign);
  return {
    notes: [],
    batch: {
      kind: 'invitation',
      noun: invitations,
      recipients: contacts.contacts,
      compose: (contact) => composer.compose(contact, 'invitation', now, { sequence }),
    },
  };
}

export function sendCommand(options: SendingOptions, io: Io): Promise<number> {
  return runSending({ name: 'send', plan: planInvitations }, options, io);
}
