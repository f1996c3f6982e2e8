// Deliver: everything that can fail at run time. Hands messages to a transport over a bounded
// number of parallel sends, keeps the rate, retries what may succeed later, writes each
// outcome to the journal the moment it is known, and stops cleanly when asked to. The run
// that called it owns the transport and closes it.
import type { Message } from '../compose/compose.js';
import { DeliveryStop, InputError, OutcomeUnknown, RecipientFailure, ServerSilent } from '../errors.js';
import { bounded, type SentEntry } from '../journal/schema.js';
import { JournalWriteError, type JournalWriter } from '../journal/write.js';
import { RateLimiter, realClock, type Clock } from '../transports/rate.js';
import { breather } from './breathe.js';
import type { Transport } from '../transports/transport.js';

// Outcomes keep the address and Message-ID, not the message: memory must not grow with the list.
export interface Delivered {
  email: string;
  messageId: string;
  response: string;
}

export interface Undelivered {
  email: string;
  messageId: string;
  reason: string;
  responseCode?: number;
  permanent: boolean;
}

export interface DeliveryReport {
  /** Messages the transport took. */
  acceptedCount: number;
  /** Each of them, only when the plan asks (--json lists them): a million would not fit otherwise. */
  accepted: Delivered[];
  failed: Undelivered[];
  /** Went out whole, and the server's reply never came: it may have them. Not retried. */
  unknown: Undelivered[];
  /** Recipients never tried, because the run stopped (a fatal fault, or Ctrl-C). */
  notTried: string[];
  stopped?: DeliveryStop;
  interrupted: boolean;
  /** Accepted by the server but not in the journal (it could not be written): each with the line it should have had. */
  unrecorded: { email: string; messageId: string; line: string }[];
}

export interface DeliveryPlan<T> {
  /** What to send, in order, walked once; composed one at a time so memory does not grow with the list. */
  items: Iterable<T>;
  compose(item: T): Message;
  /** The address of an item, for the list of those not tried. */
  addressOf(item: T): string;
  transport: Transport;
  journal?: JournalWriter;
  /** Keep every accepted message in the report (for --json), not just their number. */
  keepAccepted?: boolean;
  /** Messages being sent at once (at most one per connection). */
  concurrency: number;
  limiter?: RateLimiter;
  /** Further attempts after a temporary failure (4xx, dropped connection, timeout). */
  retries: number;
  /** The first retry waits about this long; each further one twice as long, with jitter. */
  retryDelayMs: number;
  clock?: Clock;
  /** Requested: no new message starts, no retry is made; those in flight finish. */
  stop?: StopSignal;
  onResult?(outcome: Delivered | Undelivered): void;
  onRetry?(message: Message, attempt: number, reason: string, delayMs: number): void;
}

/** Ctrl-C, or a fault that ends the run: asked once, seen by every worker, and awaitable by one waiting to retry. */
export class StopSignal {
  requested = false;
  private wake?: () => void;
  private readonly requestedOnce = new Promise<void>((resolve) => (this.wake = resolve));

  request(): void {
    this.requested = true;
    this.wake?.();
  }

  whenRequested(): Promise<void> {
    return this.requestedOnce;
  }
}

/**
 * After this many connection-level failures in a row (a timeout, a refused or closed connection),
 * counting every attempt, with nothing accepted in between, the server is taken to be down: the
 * run stops instead of waiting out every retry of every message.
 */
const CONNECTION_FAILURES_BEFORE_STOP = 3;
const MAX_RETRY_DELAY_MS = 60_000;

export async function deliver<T>(plan: DeliveryPlan<T>): Promise<DeliveryReport> {
  return new Delivery(plan).run();
}

type Outcome = Pick<SentEntry, 'status' | 'response' | 'failure'>;

