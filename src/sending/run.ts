// The one path of every sending command (send, remind, update, cancel), as five named steps:
// settle the options → lock and read the journal once → plan (pure) → deliver → report.
// The plan is made from what was read under the lock, never from an earlier read, so a run
// that overlaps another (a cancel and a send) either waits its turn or sees what it did.
import type { Campaign } from '../campaign/load.js';
import { campaignSecret } from '../campaign/secret.js';
import { readRegistered } from '../contacts/registered.js';
import type { ContactKey } from '../contacts/rules.js';
import { readSuppression } from '../contacts/suppression.js';
import { DeliveryStop, EXIT, printable, ServerSilent, shownPath, UsageError } from '../errors.js';
import { colourFor, isInteractive, type Io } from '../io.js';
import { journalPath, readJournal } from '../journal/read.js';
import { checkJournalWritable, JournalWriteError, JournalWriter } from '../journal/write.js';
import { lockJournal } from '../journal/lock.js';
import { mayHaveArrived } from '../journal/schema.js';
import { prepare } from './prepare.js';
import { plural } from '../locale/words.js';
import { progressFor } from '../progress.js';
import { RateLimiter } from '../transports/rate.js';
import type { Transport } from '../transports/transport.js';
import { deliver, StopSignal, type DeliveryReport } from './deliver.js';
import {
  deliverySettings,
  noSmtpConfigured,
  openTransport,
  settleOptions,
  smtpServerFor,
  type DeliverySettings,
  type SendingOptions,
  type Settled,
} from './options.js';
import { selectPending, type Batch, type Planner, type Selection } from './plan.js';
import { sendProofs } from './proof.js';
import type { Recipient } from '../compose/context.js';
import { exitCodeOf, summarise, summaryText, writeRecipientTable } from './report.js';

export interface SendingCommand {
  name: 'send' | 'remind' | 'update' | 'cancel';
  /** What the campaign must have for this command at all (a reminder schedule, an update letter). */
  requires?(campaign: Campaign): void;
  /** Files of people who registered that the campaign itself names (registration.export), besides --registered. */
  registeredFrom?(campaign: Campaign): string[];
  plan: Planner;
}

/** How long in-flight messages may take to finish after Ctrl-C before the run ends anyway. */
const STOP_GRACE_MS = 15_000;

