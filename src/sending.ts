// The one delivery path every sending command shares (send, and later remind, update, cancel):
// journal and lock, what is already sent, preview / .eml / SMTP, confirmation, signals,
// progress, the summary and the exit code.
import path from 'node:path';
import type { Campaign } from './campaign.js';
import type { Message } from './compose.js';
import type { Contact, ContactList } from './contacts.js';
import { deliver, type DeliveryReport } from './deliver.js';
import { EXIT, UsageError, shownPath } from './errors.js';
import { colourFor, isInteractive, type Io } from './io.js';
import { acceptedRecipients, journalPath, JournalWriter, lockJournal, readJournal } from './journal.js';
import type { CampaignOptions } from './prepare.js';
import { progressFor } from './progress.js';
import { parseRate, RateLimiter } from './rate.js';
import { emlTransport, parseSmtpUrl, previewTransport, smtpTransport, type Transport } from './transports.js';

export interface SendingOptions extends CampaignOptions {
  dryRun?: boolean;
  out?: string;
  smtp?: string;
  yes?: boolean;
  limit?: number;
  to?: string;
  json?: boolean;
  insecureTls?: boolean;
  skipInvalid?: boolean;
  journal?: string;
  resend?: boolean;
  connections?: number;
  rate?: string;
  max?: number;
  retries?: number;
  /** Seconds. */
  retryDelay?: number;
  /** Seconds. */
  timeout?: number;
}

export interface Batch {
  command: string;
  campaign: Campaign;
  contacts: ContactList;
  /** The journal's kind: invitation, reminder:<stage>, update:<n>, cancel. */
  kind: string;
  /** "invitation" / "invitations", "reminder" / "reminders", … */
  noun(count: number): string;
  recipients: Contact[];
  /** Why a listed contact is not among the recipients (for --to): "has registered", "was not invited". */
  excluded?(contact: Contact): string;
  compose(contact: Contact): Message;
}

function readJournalReporting(file: string, shown: string, io: Io) {
  const journal = readJournal(file);
  if (journal.torn) io.stderr.write(`warning: ${shown}:${journal.torn.line}: the last line was cut short (a crash while writing?); it is ignored\n`);
  return journal;
}

/** Who gets a message this run: the selection (--to), less those already sent (unless --resend), capped by --limit and --max. */
function selectPending(batch: Batch, options: SendingOptions, journal: ReturnType<typeof readJournal>) {
  const already = acceptedRecipients(journal.entries, batch.campaign.id, batch.kind);
  let selected = batch.recipients;
  if (options.to) {
    const wanted = options.to.trim().toLowerCase();
    selected = selected.filter((c) => c.email.toLowerCase() === wanted || (c.fields.email ?? '').toLowerCase() === wanted);
    if (selected.length === 0) throw notARecipient(batch, options.to, wanted);
  }
  const alreadySent = selected.filter((c) => already.has(c.email.toLowerCase()));
  let pending = options.resend ? selected : selected.filter((c) => !already.has(c.email.toLowerCase()));
  const cap = options.max ?? batch.campaign.sending.max;
  if (options.limit !== undefined) pending = pending.slice(0, options.limit);
  const deferred = cap !== undefined && pending.length > cap ? pending.length - cap : 0;
  if (cap !== undefined) pending = pending.slice(0, cap);
  return { pending, alreadySent, deferred, cap };
}

/** --to names nobody this run sends to: say whether the address is no contact at all, or why that contact gets nothing. */
function notARecipient(batch: Batch, given: string, wanted: string): UsageError {
  const { contacts } = batch;
  const listed = contacts.contacts.find((c) => c.email.toLowerCase() === wanted || (c.fields.email ?? '').toLowerCase() === wanted);
  if (listed) {
    return new UsageError(
      `${given} is a contact (${contacts.file}:${listed.line}), but gets no ${batch.noun(1).replace(/^1 /, '')} in this run: ${batch.excluded?.(listed) ?? 'not among the recipients'}`,
      'run without --to to see who does',
    );
  }
  const rejected = contacts.rejected.find((r) => r.email.toLowerCase() === wanted);
  if (rejected) {
    return new UsageError(`${given} is on ${contacts.file}:${rejected.line}, but that row is invalid: ${rejected.problems.map((p) => p.message).join('; ')}`, 'fix the row (invite validate lists every problem)');
  }
  return new UsageError(`${given} is not a contact: no row of ${contacts.file} has this address`, 'check the spelling, or list the contacts with --dry-run');
}

/** How long in-flight messages may take to finish after Ctrl-C before the run ends anyway. */
const STOP_GRACE_MS = 15_000;

