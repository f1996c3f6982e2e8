// `invite replies`: reads what came back to the organiser — Accept / Tentative / Decline from
// calendar clients, bounces, unsubscribe requests — from the IMAP mailbox (only what is new
// since the last run), saved .eml files (--dir) or an mbox file (--mbox), and records each new
// one in the journal, keyed by the mail's Message-ID: reading the same mail again changes
// nothing. What does not count (a stranger's reply, a forged bounce) is recorded and listed as
// "not counted" with the reason; a mail that cannot be read is listed and the rest are read.
import { campaignSecret } from '../campaign/secret.js';
import { CampaignKeys } from '../compose/keys.js';
import { suppress } from '../contacts/suppression.js';
import { EXIT, printable, shownPath, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { isCursor, JournalEntryRefused, type JournalEntry } from '../journal/schema.js';
import { journalPath, readJournal } from '../journal/read.js';
import { JournalWriteError, JournalWriter } from '../journal/write.js';
import { lockJournal } from '../journal/lock.js';
import { eventState, type PartStat } from '../journal/lifecycle.js';
import { loadCampaignOnly, resolveNow, type CampaignOptions } from '../sending/prepare.js';
import type { SentMessage } from '../replies/dsn.js';
import { mayMatter, readReply } from '../replies/read.js';
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
  const imapUrl = io.env.IMAP_URL;
  if (!options.dir && !options.mbox && !imapUrl) {
    throw new UsageError(
      'no mailbox to read the replies from',
      "set IMAP_URL (e.g. imaps://imap.example.org, with IMAP_USER and IMAP_PASS), or pass --dir DIR (.eml files saved from the organiser's mailbox, read recursively) or --mbox FILE",
    );
  }
  const campaign = loadCampaignOnly(options);
  campaign.secret = campaignSecret(campaign.dir, io.env);
  const now = resolveNow(options.now, campaign.event.timezone, io);
  const mailboxName = options.mailbox ?? 'INBOX';
  const file = journalPath(campaign.dir, options.journal);
  const lock = lockJournal(file, 'replies');
  const writer = new JournalWriter(file);
  try {
    const journal = readJournal(file);
    for (const bad of journal.skipped) io.stderr.write(`warning: ${shownPath(file)}:${bad.line}: ${printable(bad.problem)}; skipped\n`);
    const { entries } = journal;
    const state = eventState(entries, campaign);
    const sent = new Map<string, SentMessage>();
    for (const e of entries)
      if (e.campaign === campaign.id && e.status === 'accepted') sent.set(e.messageId, { recipient: e.recipient, kind: e.kind, uid: e.uid });
    const known = new Set(entries.filter((e) => e.status === 'received' || e.status === 'not-counted').map((e) => e.messageId));
    const cursor = entries
      .filter(isCursor)
      .filter((e) => e.campaign === campaign.id && e.mailbox.name === mailboxName)
      .at(-1)?.mailbox;
    const summary: RepliesSummary = {
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
    const source: Iterable<Found> | AsyncIterable<Found> = options.dir
      ? emlFiles(options.dir)
      : options.mbox
        ? mboxMessages(options.mbox)
        : imapMessages({
            url: imapUrl!,
            user: io.env.IMAP_USER,
            pass: io.env.IMAP_PASS,
            mailbox: mailboxName,
            since: cursor && { uidValidity: cursor.uidValidity, uid: cursor.uid },
            candidate: (s) => mayMatter(s, sent),
            onRead: ({ uidValidity, uid, reread }) => (summary.mailbox = { name: mailboxName, uidValidity, uid, reread }),
          });
    const counted: Record<PartStat, keyof RepliesSummary['new']> = { ACCEPTED: 'accepted', TENTATIVE: 'tentative', DECLINED: 'declined' };
    const context = { campaign, keys: new CampaignKeys(campaign), invited: state.invited, sent, sequence: Math.max(0, state.sequence), now };
    const record = (entry: JournalEntry, where: string): boolean => {
      try {
        writer.append(entry);
        known.add(entry.messageId);
        return true;
      } catch (error) {
        // What the journal would refuse to read back is not written: the mail is listed, the reading goes on.
        if (!(error instanceof JournalEntryRefused)) throw error;
        summary.unreadable.push({ where, reason: `not recorded: ${error.problem}` });
        return false;
      }
    };
    for await (const found of source) {
      if ('note' in found) {
        summary.passed.push({ where: found.where, reason: found.note });
        continue;
      }
      summary.read++;
      let reading;
      try {
        reading = await readReply(found, context);
      } catch (error) {
        summary.unreadable.push({ where: found.where, reason: String((error as Error).message ?? error).split('\n')[0]! });
        continue;
      }
      if (reading.type === 'other') summary.other++;
      else if (reading.type === 'skipped') summary.skipped.push({ where: reading.where, reason: reading.reason });
      else if (reading.type === 'unreadable') summary.unreadable.push({ where: reading.where, reason: reading.reason });
      else if (reading.type === 'temporary-bounce') summary.temporaryBounces++;
      else if (reading.type === 'not-counted') {
        if (reading.entry && known.has(reading.entry.messageId)) summary.alreadyRecorded++;
        else {
          if (reading.entry) record(reading.entry, reading.where);
          summary.notCounted.push({ where: reading.where, reason: reading.reason });
        }
      } else if (known.has(reading.entry.messageId)) summary.alreadyRecorded++;
      else if (record(reading.entry, found.where)) {
        const entry = reading.entry;
        if (entry.kind === 'unsubscribe') {
          suppress(campaign.suppression, entry.recipient, campaign.id, now);
          summary.new.unsubscribed++;
        } else summary.new[entry.kind === 'bounce' ? 'bounced' : counted[entry.reply!.partstat]]++;
      }
    }
    // How far the mailbox was read: the next run starts after it.
    if (summary.mailbox) {
      const { uidValidity, uid } = summary.mailbox;
      record(
        {
          time: now.toISOString(),
          campaign: campaign.id,
          kind: 'mailbox',
          recipient: campaign.organiser.email.toLowerCase(),
          messageId: `<mailbox.${uidValidity}.${uid}@invite.invalid>`,
          status: 'read',
          mailbox: { name: mailboxName, uidValidity, uid },
        },
        mailboxName,
      );
    }
    // Flushed to disk before the summary says the answers are kept.
    writer.close();
    if (options.json) io.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else io.stdout.write(summaryLines(summary).join('\n') + '\n');
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