/** One delivery run: its report, the workers' shared walk of the items, and the count of connection failures in a row. */
class Delivery<T> {
  private readonly report: DeliveryReport = { acceptedCount: 0, accepted: [], failed: [], unknown: [], notTried: [], interrupted: false, unrecorded: [] };
  private readonly limiter: RateLimiter;
  private readonly clock: Clock;
  private readonly stop: StopSignal;
  private connectionFailuresInARow = 0;
  private readonly items: Iterator<T>;
  private walked = false;
  /** The first message, composed before the workers start. */
  private first?: Message;
  // A transport that never waits (a dry run, --out) would otherwise hold the event loop to the end.
  private readonly breathe = breather();

  constructor(private readonly plan: DeliveryPlan<T>) {
    this.limiter = plan.limiter ?? new RateLimiter(undefined);
    this.clock = plan.clock ?? realClock;
    this.stop = plan.stop ?? new StopSignal();
    this.items = plan.items[Symbol.iterator]();
  }

  async run(): Promise<DeliveryReport> {
    const { report, stop } = this;
    // The first message is composed before anything is sent: a template that cannot be rendered
    // (one that passes the message limit) stops the run there, exit 2, nothing sent.
    const first = this.nextItem();
    try {
      if (first) this.first = this.plan.compose(first.item);
    } catch (error) {
      this.items.return?.();
      throw error;
    }
    await Promise.all(Array.from({ length: Math.max(1, this.plan.concurrency) }, () => this.worker()));
    // Those never tried: the rest of the walk (unknown when the walk itself failed).
    try {
      for (let next = this.nextItem(); next; next = this.nextItem()) report.notTried.push(this.plan.addressOf(next.item));
    } catch (error) {
      if (!(error instanceof DeliveryStop)) throw error;
    } finally {
      this.items.return?.();
    }
    report.interrupted = stop.requested && !report.stopped;
    return report;
  }

  // One walk of the items, shared by the workers. Walking may itself stop the run (the contacts
  // file changed since it was checked: ContactsChanged is a DeliveryStop).
  private nextItem(): { item: T } | undefined {
    if (this.walked) return undefined;
    const step = this.items.next();
    if (step.done) this.walked = true;
    return step.done ? undefined : { item: step.value };
  }

  private async worker(): Promise<void> {
    while (!this.stop.requested && !this.report.stopped) {
      try {
        const message = this.first ?? this.composeNext();
        this.first = undefined;
        if (message === null) return;
        if (message) await this.sendOne(message);
        const turn = this.breathe();
        if (turn) await turn;
      } catch (error) {
        if (!(error instanceof DeliveryStop)) throw error;
        this.report.stopped ??= error;
        this.stop.request();
      }
    }
  }

  /**
   * The next item's message; null when the walk is over; undefined when this row's message could
   * not be rendered (it passed the message limit): that row fails with the reason, the run goes on.
   */
  private composeNext(): Message | null | undefined {
    const next = this.nextItem();
    if (!next) return null;
    try {
      return this.plan.compose(next.item);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const outcome: Undelivered = { email: this.plan.addressOf(next.item), messageId: '', reason: error.message, permanent: true };
      this.report.failed.push(outcome);
      this.plan.onResult?.(outcome);
      return undefined;
    }
  }

