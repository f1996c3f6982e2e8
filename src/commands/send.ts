// `invite send`: the invitation to every contact the journal does not show as already invited.
import { compose } from '../compose.js';
import type { Io } from '../io.js';
import { prepare } from '../prepare.js';
import { runSending, type SendingOptions } from '../sending.js';

export type SendOptions = SendingOptions;

export const invitations = (n: number) => `${n} invitation${n === 1 ? '' : 's'}`;

export async function sendCommand(options: SendOptions, io: Io): Promise<number> {
  const { campaign, contacts, now } = prepare(options, io, options.skipInvalid);
  return runSending(
    {
      command: 'send',
      campaign,
      contacts,
      kind: 'invitation',
      noun: invitations,
      recipients: contacts.contacts,
      compose: (contact) => compose(campaign, contact, 'invitation', now),
    },
    options,
    io,
  );
}
