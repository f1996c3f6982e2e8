// Step 5 of a sending command: the report. One summary, from which the JSON (--json) and the
// organiser's text are both written, and the exit code the contract gives it.
import type { ChalkInstance } from 'chalk';
import type { Campaign } from '../campaign/model.js';
import { Composer } from '../compose/compose.js';
import type { Recipient } from '../compose/context.js';
import type { Contact, ContactKey, ContactList } from '../contacts/rules.js';
import type { Seq } from '../contacts/seq.js';
import { EXIT, printable } from '../errors.js';
import type { Transport } from '../transports/transport.js';
import { shownPerson } from '../locale/words.js';
import { breather, writeDrained } from './breathe.js';
import type { DeliveryReport } from './deliver.js';
import type { Batch, Selection } from './plan.js';

export interface RunSummary {
  command: string;
  campaign: string;
  kind: string;
  mode: Transport['mode'];
  target: string;
  journal: string | null;
  alreadySent: number;
  toSend: number;
  deferred: number;
  accepted: number;
  failed: { email: string; reason: string; responseCode: number | null; permanent: boolean }[];
  /** Went out whole with no reply from the server: it may have them; not retried, not resent without --resend-unknown. */
  unknown: { email: string; messageId: string; reason: string }[];
  notSent: string[];
  stopped: string | null;
  interrupted: boolean;
  skipped: { line: number; email: string; reasons: string[] }[];
  messages: { email: string; messageId: string; response: string }[];
  /** Accepted by the server but missing from the journal (it could not be written), with the journal line each needs. */
  unrecorded: { email: string; messageId: string; line: string }[];
  /** --dry-run: every recipient, as the table shows them. */
  recipients?: Recipient[];
}

/**
 * The dry run's table of recipients: one line each, before any message, made from the keys the
 * check kept (the file is not read for it): two passes over them, the widths, then the lines. It goes
 * out in 64 kB pieces and waits for a slow reader (a pipe) rather than queue in memory. With
 * `keep`, each recipient is also kept there (for --json).
 */
export async function writeRecipientTable(
  pending: Seq<Contact, ContactKey>,
  campaign: Campaign,
  colour: ChalkInstance,
  out: NodeJS.WritableStream,
  keep?: Recipient[],
): Promise<void> {
  const count = pending.length;
  const width = String(count).length;
  let column = 0;
  for (const c of pending.keys()) column = Math.max(column, printable(shownPerson(c)).length);
  column = Math.min(60, column);
  let text = colour.bold(`Recipients (${count}):`) + '\n';
  let i = 0;
  const breathe = breather();
  const composer = new Composer(campaign);
  // With letters in more than one language, which one each recipient gets.
  const languages = (campaign.mails.invitation.letters?.size ?? 0) > 0;
  for (const c of pending.keys()) {
    const r = composer.recipientOf(c);
    keep?.push(r);
    const warnings = r.warnings.length ? colour.yellow(`  ⚠ ${printable(r.warnings.join('; '))}`) : '';
    const language = languages ? `${r.language.padEnd(5)}  ` : '';
    text += `  ${String(++i).padStart(width)}  ${printable(shownPerson(r)).padEnd(column)}  ${language}${r.localTime}${warnings}\n`;
    if (text.length > 1 << 16) {
      await writeDrained(out, text);
      text = '';
      await breathe();
    }
  }
  await writeDrained(out, text + '\n');
}

export interface ReportInput {
  campaign: Campaign;
  command: string;
  batch: Batch;
  contacts: ContactList;
  transport: Transport;
  journal: string;
  selection: Selection;
  resend: boolean;
  delivery: DeliveryReport;
  /** --dry-run: the recipients the table showed. */
  recipients?: Recipient[];
}