  private async sendOne(message: Message): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.limiter.acquire();
      let receipt;
      try {
        receipt = await this.plan.transport.send(message);
      } catch (error) {
        // A message the server may have counts against the rate as one it took.
        this.limiter.release(error instanceof OutcomeUnknown);
        if (error instanceof DeliveryStop) throw error;
        if (await this.failed(message, error, attempt)) continue;
        return;
      }
      this.limiter.release(true);
      this.connectionFailuresInARow = 0;
      this.record(message, { status: 'accepted', response: bounded(receipt.response) });
      const outcome = { email: message.to.email, messageId: message.messageId, response: receipt.response };
      this.report.acceptedCount++;
      if (this.plan.keepAccepted) this.report.accepted.push(outcome);
      this.plan.onResult?.(outcome);
      return;
    }
  }

  /** A failed attempt: true when it is to be retried (after the wait), else recorded as failed. */
  private async failed(message: Message, error: unknown, attempt: number): Promise<boolean> {
    const { plan, stop } = this;
    const failure =
      error instanceof RecipientFailure ? error : new RecipientFailure(error instanceof Error ? error.message : String(error), undefined, false, false);
    // A server that cannot be reached at all, before anything went through: no point going on.
    if (failure.connectFailure && this.report.acceptedCount === 0) throw new DeliveryStop(failure.message, 'check the host and port of the SMTP URL');
    // A reply of the server (a 4xx, a 5xx) shows it answers; only failures of the connection count.
    if (failure.responseCode !== undefined) this.connectionFailuresInARow = 0;
    const silent = failure.network && ++this.connectionFailuresInARow >= CONNECTION_FAILURES_BEFORE_STOP;
    const unknown = failure instanceof OutcomeUnknown;
    if (!silent && !unknown && !failure.permanent && attempt <= plan.retries && !stop.requested) {
      const base = plan.retryDelayMs * 2 ** (attempt - 1);
      const delay = Math.min(MAX_RETRY_DELAY_MS, Math.round(base / 2 + Math.random() * base));
      plan.onRetry?.(message, attempt, failure.message, delay);
      // Ctrl-C ends the wait: the retry is not made and the failure stands (temporary: a re-run tries again).
      await this.clock.sleep(delay, stop.whenRequested());
      if (!stop.requested) return true;
    }
    // The reply code as the journal keeps it: a three-digit SMTP code, or none.
    const code = failure.responseCode !== undefined && failure.responseCode >= 100 && failure.responseCode <= 599 ? failure.responseCode : undefined;
    const type = unknown ? 'unknown' : failure.permanent ? 'permanent' : 'temporary';
    this.record(message, { status: unknown ? 'unknown' : 'failed', failure: { type, code, message: bounded(failure.message) } });
    const { responseCode, permanent } = failure;
    const outcome: Undelivered = { email: message.to.email, messageId: message.messageId, reason: failure.message, responseCode, permanent };
    this.report[unknown ? 'unknown' : 'failed'].push(outcome);
    plan.onResult?.(outcome);
    if (silent) {
      throw new ServerSilent(
        `the SMTP server ${plan.transport.description} does not answer: ${this.connectionFailuresInARow} connection failures in a row (the last: ${failure.message})`,
        'what it accepted is recorded; check the server (or the network), then run the same command again to send the rest',
      );
    }
    return false;
  }

  // Every outcome goes to the journal before anything else happens. If the journal cannot be
  // written (a full disk, a failed fsync), the run stops at once. An accepted message is never
  // retried (it went): the report names it with the journal line it should have had. A failure
  // that cannot be recorded is only retried by the next run: nothing is lost.
  private record(message: Message, fields: Outcome): void {
    const entry = entryFor(message, fields);
    try {
      this.plan.journal?.append(entry);
    } catch (error) {
      if (!(error instanceof JournalWriteError)) throw error;
      // A message the server may have (accepted, or unknown) must be in the journal, or a re-run sends it again.
      const accepted = entry.status !== 'failed';
      if (accepted) this.report.unrecorded.push({ email: message.to.email, messageId: message.messageId, line: JSON.stringify(entry) });
      this.report.stopped ??= new DeliveryStop(
        error.message,
        accepted
          ? "free space or fix the journal's folder; see below for what was sent but not recorded"
          : "free space or fix the journal's folder, then run the same command again",
      );
      this.stop.request();
    }
  }
}

function entryFor(message: Message, fields: Outcome): SentEntry {
  return {
    time: new Date().toISOString(),
    campaign: message.campaignId,
    kind: message.kind,
    recipient: message.to.email.toLowerCase(),
    messageId: message.messageId,
    uid: message.calendar.uid,
    sequence: message.calendar.sequence,
    event: message.event,
    ...fields,
  };
}