export async function runSending(batch: Batch, options: SendingOptions, io: Io): Promise<number> {
  if (options.dryRun && options.out) {
    throw new UsageError('--dry-run and --out cannot be used together', 'use --dry-run to print the messages, or --out DIR to write .eml files');
  }
  const { campaign, contacts, kind } = batch;
  const journalFile = journalPath(campaign.dir, options.journal);
  const journalShown = shownPath(journalFile);
  const transport = chooseTransport(options, campaign, io);
  const stderr = io.stderr;
  const noun = batch.noun;

  // A real send takes the journal's lock before reading it: a run that overlaps another then
  // either waits its turn (exit 2) or, coming after it, sees everything it sent.
  let lock: ReturnType<typeof lockJournal> | undefined;
  let writer: JournalWriter | undefined;
  const cleanup = async () => {
    writer?.close();
    lock?.release();
  };
  // Leaving before delivery (which closes the transport itself): close it here.
  const abandon = async () => {
    await transport.close();
    await cleanup();
  };
  let plan: ReturnType<typeof selectPending>;
  try {
    if (transport.mode === 'smtp') {
      lock = lockJournal(journalFile, batch.command);
      if (lock.tookOverFrom) stderr.write(`note: took over the journal lock left by process ${lock.tookOverFrom.pid}, which no longer runs\n`);
    }
    plan = selectPending(batch, options, readJournalReporting(journalFile, journalShown, io));
    // Render everything once before the first message leaves: a template error stops the run whole.
    for (const contact of plan.pending) batch.compose(contact);
  } catch (error) {
    await abandon();
    throw error;
  }
  const { pending, alreadySent, deferred, cap } = plan;

  const summaryOut = options.json ? io.stderr : io.stdout;
  const colour = colourFor(io.stderr, io.env);
  const skipped = contacts.rejected.map((r) => ({ line: r.line, email: r.email, reasons: r.problems.map((p) => p.message) }));

  const headline =
    alreadySent.length > 0 && !options.resend
      ? `${alreadySent.length} already sent, ${pending.length} to send${deferred ? ` (${deferred} more left for the next run by --max ${cap})` : ''}.`
      : deferred
        ? `${pending.length} to send, ${deferred} more left for the next run by --max ${cap}.`
        : undefined;
  if (headline) stderr.write(headline + '\n');

  if (pending.length === 0) {
    await abandon();
    const report: DeliveryReport = { accepted: [], failed: [], notTried: [], interrupted: false };
    return finish(report, alreadySent.length);
  }

  if (transport.mode === 'smtp') {
    try {
      const verb = options.resend ? `Resend ${noun(pending.length)} (${alreadySent.length} of them already sent)` : `Send ${noun(pending.length)}`;
      const question = `${verb} through ${transport.description.replace(/:\d+$/, '')} as ${campaign.from.email}?`;
      if (!options.yes) {
        if (!isInteractive(io) || !io.confirm) {
          throw new UsageError(
            `not sending ${noun(pending.length)} without confirmation: there is no terminal to ask on`,
            'pass --yes to send from a script or CI job, or preview first with --dry-run',
          );
        }
        if (!(await io.confirm(question))) {
          await abandon();
          stderr.write('Nothing sent.\n');
          return EXIT.ok;
        }
      }
      writer = new JournalWriter(journalFile);
    } catch (error) {
      await abandon();
      throw error;
    }
  }

  // Everything printed while the bar is live goes through it, so a redraw never overwrites it.
  const progress = transport.mode === 'smtp' ? progressFor(stderr, pending.length, isInteractive(io)) : undefined;
  const say = (line: string) => (progress ? progress.note(line) : stderr.write(line + '\n'));
  const stop = { requested: false };
  const signals = io.signals;
  let interrupts = 0;
  // After Ctrl-C, messages in flight get a bounded time to finish; then their connections are cut.
  let graceTimer: NodeJS.Timeout | undefined;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) {
      // Every journal line is written whole before the next message starts; nothing to flush.
      progress?.stop();
      writer?.close();
      lock?.release();
      io.exit?.(EXIT.interrupted);
      return;
    }
    stop.requested = true;
    graceTimer = setTimeout(() => void transport.abort(), STOP_GRACE_MS);
    say(colour.yellow('Stopping: no new messages; waiting for those in flight (press Ctrl-C again to quit at once).'));
  };
  signals?.on('SIGINT', onSignal);
  signals?.on('SIGTERM', onSignal);

  const counts = { accepted: 0, failed: 0 };
  let report: DeliveryReport;
  try {
    const rate = options.rate ? parseRate(options.rate) : campaign.sending.rate;
    report = await deliver({
      items: pending,
      compose: batch.compose,
      addressOf: (c) => c.email,
      transport,
      journal: writer,
      concurrency: transport.mode === 'smtp' ? (options.connections ?? campaign.sending.connections ?? 2) : 1,
      limiter: transport.mode === 'smtp' ? new RateLimiter(rate) : undefined,
      retries: transport.mode === 'smtp' ? (options.retries ?? campaign.sending.retries ?? 3) : 0,
      retryDelayMs: (options.retryDelay ?? campaign.sending.retryDelay ?? 2) * 1000,
      stop,
      onResult: (outcome) => {
        counts['reason' in outcome ? 'failed' : 'accepted']++;
        progress?.update(counts.accepted, counts.failed);
      },
      onRetry: (message, attempt, reason, delayMs) =>
        progress?.note(colour.yellow(`retry ${attempt} for ${message.to.email} in ${(delayMs / 1000).toFixed(1)}s: ${reason}`)),
    });
  } finally {
    if (graceTimer) clearTimeout(graceTimer);
    progress?.stop();
    signals?.off('SIGINT', onSignal);
    signals?.off('SIGTERM', onSignal);
    await cleanup();
  }

  if (report.stopped && report.accepted.length === 0) throw report.stopped;
  return finish(report, alreadySent.length);

  function finish(report: DeliveryReport, alreadyCount: number): number {
    const summary = {
      command: batch.command,
      campaign: campaign.id,
      kind,
      mode: transport.mode,
      target: transport.description,
      journal: transport.mode === 'smtp' ? journalShown : null,
      alreadySent: options.resend ? 0 : alreadyCount,
      toSend: pending.length,
      deferred,
      accepted: report.accepted.length,
      failed: report.failed.map((f) => ({ email: f.email, reason: f.reason, responseCode: f.responseCode ?? null, permanent: f.permanent })),
      notSent: report.notTried,
      stopped: report.stopped?.message ?? null,
      interrupted: report.interrupted,
      skipped,
      messages: report.accepted.map((a) => ({ email: a.email, messageId: a.messageId, response: a.response })),
    };
    if (options.json) io.stdout.write(JSON.stringify(summary, null, 2) + '\n');

    const lines: string[] = [];
    if (pending.length === 0) lines.push(alreadyCount > 0 ? `Nothing to send: ${noun(alreadyCount)} already sent.` : `Nothing to send.`);
    else if (transport.mode === 'dry-run') lines.push(`Dry run: ${noun(report.accepted.length)} rendered for ${campaign.id}; nothing sent.`);
    else if (transport.mode === 'eml') lines.push(`Wrote ${noun(report.accepted.length)} as .eml files to ${options.out}.`);
    else lines.push(`Sent ${noun(report.accepted.length)} through ${transport.description} as ${campaign.from.email}.`);
    for (const s of skipped) lines.push(`Skipped (invalid): ${contacts.file}:${s.line} ${s.email || '(no address)'}: ${s.reasons.join('; ')}`);
    for (const f of report.failed) lines.push(colour.red(`Not delivered: ${f.email}: ${f.reason}${f.permanent ? '' : ' (temporary: a re-run tries again)'}`));
    if (report.stopped) lines.push(colour.red(`Stopped: ${report.stopped.message}`));
    if (report.interrupted) lines.push(colour.yellow(`Interrupted: ${report.notTried.length} not sent; run the same command again to send them.`));
    else if (report.notTried.length > 0) lines.push(`Not sent (${report.notTried.length}): run the same command again to send them.`);
    if (report.failed.length > 0 || report.stopped) lines.push('Run the same command again to retry: what the server accepted will not be sent twice.');
    summaryOut.write(lines.join('\n') + '\n');

    if (report.interrupted) return EXIT.interrupted;
    return report.failed.length > 0 || report.stopped ? EXIT.someFailed : EXIT.ok;
  }
}

function chooseTransport(options: SendingOptions, campaign: Campaign, io: Io): Transport {
  const previewStream = options.json ? io.stderr : io.stdout;
  if (options.dryRun) return previewTransport(previewStream, colourFor(previewStream, io.env));
  if (options.out) return emlTransport(path.resolve(options.out));
  const url = options.smtp ?? io.env.SMTP_URL;
  if (!url) {
    throw new UsageError(
      'no SMTP server configured, so nothing can be sent',
      'set SMTP_URL (e.g. smtp://smtp.example.org:587, with SMTP_USER and SMTP_PASS) or pass --smtp URL; to look first, use --dry-run or --out DIR',
    );
  }
  const settings = parseSmtpUrl(url, io.env, {
    insecureTls: options.insecureTls,
    timeoutMs: (options.timeout ?? campaign.sending.timeout ?? 30) * 1000,
    connections: options.connections ?? campaign.sending.connections ?? 2,
  });
  if (options.insecureTls) io.stderr.write("warning: --insecure-tls: the server's TLS certificate is not checked; anyone on the path could read the mail and the password\n");
  return smtpTransport(settings);
}