export async function runSending(command: SendingCommand, options: SendingOptions, io: Io): Promise<number> {
  // 1. Settle the options: every flag, then the campaign and its checks, before any lock or render.
  const settled = settleOptions(options, io);
  const { campaign, contacts, now } = prepare(options, io, settled.skipInvalid);
  command.requires?.(campaign);
  const registered = registeredAddresses([...(options.registered ?? []), ...(command.registeredFrom?.(campaign) ?? [])], options.encoding);
  const smtp = await smtpServerFor(settled, campaign, io);
  const delivery = deliverySettings(options, settled, campaign, smtp);
  const journalFile = journalPath(campaign.dir, options.journal);
  const journalShown = shownPath(journalFile);
  const transport = await openTransport(settled, options, delivery, campaign, io, smtp, contacts);

  // Where the organiser's text goes: stdout, unless stdout carries the JSON summary.
  const say = settled.json ? io.stderr : io.stdout;
  // Only a real send records anything (a proof never does); the writer opens the file at its first line.
  const writer = transport?.needs.journal && !settled.proof ? new JournalWriter(journalFile) : undefined;
  let lock: ReturnType<typeof lockJournal> | undefined;
  try {
    // 2. Lock and read the journal, once. Without a real send there is nothing to keep apart.
    if (writer) lock = lockForWriting(journalFile, command.name, io);
    const journal = readJournalWarned(journalFile, journalShown, io);
    // The key of the Message-IDs: made at the first real send (or .eml files, which must be the
    // bytes SMTP would carry) when init did not make one. A dry run uses it when there is one.
    if (writer || transport?.mode === 'eml') {
      const sentBefore = journal.entries.filter((e) => e.campaign === campaign.id && mayHaveArrived(e)).length;
      campaign.secret ??= campaignSecret(campaign.dir, io.env, { sentBefore });
    }

    // 3. Plan: pure, from what was just read.
    // A proof is a preview that travels: what would go out, to the organiser alone.
    const preview = settled.proof !== undefined || (transport ? !transport.needs.journal : false);
    const plan = command.plan({ campaign, contacts, now, entries: journal.entries, journal: journalShown, preview, registered });
    if ('nothing' in plan) {
      say.write(plan.nothing + (settled.proof ? ' No proof sent: a proof shows what would go out now (--now TIME replays another moment).' : '') + '\n');
      if (settled.json) io.stdout.write(JSON.stringify({ command: command.name, campaign: campaign.id, accepted: 0, ...plan.json }, null, 2) + '\n');
      return EXIT.ok;
    }
    if (!transport) throw noSmtpConfigured();
    // Who unsubscribed gets nothing more — but the cancellation: they still need to know the event is off.
    const batch =
      command.name === 'cancel'
        ? plan.batch
        : withoutSuppressed(plan.batch, readSuppression(campaign.suppression), plan.notes, shownPath(campaign.suppression));
    for (const note of plan.notes) io.stderr.write(note + '\n');
    if (settled.proof)
      return await sendProofs({ batch, contacts, campaign, proof: settled.proof, transport, delivery, json: settled.json, command: command.name, io });
    const selection = selectPending(batch, contacts, campaign, journal.entries, { ...settled.selection, max: delivery.max });
    const headline = headlineOf(selection, settled.selection, delivery.max, transport.mode === 'preview');
    if (headline) io.stderr.write(headline + '\n');
    // A dry run starts with who would get what: one line each, however many (--json lists them too).
    const recipients = transport.mode === 'dry-run' && settled.json ? ([] as Recipient[]) : undefined;
    if (transport.mode === 'dry-run' && selection.pending.length > 0)
      await writeRecipientTable(selection.pending, campaign, colourFor(say, io.env), say, recipients);

    let report: DeliveryReport = { acceptedCount: 0, accepted: [], failed: [], unknown: [], notTried: [], interrupted: false, unrecorded: [] };
    if (selection.pending.length > 0) {
      // The login settled before the question: a password asked for, a refresh token tried.
      await transport.ready?.();
      if (writer && !(await confirmed(batch, selection, settled, transport, campaign, io))) {
        io.stderr.write('Nothing sent.\n');
        return EXIT.ok;
      }
      // 4. Deliver.
      report = await deliverAndClose({ batch, selection, transport, delivery, writer, keepAccepted: settled.json, io }, () => lock?.release());
    }
    // 5. Report.
    const input = { campaign, command: command.name, batch, contacts, transport, journal: journalShown, selection, delivery: report, recipients };
    return reportRun({ ...input, resend: settled.selection.resend }, settled.json, say, io);
  } finally {
    // Closed above after a delivery; here after an error, which is the one to report.
    writer?.abandon();
    lock?.release();
    await transport?.close();
  }
}

/** The journal's lock, with a note when a dead run's lock was taken over; then the journal checked for writing (exit 2 before any message). */
function lockForWriting(journalFile: string, command: string, io: Io): ReturnType<typeof lockJournal> {
  const lock = lockJournal(journalFile, command);
  if (lock.tookOverFrom) io.stderr.write(`note: took over the journal lock left by process ${lock.tookOverFrom.pid}, which no longer runs\n`);
  try {
    checkJournalWritable(journalFile);
  } catch (error) {
    lock.release();
    throw error;
  }
  return lock;
}

function registeredAddresses(files: string[], encoding: string | undefined): Set<string> {
  const registered = new Set<string>();
  for (const file of files) for (const address of readRegistered(file, { encoding })) registered.add(address);
  return registered;
}

