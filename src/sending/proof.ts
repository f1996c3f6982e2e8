// A proof to yourself: the real messages of some contacts (rendered exactly as they would get
// them), sent to the organiser's address alone, the subject marked [Proof], a Message-ID and a
// calendar UID of their own; nothing is written to the journal and nothing is counted.
import { randomUUID } from 'node:crypto';
import type { Campaign } from '../campaign/model.js';
import { Composer } from '../compose/compose.js';
import type { Contact, ContactList } from '../contacts/rules.js';
import { EXIT, printable, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { Transport } from '../transports/transport.js';
import { deliver } from './deliver.js';
import type { DeliverySettings } from './options.js';
import type { Batch } from './plan.js';

/** The contacts --as names (valid rows of the contacts file), else the first valid row: found by their keys, then read in one walk. */
export function proofContacts(contacts: ContactList, as: string[]): Contact[] {
  if (as.length === 0) {
    const first = contacts.contacts.take(1).toArray();
    if (first.length === 0) throw new UsageError(`${contacts.file} has no valid row to make a proof from`, 'invite validate lists the problems of each row');
    return first;
  }
  const wanted = as.map((given) => {
    const key = given.toLowerCase();
    if (contacts.contacts.find((c) => c.email.toLowerCase() === key)) return key;
    const rejected = contacts.rejected.find((r) => r.email.toLowerCase() === key);
    if (rejected)
      throw new UsageError(
        `--as ${given}: that row of ${contacts.file} (line ${rejected.line}) is invalid: ${rejected.problems.map((p) => p.message).join('; ')}`,
        'fix the row (invite validate lists every problem)',
      );
    throw new UsageError(`--as ${given}: no row of ${contacts.file} has this address`, 'give the address of a contact, as in the contacts file');
  });
  const chosen = new Set(wanted);
  const found = new Map(
    contacts.contacts
      .filter((c) => chosen.has(c.email.toLowerCase()))
      .toArray()
      .map((c) => [c.email.toLowerCase(), c]),
  );
  // In the order --as gave them (a repeated one twice, as before).
  return wanted.map((key) => found.get(key)!);
}

export interface ProofRun {
  batch: Batch;
  contacts: ContactList;
  campaign: Campaign;
  proof: { address: string; as: string[] };
  transport: Transport;
  delivery: DeliverySettings;
  json: boolean;
  command: string;
  io: Io;
}

export async function sendProofs({ batch, contacts, campaign, proof, transport, delivery, json, command, io }: ProofRun): Promise<number> {
  const chosen = proofContacts(contacts, proof.as);
  const composer = new Composer(campaign);
  await transport.ready?.();
  const report = await deliver({
    items: chosen,
    compose: (contact) => composer.proof(batch.compose(contact), proof.address, randomUUID()),
    addressOf: (contact) => contact.email,
    transport,
    keepAccepted: true,
    concurrency: 1,
    retries: transport.needs.retries ? delivery.retries : 0,
    retryDelayMs: delivery.retryDelayMs,
  });
  if (report.stopped && report.acceptedCount === 0) throw report.stopped;
  const whose = chosen.map((c) => printable(c.name ? `${c.name} <${c.email}>` : c.email)).join(', ');
  const say = json ? io.stderr : io.stdout;
  say.write(
    `Sent ${report.acceptedCount} ${report.acceptedCount === 1 ? 'proof' : 'proofs'} (${batch.noun(chosen.length).replace(/^\d+ /, '')} of ${whose}) to ${printable(proof.address)} through ${transport.description}; nothing was recorded in the journal.\n`,
  );
  for (const f of report.failed) io.stderr.write(`Not delivered: proof of ${f.email}: ${printable(f.reason)}\n`);
  if (report.stopped) io.stderr.write(`Stopped: ${printable(report.stopped.message)}\n`);
  if (json) {
    io.stdout.write(
      JSON.stringify(
        {
          command,
          campaign: campaign.id,
          kind: batch.kind,
          proof: proof.address,
          as: chosen.map((c) => c.email),
          accepted: report.acceptedCount,
          failed: report.failed.map((f) => ({ email: f.email, reason: f.reason })),
        },
        null,
        2,
      ) + '\n',
    );
  }
  return report.failed.length > 0 || report.stopped ? EXIT.someFailed : EXIT.ok;
}
