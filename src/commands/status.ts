// `invite status`: what the journal says of the current event (its UID), per mail kind: accepted
// by the server, failed (with the latest reason), left out on purpose (registered, declined,
// bounced) and not yet sent; then what the invited answered. A cancelled event says so first.
import { existsSync } from 'node:fs';
import type { ChalkInstance } from 'chalk';
import type { Campaign } from '../campaign/model.js';
import type { Contact } from '../contacts/rules.js';
import { DateTime } from 'luxon';
import { isRegisteredValue, readRegistered } from '../contacts/registered.js';
import { readSuppression } from '../contacts/suppression.js';
import { EXIT, printable, shownPath, UsageError } from '../errors.js';
import { colourFor, type Io } from '../io.js';
import { isReceived, isSent, uidOf, type JournalEntry, type SentEntry } from '../journal/schema.js';
import { journalPath, readJournal } from '../journal/read.js';
import { eventState, type EventState, type PartStat } from '../journal/lifecycle.js';
import { check, type CampaignOptions } from '../sending/prepare.js';
import { unknownAdvice } from '../sending/report.js';
import { FORMAT, inZone, plural } from '../locale/words.js';

export interface StatusOptions extends CampaignOptions {
  journal?: string;
  json?: boolean;
  /** The zone times are shown in (default: the event's). */
  tz?: string;
  /** People who registered, as remind would be told (--registered). */
  registered?: string[];
}

/** Who a kind is not sent to, on purpose, and why. */
interface LeftOut {
  unsubscribed: string[];
  registered: string[];
  declined: string[];
  bounced: string[];
}

interface KindStatus {
  kind: string;
  /** Accepted by the SMTP server (not: said yes). */
  accepted: number;
  failed: { email: string; type: string; code: number | null; reason: string; time: string }[];
  /** Went out whole and the server never answered: it may have them (not resent without --resend-unknown). */
  unknown: { email: string; messageId: string; reason: string; time: string }[];
  leftOut: LeftOut;
  notYetSent: string[];
  lastSent: string | null;
}

export async function statusCommand(options: StatusOptions, io: Io): Promise<number> {
  if (options.tz && !DateTime.local().setZone(options.tz).isValid) {
    throw new UsageError(`--tz: unknown time zone "${options.tz}"`, "use an IANA name such as Europe/Riga (default: the event's zone)");
  }
  const status = statusOf(options, io);
  if (options.json) {
    // What --json says, in this order; the rest is for the text.
    const { uid, journal, tornLastLine, skippedLines, cancelled, contacts, unsubscribed, kinds, rsvp, attendees, notCounted } = status;
    const json = {
      campaign: status.campaign.id,
      uid,
      journal,
      tornLastLine,
      skippedLines,
      cancelled,
      contacts,
      unsubscribed,
      kinds,
      rsvp,
      attendees,
      notCounted,
    };
    io.stdout.write(JSON.stringify(json, null, 2) + '\n');
  } else {
    io.stdout.write(statusText(status, options.tz ?? status.campaign.event.timezone, colourFor(io.stdout, io.env)).join('\n') + '\n');
  }
  return EXIT.ok;
}

type Status = ReturnType<typeof statusOf>;

/** Everything status says, as data (--json prints it; statusText words it). */
function statusOf(options: StatusOptions, io: Io) {
  // Only the addresses are kept: the contacts are walked from the file.
  const checked = check(options, io, 'stream');
  const { campaign } = checked;
  const file = journalPath(campaign.dir, options.journal);
  const journal = readJournal(file);
  // A new event.uid is a new event: lines of an earlier one are not this event's.
  const entries = journal.entries.filter((e) => e.campaign === campaign.id && (uidOf(e) === undefined || uidOf(e) === campaign.event.uid));
  const state = eventState(journal.entries, campaign);
  const addresses = checked.contacts.contacts.map((c) => c.email.toLowerCase());
  const suppressed = readSuppression(campaign.suppression);
  const registered = registeredAddresses(options, campaign, checked.contacts.contacts, state);
  return {
    campaign,
    state,
    uid: campaign.event.uid,
    journal: shownPath(file),
    empty: entries.length === 0,
    torn: journal.torn,
    tornLastLine: Boolean(journal.torn),
    skippedLines: journal.skipped,
    cancelled: state.cancelled ? { time: state.cancelled.time, sequence: state.cancelled.sequence } : null,
    contacts: { valid: addresses.length, invalid: checked.contacts.rejected.length },
    unsubscribed: suppressed.size,
    kinds: kindsOf(entries, addresses, state, registered, suppressed),
    ...answersOf(state),
    // What came back and does not count: listed, with why (a stranger's reply, a forged bounce …).
    notCounted: entries
      .filter(isReceived)
      .filter((e) => e.status === 'not-counted')
      .map((e) => ({ kind: e.kind, recipient: e.recipient, reason: e.reason ?? '', messageId: e.messageId })),
  };
}

