// `invite replies`: reads what came back to the organiser — Accept / Tentative / Decline from
// calendar clients, and bounces — from saved .eml files (--dir) or an mbox file (--mbox), and
// records each new one in the journal, keyed by the reply's Message-ID: reading the same
// mail again changes nothing. `status` shows the answers; `remind` leaves out who declined or
// bounced.
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { journalPath, JournalWriteError, JournalWriter, lockJournal, readJournal } from '../journal.js';
import { eventState, type PartStat } from '../lifecycle.js';
import { loadCampaignOnly, type CampaignOptions } from '../prepare.js';
import { emlFiles, imapMessages, mboxMessages, readReply, type Incoming } from '../replies.js';
import { plural } from '../words.js';

export interface RepliesOptions extends CampaignOptions {
  dir?: string;
  mbox?: string;
  mailbox?: string;
  journal?: string;
  json?: boolean;
}

export interface RepliesSummary {
  campaign: string;
  read: number;
  new: { accepted: number; tentative: number; declined: number; bounced: number };
  alreadyRecorded: number;
  temporaryBounces: number;
  skipped: { where: string; reason: string }[];
  other: number;
}

export async function repliesCommand(options: RepliesOptions, io: Io): Promise<number> {
  if (options.dir && options.mbox) throw new UsageError('--dir and --mbox name two sources; read one at a time', 'pass one of --dir DIR, --mbox FILE, or neither to read IMAP_URL');
  const imapUrl = io.env.IMAP_URL;
  if (!options.dir && !options.mbox && !imapUrl) {
    throw new UsageError(
      'no mailbox to read the replies from',
      "set IMAP_URL (e.g. imaps://imap.example.org, with IMAP_USER and IMAP_PASS), or pass --dir DIR (.eml files saved from the organiser's mailbox, read recursively) or --mbox FILE",
    );
  }
  const campaign = loadCampaignOnly(options);
  const source: Iterable<Incoming> | AsyncIterable<Incoming> = options.dir
    ? emlFiles(options.dir)
    : options.mbox
      ? mboxMessages(options.mbox)
      : imapMessages({ url: imapUrl!, user: io.env.IMAP_USER, pass: io.env.IMAP_PASS, mailbox: options.mailbox ?? 'INBOX' });
  const file = journalPath(campaign.dir, options.journal);
  const lock = lockJournal(file, 'replies');
  const writer = new JournalWriter(file);
  try {
    const entries = readJournal(file).entries;
    const invited = eventState(entries, campaign).invited;
    const sent = new Map(entries.filter((e) => e.campaign === campaign.id && e.status === 'accepted').map((e) => [e.messageId, e.recipient]));
    const known = new Set(entries.filter((e) => e.status === 'received').map((e) => e.messageId));
    const summary: RepliesSummary = { campaign: campaign.id, read: 0, new: { accepted: 0, tentative: 0, declined: 0, bounced: 0 }, alreadyRecorded: 0, temporaryBounces: 0, skipped: [], other: 0 };
    const counted: Record<PartStat, keyof RepliesSummary['new']> = { ACCEPTED: 'accepted', TENTATIVE: 'tentative', DECLINED: 'declined' };
    for await (const mail of source) {
      summary.read++;
      const reading = await readReply(mail, { campaign, invited, sent });
      if (reading.type === 'other') summary.other++;
      else if (reading.type === 'skipped') summary.skipped.push({ where: reading.where, reason: reading.reason });
      else if (reading.type === 'temporary-bounce') summary.temporaryBounces++;
      else if (known.has(reading.entry.messageId)) summary.alreadyRecorded++;
      else {
        writer.append(reading.entry);
        known.add(reading.entry.messageId);
        summary.new[reading.type === 'bounce' ? 'bounced' : counted[reading.entry.reply!.partstat]]++;
      }
    }
    // Flushed to disk before the summary says the answers are kept.
    writer.close();
    if (options.json) io.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else io.stdout.write(summaryLines(summary).join('\n') + '\n');
    return EXIT.ok;
  } catch (error) {
    // The journal could not be written (an append or the final flush): exit 2, as for any journal error.
    if (error instanceof JournalWriteError) throw new UsageError(error.message, "check the journal's disk, then run invite replies again: what was recorded is not read twice");
    throw error;
  } finally {
    writer.abandon();
    lock.release();
  }
}

function summaryLines(s: RepliesSummary): string[] {
  const n = s.new;
  const fresh = n.accepted + n.tentative + n.declined + n.bounced;
  const parts = [
    `${fresh} new`,
    ...(fresh > 0 ? [`(${[['accepted', n.accepted], ['tentative', n.tentative], ['declined', n.declined], ['bounced', n.bounced]].filter(([, c]) => c).map(([w, c]) => `${c} ${w}`).join(', ')})`] : []),
  ];
  const lines = [`Read ${plural(s.read, 'message')}: ${parts.join(' ')}; ${s.alreadyRecorded} already recorded; ${s.skipped.length} skipped; ${plural(s.other, 'other mail', 'other mails')}.`];
  if (s.temporaryBounces > 0) lines.push(`${plural(s.temporaryBounces, 'temporary delivery delay')} (4.x.x) only counted: the server is still trying.`);
  for (const k of s.skipped) lines.push(`Skipped ${k.where}: ${k.reason}`);
  return lines;
}
