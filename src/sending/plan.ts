// Step 3 of a sending command: the plan. Pure: from the campaign, the contacts, the time and
// the journal entries read under the lock, it says who gets which message (kind, SEQUENCE),
// or that nothing is due and why, or refuses. Each command's planner lives beside its command
// (commands/send.ts → planInvitations, …); what they share is here.
import type { Campaign } from '../campaign/load.js';
import type { Message } from '../compose/compose.js';
import type { Contact, ContactKey, ContactList } from '../contacts/rules.js';
import { Seq } from '../contacts/seq.js';
import { UsageError } from '../errors.js';
import type { JournalEntry } from '../journal/schema.js';
import { acceptedRecipients, recipientsWith } from '../journal/read.js';
import { plural } from '../locale/words.js';

export interface PlanContext {
  campaign: Campaign;
  contacts: ContactList;
  now: Date;
  /** Everything the journal holds, read once, under the lock when messages really leave. */
  entries: JournalEntry[];
  /** The journal as messages show it. */
  journal: string;
  /** Nothing really leaves (--dry-run, --out): a plan may show what would go out. */
  preview: boolean;
  /** remind: lower-case addresses of the people who registered (--registered files). */
  registered: Set<string>;
}

/** One kind of message to a list of contacts. */
export interface Batch {
  /** The journal's kind: invitation, reminder:<stage>, update:<n>, cancel. */
  kind: string;
  /** "1 invitation", "9 reminders", … */
  noun: (count: number) => string;
  /** Chosen, counted and found by the keys in memory; walked (for a long list, read from the contacts file) only to compose. */
  recipients: Seq<Contact, ContactKey>;
  /** Why a listed contact is not among the recipients (for --to): "has registered", "was not invited". */
  excluded?(contact: ContactKey): string;
  compose: (contact: Contact) => Message;
}

export type Plan =
  /** Nothing is due: said on stdout (stderr under --json), exit 0. `json` joins the JSON summary. */
  | { nothing: string; json?: Record<string, unknown> }
  /** `notes` are printed on stderr before anything else (what stage is due, what changed). */
  | { batch: Batch; notes: string[] };

export type Planner = (context: PlanContext) => Plan;

/** "1 invitation" / "2 invitations", for a batch's noun. */
export function counted(word: string): (count: number) => string {
  return (count) => plural(count, word);
}

export interface Selection {
  /** Who gets a message in this run, in file order (its length known from the keys). */
  pending: Seq<Contact, ContactKey>;
  /** Of those selected, the ones the journal shows as already sent this kind. */
  alreadySent: Seq<Contact, ContactKey>;
  /** Of those selected and not accepted, the ones whose message went out with no reply ("unknown"): left out unless --resend-unknown. */
  unknown: Seq<Contact, ContactKey>;
  /** Left for the next run by --max. */
  deferred: number;
  /** Left out by --limit (preview's default limit too). */
  limited: number;
}

/**
 * Who of the planned recipients gets a message this run: --to, less those already sent (unless
 * --resend) and those whose message's outcome is unknown (unless --resend-unknown), capped by
 * --limit and --max.
 */
export function selectPending(
  batch: Batch,
  contacts: ContactList,
  campaign: Campaign,
  entries: JournalEntry[],
  options: { to?: string; limit?: number; max?: number; resend: boolean; resendUnknown?: boolean },
): Selection {
  const already = acceptedRecipients(entries, campaign.id, batch.kind, campaign.event.uid);
  const unsure = recipientsWith(entries, campaign.id, batch.kind, campaign.event.uid, 'unknown');
  for (const a of already) unsure.delete(a);
  let selected = batch.recipients;
  if (options.to) {
    const wanted = options.to.trim().toLowerCase();
    selected = selected.filter((c) => c.email.toLowerCase() === wanted || (c.fields.email ?? '').toLowerCase() === wanted);
    if (selected.first() === undefined) throw notARecipient(batch, contacts, options.to, wanted);
  }
  // Nothing of this kind in the journal (a first run): no walk of a long list to find none.
  const none = Seq.of<Contact>([]) as Seq<Contact, ContactKey>;
  const alreadySent = already.size === 0 ? none : selected.filter((c) => already.has(c.email.toLowerCase()));
  const unknown = unsure.size === 0 ? none : selected.filter((c) => unsure.has(c.email.toLowerCase()));
  const leftOut = options.resend ? new Set<string>() : new Set([...already, ...(options.resendUnknown ? [] : unsure)]);
  let pending = leftOut.size === 0 ? selected : selected.filter((c) => !leftOut.has(c.email.toLowerCase()));
  const limited = options.limit !== undefined ? Math.max(0, pending.length - options.limit) : 0;
  if (options.limit !== undefined) pending = pending.take(options.limit);
  const deferred = options.max !== undefined && pending.length > options.max ? pending.length - options.max : 0;
  if (options.max !== undefined) pending = pending.take(options.max);
  return { pending, alreadySent, unknown, deferred, limited };
}

/** --to names nobody this run sends to: say whether the address is no contact at all, or why that contact gets nothing. */
function notARecipient(batch: Batch, contacts: ContactList, given: string, wanted: string): UsageError {
  const listed = contacts.contacts.find((c) => c.email.toLowerCase() === wanted || (c.fields.email ?? '').toLowerCase() === wanted);
  if (listed) {
    return new UsageError(
      `${given} is a contact (${contacts.file}:${listed.line}), but gets no ${batch.noun(1).replace(/^1 /, '')} in this run: ${batch.excluded?.(listed) ?? 'not among the recipients'}`,
      'run without --to to see who does',
    );
  }
  const rejected = contacts.rejected.find((r) => r.email.toLowerCase() === wanted);
  if (rejected) {
    return new UsageError(
      `${given} is on ${contacts.file}:${rejected.line}, but that row is invalid: ${rejected.problems.map((p) => p.message).join('; ')}`,
      'fix the row (invite validate lists every problem)',
    );
  }
  return new UsageError(`${given} is not a contact: no row of ${contacts.file} has this address`, 'check the spelling, or list the contacts with --dry-run');
}
