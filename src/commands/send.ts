// `invite send`: the invitation to every contact the journal does not show as already invited.
import { compose } from '../compose.js';
import type { Io } from '../io.js';
import { journalPath, readJournal } from '../journal.js';
import { eventState, refuseIfCancelled } from '../lifecycle.js';
import { prepare } from '../prepare.js';
import { runSending, type SendingOptions } from '../sending.js';

export type SendOptions = SendingOptions;

export const invitations = (n: number) => `${n} invitation${n === 1 ? '' : 's'}`;

export async function sendCommand(options: SendOptions, io: Io): Promise<number> {
  const { campaign, contacts, now } = prepare(options, io, options.skipInvalid);
  const state = eventState(readJournal(journalPath(campaign.dir, options.journal)).entries, campaign);
  refuseIfCancelled(state, 'send');
  // Someone invited after an update gets the event as calendars now hold it.
  const sequence = Math.max(0, state.sequence);
  return runSending(
    {
      command: 'send',
      campaign,
      contacts,
      kind: 'invitation',
      noun: invitations,
      recipients: contacts.contacts,
      compose: (contact) => compose(campaign, contact, 'invitation', now, { sequence }),
    },
    options,
    io,
  );
}