/** Who registered, as remind sees it: a registered column, registration.export, --registered, an Accept when it counts. */
function registeredAddresses(options: StatusOptions, campaign: Campaign, contacts: Iterable<Contact>, state: EventState): Set<string> {
  const registered = new Set<string>();
  const exportFile = campaign.registration?.export;
  for (const source of [...(options.registered ?? []), ...(exportFile && existsSync(exportFile) ? [exportFile] : [])])
    for (const a of readRegistered(source, { encoding: options.encoding })) registered.add(a);
  for (const c of contacts) if (isRegisteredValue(c.fields.registered)) registered.add(c.email.toLowerCase());
  if (campaign.registration?.acceptCountsAsRegistered) for (const [a, p] of state.answers.rsvp) if (p === 'ACCEPTED') registered.add(a);
  return registered;
}

/** What was sent, per kind (replies and bounces are what came back, shown apart). */
function kindsOf(entries: JournalEntry[], addresses: string[], state: EventState, registered: Set<string>, suppressed: Set<string>): KindStatus[] {
  const { invited, answers } = state;
  const kinds = [...new Set(['invitation', ...entries.filter(isSent).map((e) => e.kind)])];
  return kinds.map((kind) => {
    const audience = kind === 'invitation' ? addresses : addresses.filter((a) => invited.has(a));
    // Reminders leave out who registered, declined or bounced; updates and the cancellation, who bounced.
    const reason = (a: string): keyof LeftOut | undefined => {
      // Who unsubscribed gets nothing but the cancellation.
      if (kind !== 'cancel' && suppressed.has(a)) return 'unsubscribed';
      if (kind === 'invitation') return undefined;
      if (kind.startsWith('reminder:')) {
        if (registered.has(a)) return 'registered';
        if (answers.rsvp.get(a) === 'DECLINED') return 'declined';
      }
      return answers.bounced.has(a) ? 'bounced' : undefined;
    };
    return summarise(
      kind,
      entries.filter((e) => e.kind === kind),
      audience,
      reason,
    );
  });
}

/** Of the invited: who said yes, maybe or no, has not answered, or bounced; and how many each. */
function answersOf({ invited, answers }: EventState) {
  const byAnswer = (p: PartStat) => [...invited].filter((a) => !answers.bounced.has(a) && answers.rsvp.get(a) === p).sort();
  const attendees = {
    accepted: byAnswer('ACCEPTED'),
    tentative: byAnswer('TENTATIVE'),
    declined: byAnswer('DECLINED'),
    noReply: [...invited].filter((a) => !answers.bounced.has(a) && !answers.rsvp.has(a)).sort(),
    bounced: [...invited].filter((a) => answers.bounced.has(a)).sort(),
  };
  const rsvp = Object.fromEntries(Object.entries(attendees).map(([k, v]) => [k, v.length])) as Record<keyof typeof attendees, number>;
  return { rsvp, attendees };
}

