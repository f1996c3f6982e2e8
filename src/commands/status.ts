// `invite status`: what the journal says, per mail kind: accepted, failed (with the latest
// reason), and the contacts not yet sent each kind.
import { DateTime } from 'luxon';
import { EXIT, shownPath, UsageError } from '../errors.js';
import { colourFor, type Io } from '../io.js';
import { journalPath, readJournal, type JournalEntry } from '../journal.js';
import { answersOf, eventState, type PartStat } from '../lifecycle.js';
import { check, type CampaignOptions } from '../prepare.js';
import { FORMAT, inZone } from '../words.js';

export interface StatusOptions extends CampaignOptions {
  journal?: string;
  json?: boolean;
  /** The zone times are shown in (default: the event's). */
  tz?: string;
}

interface KindStatus {
  kind: string;
  accepted: number;
  failed: { email: string; type: string; code: number | null; reason: string; time: string }[];
  notYetSent: string[];
  lastSent: string | null;
}

export async function statusCommand(options: StatusOptions, io: Io): Promise<number> {
  if (options.tz && !DateTime.local().setZone(options.tz).isValid) {
    throw new UsageError(`--tz: unknown time zone "${options.tz}"`, 'use an IANA name such as Europe/Riga (default: the event\'s zone)');
  }
  // Only the addresses are kept: the contacts are walked from the file.
  const checked = check(options, io, 'stream');
  const { campaign } = checked;
  const file = journalPath(campaign.dir, options.journal);
  const journal = readJournal(file);
  const entries = journal.entries.filter((e) => e.campaign === campaign.id);
  const addresses = checked.contacts.contacts.map((c) => c.email.toLowerCase());

  // What was sent, per kind; replies and bounces are what came back, shown apart.
  const kinds = [...new Set(['invitation', ...entries.filter((e) => e.status !== 'received').map((e) => e.kind)])];
  // Reminders, updates and the cancellation go only to those invited: count the rest against them.
  const invited = eventState(journal.entries, campaign).invited;
  const status: KindStatus[] = kinds.map((kind) =>
    summarise(kind, entries.filter((e) => e.kind === kind), kind === 'invitation' ? addresses : addresses.filter((a) => invited.has(a))),
  );

  const answers = answersOf(journal.entries, campaign);
  const byAnswer = (p: PartStat) => [...invited].filter((a) => !answers.bounced.has(a) && answers.rsvp.get(a) === p).sort();
  const attendees = {
    accepted: byAnswer('ACCEPTED'),
    tentative: byAnswer('TENTATIVE'),
    declined: byAnswer('DECLINED'),
    noReply: [...invited].filter((a) => !answers.bounced.has(a) && !answers.rsvp.has(a)).sort(),
    bounced: [...invited].filter((a) => answers.bounced.has(a)).sort(),
  };
  const rsvp = Object.fromEntries(Object.entries(attendees).map(([k, v]) => [k, v.length])) as Record<keyof typeof attendees, number>;

  if (options.json) {
    io.stdout.write(JSON.stringify({ campaign: campaign.id, journal: shownPath(file), tornLastLine: Boolean(journal.torn), kinds: status, rsvp, attendees }, null, 2) + '\n');
    return EXIT.ok;
  }
  // For people: to the minute, in the organiser's zone, named; --json keeps ISO UTC.
  const zone = options.tz ?? campaign.event.timezone;
  const when = (iso: string) => inZone(iso, zone).toFormat(`ccc d LLL yyyy, ${FORMAT.time} ${FORMAT.zone}`);
  const colour = colourFor(io.stdout, io.env);
  const lines = [`${campaign.id} — journal ${shownPath(file)}${journal.entries.length === 0 ? ' (empty: nothing sent yet)' : ''}`];
  if (journal.torn) lines.push(colour.yellow(`warning: the journal's last line (${journal.torn.line}) was cut short and is ignored`));
  for (const s of status) {
    lines.push('', colour.bold(s.kind));
    lines.push(`  accepted      ${s.accepted}${s.lastSent ? ` (last ${when(s.lastSent)})` : ''}`);
    lines.push(`  failed        ${s.failed.length}`);
    for (const f of s.failed) lines.push(colour.red(`    ${f.email}: ${f.type}${f.code ? ` ${f.code}` : ''}: ${f.reason} (${when(f.time)})`));
    lines.push(`  not yet sent  ${s.notYetSent.length}${s.notYetSent.length > 0 && s.notYetSent.length <= 20 ? `: ${s.notYetSent.join(', ')}` : ''}`);
  }
  if (invited.size > 0) {
    lines.push('', colour.bold('replies') + ` (of ${invited.size} invited; read with invite replies)`);
    const labels: [keyof typeof attendees, string][] = [['accepted', 'accepted'], ['tentative', 'tentative'], ['declined', 'declined'], ['noReply', 'no answer'], ['bounced', 'bounced']];
    for (const [key, label] of labels) {
      const list = attendees[key];
      lines.push(`  ${label.padEnd(12)}  ${list.length}${list.length > 0 && list.length <= 20 && key !== 'noReply' ? `: ${list.join(', ')}` : ''}`);
    }
  }
  io.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}

function summarise(kind: string, entries: JournalEntry[], addresses: string[]): KindStatus {
  const accepted = new Set(entries.filter((e) => e.status === 'accepted').map((e) => e.recipient));
  const lastFailure = new Map<string, JournalEntry>();
  for (const e of entries) if (e.status === 'failed' && !accepted.has(e.recipient)) lastFailure.set(e.recipient, e);
  const times = entries.filter((e) => e.status === 'accepted').map((e) => e.time).sort();
  return {
    kind,
    accepted: accepted.size,
    failed: [...lastFailure.values()].map((e) => ({
      email: e.recipient,
      type: e.failure?.type ?? 'failed',
      code: e.failure?.code ?? null,
      reason: e.failure?.message ?? '',
      time: e.time,
    })),
    notYetSent: addresses.filter((a) => !accepted.has(a) && !lastFailure.has(a)),
    lastSent: times.at(-1) ?? null,
  };
}
