// What a journal line may say: one zod schema per kind of line (a message sent, a mail that came
// back, how far a mailbox was read) that both the writer and the reader use, so that nothing the
// reader would refuse is ever written. The entry types are the schemas' own.
import * as z from 'zod';

/** Bounds on what a journal line may hold: text from outside is cut to these before it is stored. */
export const BOUNDS = { text: 1024, reason: 300, messageId: 998 } as const;

/** Text from outside (a server's reply, a bounce's diagnostic), cut to fit a journal line: at most `max` characters, the cut marked. */
export function bounded(text: string, max: number = BOUNDS.text): string {
  if (text.length <= max) return text;
  // Never half a surrogate pair: the line must stay valid UTF-8.
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(text[end - 1] ?? '')) end--;
  return `${text.slice(0, end)}…`;
}
/** SEQUENCE is an INTEGER (RFC 5545 §3.3.8): 32 bits, signed. */
const SEQUENCE_MAX = 2 ** 31 - 1;

/** The event as a message's calendar had it (compose's EventSnapshot); more keys from a later invite are kept. */
const eventSchema = z.looseObject({
  title: z.string(),
  start: z.string(),
  end: z.string(),
  location: z.string(),
  url: z.string(),
  description: z.string(),
  attachments: z.string().optional(),
});

/** What a recipient may be; the reader also lower-cases it (below). */
const recipientText = z
  .string()
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+$/, 'expected an e-mail address');

const common = {
  time: z.iso.datetime({ offset: true }),
  campaign: z.string().min(1).max(200),
  // Compared ignoring case everywhere: stored lower-case, whatever an editor made of it.
  recipient: recipientText.transform((r) => r.toLowerCase()),
  messageId: z.string().min(1).max(BOUNDS.messageId),
  uid: z.string().max(BOUNDS.text).optional(),
};

/**
 * A message we sent: accepted by the server, failed, or unknown (it went out whole, and the reply
 * never came: the server may have it).
 */
const sentSchema = z.strictObject({
  ...common,
  kind: z
    .string()
    .regex(
      /^(invitation|cancel|reminder:[a-z0-9][a-z0-9-]*|update:\d+(\.\d+)?|[a-z]+(:[A-Za-z0-9._-]+)?)$/,
      'expected invitation, reminder:<stage>, update:<n> or cancel',
    ),
  sequence: z.int().min(0).max(SEQUENCE_MAX).optional(),
  status: z.enum(['accepted', 'failed', 'unknown']),
  response: z.string().max(BOUNDS.text).optional(),
  /** What the calendar in this message said (time, place, title …), to tell what an update changes. */
  event: eventSchema.optional(),
  failure: z
    .strictObject({ type: z.enum(['permanent', 'temporary', 'unknown']), code: z.int().min(0).max(999).optional(), message: z.string().max(BOUNDS.text) })
    .optional(),
});

/** A mail that came back: a reply, a bounce or an unsubscribe request; counted (received) or not (with its reason). */
const receivedSchema = z.strictObject({
  ...common,
  kind: z.enum(['reply', 'bounce', 'unsubscribe']),
  status: z.enum(['received', 'not-counted']),
  reply: z
    .strictObject({
      partstat: z.enum(['ACCEPTED', 'TENTATIVE', 'DECLINED']),
      sequence: z.int().min(0).max(SEQUENCE_MAX),
      dtstamp: z.iso.datetime({ offset: true }).optional(),
      date: z.iso.datetime({ offset: true }).optional(),
    })
    .optional(),
  bounce: z
    .strictObject({
      status: z.string().regex(/^[245]\.\d{1,3}\.\d{1,3}$/),
      diagnostic: z.string().max(BOUNDS.text).optional(),
      date: z.iso.datetime({ offset: true }).optional(),
    })
    .optional(),
  reason: z.string().max(BOUNDS.reason).optional(),
});

/** How far a mailbox was read over IMAP. */
const cursorSchema = z.strictObject({
  time: common.time,
  campaign: common.campaign,
  kind: z.literal('mailbox'),
  recipient: common.recipient,
  messageId: common.messageId,
  status: z.literal('read'),
  mailbox: z.strictObject({
    name: z.string().min(1).max(BOUNDS.reason),
    uidValidity: z
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    uid: z
      .int()
      .min(0)
      .max(2 ** 32 - 1),
  }),
});