/** The status for people: to the minute, in `zone`, named (--json keeps ISO UTC); text from outside escaped. */
function statusText(s: Status, zone: string, colour: ChalkInstance): string[] {
  const when = (iso: string) => inZone(iso, zone).toFormat(`ccc d LLL yyyy, ${FORMAT.time} ${FORMAT.zone}`);
  const list = (addresses: string[]) => (addresses.length > 0 && addresses.length <= 20 ? `: ${addresses.join(', ')}` : '');
  const row = (label: string, value: string) => `  ${label.padEnd(24)}${value}`;
  const lines = [`${s.campaign.id} — journal ${s.journal}${s.empty ? ' (empty: nothing sent yet)' : ''}`];
  if (s.cancelled)
    lines.push(colour.red.bold(`CANCELLED: the cancellation went out on ${when(s.cancelled.time)}; send, remind and update send nothing more for this event.`));
  if (s.torn) lines.push(colour.yellow(`warning: the journal's last line (${s.torn.line}) was cut short and is ignored`));
  for (const bad of s.skippedLines)
    lines.push(colour.yellow(`warning: journal line ${bad.line}: ${printable(bad.problem)}; skipped (it records mail that came back)`));
  const { valid, invalid } = s.contacts;
  lines.push(
    `contacts: ${plural(valid, 'valid row')}${invalid ? colour.yellow(`, ${plural(invalid, 'invalid row')} left out (invite validate lists them)`) : ''}`,
  );
  for (const k of s.kinds) {
    lines.push(
      '',
      colour.bold(k.kind),
      row('accepted by the server', `${k.accepted}${k.lastSent ? ` (last ${when(k.lastSent)})` : ''}`),
      row('failed', String(k.failed.length)),
    );
    for (const f of k.failed) lines.push(colour.red(`    ${f.email}: ${f.type}${f.code ? ` ${f.code}` : ''}: ${printable(f.reason)} (${when(f.time)})`));
    if (k.unknown.length > 0) {
      lines.push(row('unknown: no reply came', String(k.unknown.length)));
      for (const u of k.unknown) lines.push(colour.yellow(`    ${u.email}: ${printable(u.reason)} (${when(u.time)}; Message-ID ${printable(u.messageId)})`));
      lines.push(...unknownAdvice(k.unknown.length, s.journal).map((line) => `    ${line}`));
    }
    for (const [why, who] of Object.entries(k.leftOut) as [keyof LeftOut, string[]][])
      if (who.length > 0) lines.push(row(`left out: ${why}`, `${who.length}${list(who)}`));
    lines.push(row('not yet sent', `${k.notYetSent.length}${list(k.notYetSent)}`));
  }
  const invited = s.state.invited.size;
  if (invited > 0) {
    lines.push('', colour.bold('answers') + ` (of ${invited} invited; read with invite replies)`);
    const labels = { accepted: 'said yes', tentative: 'said maybe', declined: 'said no', noReply: 'no answer', bounced: 'bounced' } as const;
    for (const [key, label] of Object.entries(labels) as [keyof typeof labels, string][])
      lines.push(row(label, `${s.attendees[key].length}${key !== 'noReply' ? list(s.attendees[key]) : ''}`));
  }
  if (s.notCounted.length > 0) {
    lines.push('', colour.bold('not counted') + ` (${s.notCounted.length}: mail that came back and was not believed)`);
    for (const n of s.notCounted.slice(-20)) lines.push(`  ${n.kind} about ${printable(n.recipient)}: ${printable(n.reason)}`);
    if (s.notCounted.length > 20) lines.push(`  … and ${s.notCounted.length - 20} earlier ones (--json lists them all)`);
  }
  if (s.unsubscribed > 0) lines.push('', `unsubscribed: ${s.unsubscribed} on ${shownPath(s.campaign.suppression)} (they get the cancellation only)`);
  return lines;
}

function summarise(kind: string, entries: JournalEntry[], audience: string[], leftOutBecause: (address: string) => keyof LeftOut | undefined): KindStatus {
  const accepted = new Set(entries.filter((e) => e.status === 'accepted').map((e) => e.recipient));
  // Unknown (no reply came) stays unknown until a message is accepted: a later failure does not undo the first send.
  const unknown = new Map<string, SentEntry>();
  for (const e of entries) if (isSent(e) && e.status === 'unknown' && !accepted.has(e.recipient) && !unknown.has(e.recipient)) unknown.set(e.recipient, e);
  const lastFailure = new Map<string, SentEntry>();
  for (const e of entries) if (isSent(e) && e.status === 'failed' && !accepted.has(e.recipient) && !unknown.has(e.recipient)) lastFailure.set(e.recipient, e);
  const times = entries
    .filter((e) => e.status === 'accepted')
    .map((e) => e.time)
    .sort();
  const leftOut: LeftOut = { unsubscribed: [], registered: [], declined: [], bounced: [] };
  const notYetSent: string[] = [];
  for (const a of audience) {
    if (accepted.has(a) || lastFailure.has(a) || unknown.has(a)) continue;
    const why = leftOutBecause(a);
    if (why) leftOut[why].push(a);
    else notYetSent.push(a);
  }
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
    unknown: [...unknown.values()].map((e) => ({ email: e.recipient, messageId: e.messageId, reason: e.failure?.message ?? '', time: e.time })),
    leftOut,
    notYetSent,
    lastSent: times.at(-1) ?? null,
  };
}
