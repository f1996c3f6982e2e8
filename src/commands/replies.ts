// `invite replies`: reads what came back to the organiser — Accept / Tentative / Decline from
// calendar clients, bounces, unsubscribe requests — from the IMAP mailbox (only what is new
// since the last run), saved .eml files (--dir) or an mbox file (--mbox), and records each new
// one in the journal, keyed by the mail's Message-ID: reading the same mail again changes
// nothing. What does not count (a stranger's reply, a forged bounce) is recorded and listed as
// "not counted" with the reason; a mail that cannot be read is listed and the rest are read.
import type { Campaign } from '../campaign/model.js';
import { campaignSecret } from '../campaign/secret.js';
import { CampaignKeys } from '../compose/keys.js';
import { suppress } from '../contacts/suppression.js';
import { EXIT, printable, shownPath, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { isCursor, mayHaveArrived, JournalEntryRefused, type JournalEntry, type ReceivedEntry } from '../journal/schema.js';
import { journalPath, readJournal } from '../journal/read.js';
import { JournalWriteError, JournalWriter } from '../journal/write.js';
import { lockJournal } from '../journal/lock.js';
import { eventState, type PartStat } from '../journal/lifecycle.js';
import { loadCampaignOnly, resolveNow, type CampaignOptions } from '../sending/prepare.js';
import type { SentMessage } from '../replies/dsn.js';
import { mayMatter, readReply, type ReplyContext } from '../replies/read.js';
import { emlFiles, imapMessages, mboxMessages, type Found } from '../replies/sources.js';
import { plural } from '../locale/words.js';

export interface RepliesOptions extends CampaignOptions {
  dir?: string;
  mbox?: string;
  mailbox?: string;
  journal?: string;
  json?: boolean;
}

interface Listed {
  where: string;
  reason: string;
}

export interface RepliesSummary {
  campaign: string;
  read: number;
  new: { accepted: number; tentative: number; declined: number; bounced: number; unsubscribed: number };
  alreadyRecorded: number;
  temporaryBounces: number;
  /** About this campaign, but not counted: a stranger's answer, a forged bounce, a SEQUENCE no version had … */
  notCounted: Listed[];
  /** Not about this campaign's event (another event, not a reply). */
  skipped: Listed[];
  /** Could not be read at all; the others were. */
  unreadable: Listed[];
  /** Not read: a link that loops or leads nowhere, a mail too large. */
  passed: Listed[];
  other: number;
  /** IMAP: the mailbox's UIDVALIDITY and the highest UID now read. */
  mailbox?: { name: string; uidValidity: number; uid: number; reread: boolean };
}

export async function repliesCommand(options: RepliesOptions, io: Io): Promise<number> {
  if (options.dir && options.mbox)
    throw new UsageError('--dir and --mbox name two sources; read one at a time', 'pass one of --dir DIR, --mbox FILE, or neither to read IMAP_URL');
  if (!options.dir && !options.mbox && !io.env.IMAP_URL) {
    throw new UsageError(
      'no mailbox to read the replies from',
      "set IMAP_URL (e.g. imaps://imap.example.org, with IMAP_USER and IMAP_PASS), or pass --dir DIR (.eml files saved from the organiser's mailbox, read recursively) or --mbox FILE",
    );
  }
  const campaign = loadCampaignOnly(options);
  campaign.secret = campaignSecret(campaign.dir, io.env);
  const now = resolveNow(options.now, campaign.event.timezone, io);
  const file = journalPath(campaign.dir, options.journal);
  const lock = lockJournal(file, 'replies');
  const writer = new JournalWriter(file);
  try {
    const journal = readJournal(file);
    for (const bad of journal.skipped) io.stderr.write(`warning: ${shownPath(file)}:${bad.line}: ${printable(bad.problem)}; skipped\n`);
    const recorder = new Recorder(campaign, journal.entries, writer, now, options.mailbox ?? 'INBOX');
    for await (const found of recorder.source(options, io.env)) await recorder.take(found);
    recorder.keepCursor();
    // Flushed to disk before the summary says the answers are kept.
    writer.close();
    if (options.json) io.stdout.write(JSON.stringify(recorder.summary, null, 2) + '\n');
    else io.stdout.write(summaryLines(recorder.summary).join('\n') + '\n');
    return EXIT.ok;
  } catch (error) {
    // The journal could not be written (an append or the final flush): exit 2, as for any journal error.
    if (error instanceof JournalWriteError)
      throw new UsageError(error.message, "check the journal's disk, then run invite replies again: what was recorded is not read twice");
    throw error;
  } finally {
    writer.abandon();
    lock.release();
  }
}

const COUNTED: Record<PartStat, keyof RepliesSummary['new']> = { ACCEPTED: 'accepted', TENTATIVE: 'tentative', DECLINED: 'declined' };

/** One reading of a mailbox: what the journal knew before, what each mail adds to it, and the summary. */
class Recorder {
  readonly summary: RepliesSummary;
  private readonly sent = new Map<string, SentMessage>();
  private readonly known: Set<string>;
  private readonly cursor?: { uidValidity: number; uid: number };
  private readonly context: ReplyContext;

  constructor(
    private readonly campaign: Campaign,
    entries: JournalEntry[],
    private readonly writer: JournalWriter,
    private readonly now: Date,
    private readonly mailbox: string,
  ) {
    for (const e of entries)
      if (e.campaign === campaign.id && mayHaveArrived(e)) this.sent.set(e.messageId, { recipient: e.recipient, kind: e.kind, uid: e.uid });
    this.known = new Set(entries.filter((e) => e.status === 'received' || e.status === 'not-counted').map((e) => e.messageId));
    this.cursor = entries
      .filter(isCursor)
      .filter((e) => e.campaign === campaign.id && e.mailbox.name === mailbox)
      .at(-1)?.mailbox;
    const state = eventState(entries, campaign);
    this.context = { campaign, keys: new CampaignKeys(campaign), invited: state.invited, sent: this.sent, sequence: Math.max(0, state.sequence), now };
    this.summary = {
      campaign: campaign.id,
      read: 0,
      new: { accepted: 0, tentative: 0, declined: 0, bounced: 0, unsubscribed: 0 },
      alreadyRecorded: 0,
      temporaryBounces: 0,
      notCounted: [],
      skipped: [],
      unreadable: [],
      passed: [],
      other: 0,
    };
  }

  /** Where the mails come from: --dir, --mbox, or IMAP_URL's mailbox from after the last UID read. */
  source(options: RepliesOptions, env: NodeJS.ProcessEnv): Iterable<Found> | AsyncIterable<Found> {
    if (options.dir) return emlFiles(options.dir);
    if (options.mbox) return mboxMessages(options.mbox);
    return imapMessages({
      url: env.IMAP_URL!,
      user: env.IMAP_USER,
      pass: env.IMAP_PASS,
      mailbox: this.mailbox,
      since: this.cursor && { uidValidity: this.cursor.uidValidity, uid: this.cursor.uid },
      candidate: (s) => mayMatter(s, this.sent),
      onRead: ({ uidValidity, uid, reread }) => (this.summary.mailbox = { name: this.mailbox, uidValidity, uid, reread }),
    });
  }

  /** One mail: read in its own try (a malformed one is listed, the rest are read), recorded once. */
  async take(found: Found): Promise<void> {
    const summary = this.summary;
    if ('note' in found) {
      summary.passed.push({ where: found.where, reason: found.note });
      return;
    }
    summary.read++;
    let reading;
    try {
      reading = await readReply(found, this.context);
    } catch (error) {
      summary.unreadable.push({ where: found.where, reason: String((error as Error).message ?? error).split('\n')[0]! });
      return;
    }
    if (reading.type === 'other') summary.other++;
    else if (reading.type === 'skipped') summary.skipped.push({ where: reading.where, reason: reading.reason });
    else if (reading.type === 'unreadable') summary.unreadable.push({ where: reading.where, reason: reading.reason });
    else if (reading.type === 'temporary-bounce') summary.temporaryBounces++;
    else if (reading.type === 'not-counted') {
      if (reading.entry && this.known.has(reading.entry.messageId)) summary.alreadyRecorded++;
      else {
        if (reading.entry) this.record(reading.entry, reading.where);
        summary.notCounted.push({ where: reading.where, reason: reading.reason });
      }
    } else if (this.known.has(reading.entry.messageId)) summary.alreadyRecorded++;
    else if (this.record(reading.entry, found.where)) this.counted(reading.entry);
  }

  private counted(entry: ReceivedEntry): void {
    if (entry.kind === 'unsubscribe') {
      suppress(this.campaign.suppression, entry.recipient, this.campaign.id, this.now);
      this.summary.new.unsubscribed++;
    } else this.summary.new[entry.kind === 'bounce' ? 'bounced' : COUNTED[entry.reply!.partstat]]++;
  }

  /** How far the mailbox was read: the next run starts after it. */
  keepCursor(): void {
    if (!this.summary.mailbox) return;
    const { uidValidity, uid } = this.summary.mailbox;
    this.record(
      {
        time: this.now.toISOString(),
        campaign: this.campaign.id,
        kind: 'mailbox',
        recipient: this.campaign.organiser.email.toLowerCase(),
        messageId: `<mailbox.${uidValidity}.${uid}@invite.invalid>`,
        status: 'read',
        mailbox: { name: this.mailbox, uidValidity, uid },
      },
      this.mailbox,
    );
  }

  private record(entry: JournalEntry, where: string): boolean {
    try {
      this.writer.append(entry);
      this.known.add(entry.messageId);
      return true;
    } catch (error) {
      // What the journal would refuse to read back is not written: the mail is listed, the reading goes on.
      if (!(error instanceof JournalEntryRefused)) throw error;
      this.summary.unreadable.push({ where, reason: `not recorded: ${error.problem}` });
      return false;
    }
  }
}

/** The summary for people: every text that came from a mail escaped, so no mail can move the cursor or write the clipboard. */
function summaryLines(s: RepliesSummary): string[] {
  const n = s.new;
  const fresh = n.accepted + n.tentative + n.declined + n.bounced + n.unsubscribed;
  const kinds = [
    ['accepted', n.accepted],
    ['tentative', n.tentative],
    ['declined', n.declined],
    ['bounced', n.bounced],
    ['unsubscribed', n.unsubscribed],
  ].filter(([, c]) => c);
  const parts = [`${fresh} new`, ...(fresh > 0 ? [`(${kinds.map(([w, c]) => `${c} ${w}`).join(', ')})`] : [])];
  const extra = [...(s.notCounted.length ? [`${s.notCounted.length} not counted`] : []), ...(s.unreadable.length ? [`${s.unreadable.length} unreadable`] : [])];
  const lines = [
    `Read ${plural(s.read, 'message')}: ${parts.join(' ')}; ${s.alreadyRecorded} already recorded; ${extra.map((e) => `${e}; `).join('')}${s.skipped.length} skipped; ${plural(s.other, 'other mail', 'other mails')}.`,
  ];
  if (s.mailbox)
    lines.push(
      `${s.mailbox.reread ? 'The mailbox changed its UIDVALIDITY: it was read again from the start. ' : ''}Read ${printable(s.mailbox.name)} up to UID ${s.mailbox.uid}; the next run starts after it.`,
    );
  if (s.temporaryBounces > 0) lines.push(`${plural(s.temporaryBounces, 'temporary delivery delay')} (4.x.x) only counted: the server is still trying.`);
  for (const k of s.notCounted) lines.push(`Not counted ${printable(k.where)}: ${printable(k.reason)}`);
  for (const k of s.unreadable) lines.push(`Unreadable ${printable(k.where)}: ${printable(k.reason)}`);
  for (const k of s.skipped) lines.push(`Skipped ${printable(k.where)}: ${printable(k.reason)}`);
  for (const k of s.passed) lines.push(`Passed over ${printable(k.where)}: ${printable(k.reason)}`);
  return lines;
}