export function summarise(input: ReportInput): RunSummary {
  const { delivery, selection, transport } = input;
  return {
    command: input.command,
    campaign: input.campaign.id,
    kind: input.batch.kind,
    mode: transport.mode,
    target: transport.description,
    journal: transport.needs.journal ? input.journal : null,
    alreadySent: input.resend ? 0 : selection.alreadySent.length,
    toSend: selection.pending.length,
    deferred: selection.deferred,
    accepted: delivery.acceptedCount,
    failed: delivery.failed.map((f) => ({ email: f.email, reason: f.reason, responseCode: f.responseCode ?? null, permanent: f.permanent })),
    unknown: delivery.unknown.map((u) => ({ email: u.email, messageId: u.messageId, reason: u.reason })),
    notSent: delivery.notTried,
    stopped: delivery.stopped?.message ?? null,
    interrupted: delivery.interrupted,
    skipped: input.contacts.rejected.map((r) => ({ line: r.line, email: r.email, reasons: r.problems.map((p) => p.message) })),
    messages: delivery.accepted.map((a) => ({ email: a.email, messageId: a.messageId, response: a.response })),
    unrecorded: delivery.unrecorded,
    ...(input.recipients ? { recipients: input.recipients } : {}),
  };
}

/** The lines the organiser reads at the end. */
export function summaryText(summary: RunSummary, input: ReportInput, colour: ChalkInstance): string[] {
  const noun = input.batch.noun;
  const lines: string[] = [];
  if (summary.toSend === 0) lines.push(summary.alreadySent > 0 ? `Nothing to send: ${noun(summary.alreadySent)} already sent.` : 'Nothing to send.');
  else lines.push(input.transport.done(noun(summary.accepted), input.campaign.from.email));
  for (const s of summary.skipped)
    lines.push(printable(`Skipped (invalid): ${input.contacts.file}:${s.line} ${s.email || '(no address)'}: ${s.reasons.join('; ')}`));
  for (const f of summary.failed)
    lines.push(colour.red(`Not delivered: ${f.email}: ${printable(f.reason)}${f.permanent ? '' : ' (temporary: a re-run tries again)'}`));
  for (const u of summary.unknown) lines.push(colour.yellow(`Unknown: ${u.email}: ${printable(u.reason)}`));
  if (summary.unknown.length > 0) lines.push(...unknownAdvice(summary.unknown.length, summary.journal));
  if (summary.stopped) lines.push(colour.red(`Stopped: ${printable(summary.stopped)}`));
  if (summary.stopped && input.delivery.stopped?.hint) lines.push(`hint: ${printable(input.delivery.stopped.hint)}`);
  if (summary.interrupted) lines.push(colour.yellow(`Interrupted: ${summary.notSent.length} not sent; run the same command again to send them.`));
  else if (summary.notSent.length > 0) lines.push(`Not sent (${summary.notSent.length}): run the same command again to send them.`);
  if (summary.unrecorded.length > 0) {
    const n = summary.unrecorded.length;
    lines.push(
      colour.red(
        `${n === 1 ? '1 message was' : `${n} messages were`} accepted by the server but could not be recorded in the journal; a re-run would send ${n === 1 ? 'it' : 'them'} again:`,
      ),
    );
    for (const u of summary.unrecorded) lines.push(colour.red(`  ${u.email} ${u.messageId}`));
    lines.push(`Before running again, free space and append ${n === 1 ? 'this line' : `these ${n} lines`} to ${summary.journal ?? 'the journal'}:`);
    for (const u of summary.unrecorded) lines.push(u.line);
    return lines;
  }
  if (summary.failed.length > 0 || summary.stopped) lines.push('Run the same command again to retry: what the server accepted will not be sent twice.');
  return lines;
}

/** What to check for messages whose outcome is unknown, and how to send them again if they did not arrive. */
export function unknownAdvice(count: number, journal: string | null): string[] {
  const them = count === 1 ? 'it' : 'them';
  return [
    `${count === 1 ? 'This message' : `These ${count} messages`} went out whole, but the server never answered: it may have ${them}, so a re-run will not send ${them} again.`,
    `Check the mailbox's Sent folder, the server's log or the recipient for the Message-ID (in ${journal ?? 'the journal'}); if ${them} did not arrive, run the same command with --resend-unknown.`,
  ];
}

/** 2 the journal could not be written, 130 interrupted, 1 some messages not delivered (or not known to be), else 0. */
export function exitCodeOf(summary: RunSummary): number {
  if (summary.unrecorded.length > 0) return EXIT.badInput;
  if (summary.interrupted) return EXIT.interrupted;
  return summary.failed.length > 0 || summary.unknown.length > 0 || summary.stopped ? EXIT.someFailed : EXIT.ok;
}