/** Step 5: the summary (as JSON on stdout with --json) and the exit code it means. */
function reportRun(input: Parameters<typeof summarise>[0], json: boolean, say: NodeJS.WritableStream, io: Io): number {
  const summary = summarise(input);
  if (json) io.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  say.write(summaryText(summary, input, colourFor(io.stderr, io.env)).join('\n') + '\n');
  return exitCodeOf(summary);
}

/** The journal, read once; lines it had to leave out are warned about. */
function readJournalWarned(journalFile: string, journalShown: string, io: Io): ReturnType<typeof readJournal> {
  const journal = readJournal(journalFile);
  if (journal.torn) io.stderr.write(`warning: ${journalShown}:${journal.torn.line}: the last line was cut short (a crash while writing?); it is ignored\n`);
  for (const bad of journal.skipped) io.stderr.write(`warning: ${journalShown}:${bad.line}: ${bad.problem}; it records mail that came back, and is skipped\n`);
  return journal;
}

/**
 * Step 4: deliverWatched, then the journal flushed to disk before the summary says its lines
 * are kept. Nothing went out and the cause is the setup (a refused login, TLS): that error is
 * thrown (exit 2). A server that stopped answering is no fault of the input: the report says
 * what is left (exit 1).
 */
async function deliverAndClose(run: Delivering, releaseLock: () => void): Promise<DeliveryReport> {
  const { writer } = run;
  const report = await deliverWatched(run, () => {
    writer?.abandon();
    releaseLock();
  });
  try {
    writer?.close();
  } catch (error) {
    if (!(error instanceof JournalWriteError)) throw error;
    report.stopped ??= new DeliveryStop(
      `${error.message} (flushing it to disk at the end of the run)`,
      "every line was written, but the disk did not confirm it; check the journal's disk before the next run",
    );
  }
  if (report.stopped && report.acceptedCount === 0 && !(report.stopped instanceof ServerSilent)) throw report.stopped;
  return report;
}

/** The batch without the addresses on the suppression list, with a note saying how many were left out. */
function withoutSuppressed(batch: Batch, suppressed: Set<string>, notes: string[], list: string): Batch {
  if (suppressed.size === 0) return batch;
  const on = (c: ContactKey) => suppressed.has(c.email.toLowerCase());
  let left = 0;
  for (const c of batch.recipients.keys()) if (on(c)) left++;
  if (left > 0) notes.push(`Left out ${plural(left, 'address', 'addresses')} that unsubscribed (${list}).`);
  return {
    ...batch,
    recipients: batch.recipients.filter((c) => !on(c)),
    excluded: (c) => (on(c) ? `unsubscribed (${list})` : (batch.excluded?.(c) ?? 'not among the recipients')),
  };
}

/** What this run leaves out, on stderr: the already sent, the unknown, --max's rest, and (a gallery's) --limit's. */
function headlineOf(selection: Selection, chosen: Settled['selection'], max: number | undefined, gallery: boolean): string | undefined {
  const { pending, alreadySent, unknown, deferred, limited } = selection;
  const later = deferred ? `${deferred} more left for the next run by --max ${max}` : limited && gallery ? `${limited} more left out by --limit` : '';
  const parts = [];
  if (alreadySent.length > 0 && !chosen.resend) parts.push(`${alreadySent.length} already sent`);
  if (unknown.length > 0 && !chosen.resend)
    parts.push(
      chosen.resendUnknown
        ? `${unknown.length} unknown sent again (--resend-unknown)`
        : `${unknown.length} unknown left out (their message went out and no reply came; \`invite status\` lists them, --resend-unknown sends again)`,
    );
  if (parts.length > 0) return `${parts.join(', ')}, ${pending.length} to send${later ? ` (${later})` : ''}.`;
  if (later) return `${pending.length} to send, ${later}.`;
  return undefined;
}