/** A message we sent (accepted, failed or unknown). */
export type SentEntry = z.output<typeof sentSchema>;
/** A reply, bounce or unsubscribe request that came back (counted or not). */
export type ReceivedEntry = z.output<typeof receivedSchema>;
/** How far a mailbox was read (kind mailbox, status read). */
export type CursorEntry = z.output<typeof cursorSchema>;
/** A journal line, as its schema reads it. */
export type JournalEntry = SentEntry | ReceivedEntry | CursorEntry;
/** accepted, failed, unknown (sent); received, not-counted (came back); read (a mailbox cursor). */
export type JournalStatus = JournalEntry['status'];

/** A message we sent. */
export const isSent = (e: JournalEntry): e is SentEntry => e.status === 'accepted' || e.status === 'failed' || e.status === 'unknown';
/** A message the recipient may have: the server accepted it, or it went out whole and the reply never came. */
export const mayHaveArrived = (e: JournalEntry): e is SentEntry => e.status === 'accepted' || e.status === 'unknown';
/** A mail that came back (a reply, a bounce, an unsubscribe request), counted or not. */
export const isReceived = (e: JournalEntry): e is ReceivedEntry => e.status === 'received' || e.status === 'not-counted';
/** The calendar UID a line is about (none for a mailbox cursor, or a line an early invite wrote). */
export const uidOf = (e: JournalEntry): string | undefined => ('uid' in e ? e.uid : undefined);
/** How far a mailbox was read. */
export const isCursor = (e: JournalEntry): e is CursorEntry => e.status === 'read';

/**
 * A sent line's fields that change from message to message. The others (campaign, kind, uid,
 * sequence, the event) are the same for every message of a run: the writer checks them with the
 * whole schema once and then only these, with the same schema's own rules, refused exactly where
 * the reader would refuse them. The recipient is checked without the reader's lower-casing, which
 * never refuses anything (and the writer writes it lower-case): a zod transform makes objects at
 * one place in zod for every schema, and V8, having seen them outlive its young generation
 * elsewhere (invite.yaml, a journal read whole), allocates them in the old one from then on,
 * where a line's few hundred bytes piled up until a full collection: a 100,000-message send
 * peaked 20 MB higher in about one run of four.
 */
export const sentVarying = z.object({
  ...sentSchema.pick({ time: true, messageId: true, status: true, response: true, failure: true }).shape,
  recipient: recipientText,
});
export const SENT_KEYS = new Set(Object.keys(sentSchema.shape));
export type RunConstant = Pick<SentEntry, 'campaign' | 'kind' | 'uid' | 'sequence' | 'event'>;

/** The schema of a line, by what it says it is: one schema writes and reads each kind. */
function schemaOf(value: unknown) {
  const status = value && typeof value === 'object' ? (value as { status?: unknown }).status : undefined;
  if (status === 'read') return cursorSchema;
  if (status === 'received' || status === 'not-counted') return receivedSchema;
  return sentSchema;
}

/** Whether a line is about mail that came back (a reply, a bounce …): a bad one is skipped, not fatal. */
export function cameBack(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  const { status, kind } = value as { status?: unknown; kind?: unknown };
  return (
    status === 'received' ||
    status === 'not-counted' ||
    status === 'read' ||
    kind === 'reply' ||
    kind === 'bounce' ||
    kind === 'unsubscribe' ||
    kind === 'mailbox'
  );
}

/** What is wrong with a line, in words; undefined when it is a journal entry. */
export function problemOf(value: unknown, schema: z.ZodType = schemaOf(value)): { entry: JournalEntry } | { problem: string } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { entry: parsed.data as JournalEntry };
  const issue = parsed.error.issues[0]!;
  const key = issue.path.join('.');
  const what = /received undefined/.test(issue.message) ? `"${key}" is missing` : `${key ? `"${key}": ` : ''}${issue.message}`;
  return { problem: `this journal line is not a journal entry: ${what}` };
}

export function onlyKeys(value: object, keys: Set<string>): boolean {
  for (const key in value) if (!keys.has(key)) return false;
  return true;
}

/** An entry as the journal would read it back, or why it would refuse it: nothing it would refuse is ever written. */
export function checkEntry(entry: JournalEntry): { entry: JournalEntry } | { problem: string } {
  return problemOf(JSON.parse(JSON.stringify(entry)));
}

/** An entry the journal's own reader would refuse: not written (a bug when we sent it; the mail's fault when it came back). */
export class JournalEntryRefused extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'JournalEntryRefused';
  }
}