/** Asks "Send 9 invitations through … as …?" on a terminal; --yes answers for a script; without a terminal, refuses. */
async function confirmed(
  batch: Batch,
  selection: Selection,
  settled: ReturnType<typeof settleOptions>,
  transport: Transport,
  campaign: Campaign,
  io: Io,
): Promise<boolean> {
  if (settled.yes) return true;
  const { pending, alreadySent } = selection;
  if (!isInteractive(io) || !io.confirm) {
    throw new UsageError(
      `not sending ${batch.noun(pending.length)} without confirmation: there is no terminal to ask on`,
      'pass --yes to send from a script or CI job, or preview first with --dry-run',
    );
  }
  const unsure = settled.selection.resendUnknown && !settled.selection.resend ? selection.unknown.length : 0;
  const verb = settled.selection.resend
    ? `Resend ${batch.noun(pending.length)} (${alreadySent.length} of them already sent)`
    : `Send ${batch.noun(pending.length)}${unsure ? ` (${unsure} of them may have arrived already: sent before, no reply came)` : ''}`;
  return io.confirm(`${verb} through ${transport.description.replace(/:\d+$/, '')} as ${campaign.from.email}?`);
}

/** What step 4 delivers, and through what. */
interface Delivering {
  batch: Batch;
  selection: Selection;
  transport: Transport;
  delivery: DeliverySettings;
  writer: JournalWriter | undefined;
  /** --json: the summary lists every accepted message, so the report keeps them. */
  keepAccepted: boolean;
  io: Io;
}

/**
 * deliver(), with what a person at the terminal or a CI job needs around it: Ctrl-C and SIGTERM
 * handling, progress. `beforeQuit` closes the journal and releases the lock before a second
 * Ctrl-C ends the process at once.
 */
async function deliverWatched(
  { batch, selection, transport, delivery, writer, keepAccepted, io }: Delivering,
  beforeQuit: () => void,
): Promise<DeliveryReport> {
  const { pending } = selection;
  const stderr = io.stderr;
  const colour = colourFor(stderr, io.env);
  // Everything printed while the bar is live goes through it, so a redraw never overwrites it.
  const progress = transport.needs.progress ? progressFor(stderr, pending.length, isInteractive(io)) : undefined;
  const say = (line: string) => (progress ? progress.note(line) : stderr.write(line + '\n'));
  const stop = new StopSignal();
  let interrupts = 0;
  // After Ctrl-C, messages in flight get a bounded time to finish; then their connections are cut.
  let graceTimer: NodeJS.Timeout | undefined;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) {
      // Every journal line is written whole before the next message starts; nothing to flush.
      progress?.stop();
      beforeQuit();
      io.exit?.(EXIT.interrupted);
      return;
    }
    stop.request();
    graceTimer = setTimeout(() => void transport.abort(), STOP_GRACE_MS);
    say(colour.yellow('Stopping: no new messages; waiting for those in flight (press Ctrl-C again to quit at once).'));
  };
  io.signals?.on('SIGINT', onSignal);
  io.signals?.on('SIGTERM', onSignal);
  const counts = { accepted: 0, failed: 0 };
  try {
    return await deliver({
      items: pending,
      compose: batch.compose,
      addressOf: (c) => c.email,
      transport,
      journal: writer,
      keepAccepted,
      concurrency: transport.connections,
      limiter: transport.needs.retries ? new RateLimiter(delivery.rate) : undefined,
      retries: transport.needs.retries ? delivery.retries : 0,
      retryDelayMs: delivery.retryDelayMs,
      stop,
      onResult: (outcome) => {
        counts['reason' in outcome ? 'failed' : 'accepted']++;
        progress?.update(counts.accepted, counts.failed);
      },
      onRetry: (message, attempt, reason, delayMs) =>
        say(colour.yellow(`retry ${attempt} for ${message.to.email} in ${(delayMs / 1000).toFixed(1)}s: ${printable(reason)}`)),
    });
  } finally {
    if (graceTimer) clearTimeout(graceTimer);
    progress?.stop();
    io.signals?.off('SIGINT', onSignal);
    io.signals?.off('SIGTERM', onSignal);
  }
}
