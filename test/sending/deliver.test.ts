// deliver() and the rate limiter on a fake clock with a fake transport: retries and backoff,
// permanent and temporary failures, stopping after repeated network losses, Ctrl-C, and a rate
// that no sliding window exceeds — each checked in simulated time, independent of machine load.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../src/compose/compose.js';
import { DeliveryStop, RecipientFailure, ServerSilent } from '../../src/errors.js';
import { parseRate } from '../../src/campaign/rate.js';
import { RateLimiter } from '../../src/transports/rate.js';
import { deliver, StopSignal, type DeliveryPlan } from '../../src/sending/deliver.js';
import type { Transport } from '../../src/transports/transport.js';
import { FakeClock } from '../helpers/fake-clock.js';

type Outcome = 'ok' | Error;

/** A transport whose answer per (address, attempt) is scripted; each send takes `latencyMs` of fake time. */
function fakeTransport(clock: FakeClock, answer: (email: string, attempt: number) => Outcome = () => 'ok', latencyMs = 40) {
  const attempts: { email: string; at: number }[] = [];
  const accepted: { email: string; at: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const transport: Transport = {
    description: 'fake',
    mode: 'smtp',
    needs: { journal: true, retries: true, progress: false },
    connections: 1,
    done: (what) => `Sent ${what}.`,
    async send(message) {
      const email = message.to.email;
      const attempt = attempts.filter((a) => a.email === email).length + 1;
      attempts.push({ email, at: clock.now() });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await clock.sleep(latencyMs);
      inFlight--;
      const outcome = answer(email, attempt);
      if (outcome !== 'ok') throw outcome;
      accepted.push({ email, at: clock.now() });
      return { response: '250 OK' };
    },
    async close() {},
    async abort() {},
  };
  return { transport, attempts, accepted, maxInFlight: () => maxInFlight };
}

const addresses = (n: number) => Array.from({ length: n }, (_, i) => `person${i + 1}@example.org`);

/** The least of a Message that deliver() reads. */
function message(email: string): Message {
  return { to: { name: '', email }, messageId: `<${email}>`, campaignId: 'c', kind: 'invitation', calendar: { uid: 'u', sequence: 0 } } as unknown as Message;
}

function plan(clock: FakeClock, transport: Transport, items: string[], extra: Partial<DeliveryPlan<string>> = {}): DeliveryPlan<string> {
  return { items, compose: message, addressOf: (e) => e, transport, keepAccepted: true, concurrency: 1, retries: 3, retryDelayMs: 1000, clock, ...extra };
}

const temporary = (code = 451) => new RecipientFailure(`${code} Try again later`, code, false, false);
const permanent = () => new RecipientFailure('550 No such user', 550, true, false);
const networkLoss = () => new RecipientFailure('Connection closed unexpectedly', undefined, false, true);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('deliver: retries', () => {
  it('retries a temporary failure after the delay, doubled each time (jitter at its middle), then records the success', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // the jitter's middle: exactly the base delay
    const clock = new FakeClock();
    const fake = fakeTransport(clock, (email, attempt) => (email === 'person2@example.org' && attempt <= 2 ? temporary() : 'ok'));
    const retries: number[] = [];
    const report = await clock.run(deliver(plan(clock, fake.transport, addresses(3), { onRetry: (_, __, ___, delay) => retries.push(delay) })));
    expect(report.accepted.map((a) => a.email)).toEqual(addresses(3));
    expect(report.failed).toEqual([]);
    expect(retries).toEqual([1000, 2000]);
    const tries = fake.attempts.filter((a) => a.email === 'person2@example.org').map((a) => a.at);
    // Each attempt takes 40 ms; then the wait.
    expect([tries[1]! - tries[0]!, tries[2]! - tries[1]!]).toEqual([1040, 2040]);
  });

  it('the jitter stays within half to one and a half times the delay', async () => {
    const delays: number[] = [];
    for (const random of [0, 0.999]) {
      vi.spyOn(Math, 'random').mockReturnValue(random);
      const clock = new FakeClock();
      const fake = fakeTransport(clock, (_, attempt) => (attempt === 1 ? temporary() : 'ok'));
      await clock.run(deliver(plan(clock, fake.transport, addresses(1), { onRetry: (_, __, ___, delay) => delays.push(delay) })));
    }
    expect(delays).toEqual([500, 1499]);
  });

  it('a permanent failure (5xx) is recorded at once and never retried; the rest go on', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock, (email) => (email === 'person1@example.org' ? permanent() : 'ok'));
    const report = await clock.run(deliver(plan(clock, fake.transport, addresses(3))));
    expect(fake.attempts.filter((a) => a.email === 'person1@example.org')).toHaveLength(1);
    expect(report.failed).toEqual([
      { email: 'person1@example.org', messageId: '<person1@example.org>', reason: '550 No such user', responseCode: 550, permanent: true },
    ]);
    expect(report.accepted).toHaveLength(2);
  });

  it('a temporary failure that lasts is recorded as temporary after 1 + retries attempts', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock, (email) => (email === 'person2@example.org' ? temporary(421) : 'ok'));
    const report = await clock.run(deliver(plan(clock, fake.transport, addresses(2), { retries: 2 })));
    expect(fake.attempts.filter((a) => a.email === 'person2@example.org')).toHaveLength(3);
    expect(report.failed).toMatchObject([{ email: 'person2@example.org', permanent: false, responseCode: 421 }]);
  });

  it('the journal gets one line per outcome, accepted or failed, as it happens', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock, (email) => (email === 'person3@example.org' ? permanent() : 'ok'));
    const lines: { recipient: string; status: string; failure?: { type: string } }[] = [];
    const journal = { append: (entry: (typeof lines)[number]) => lines.push(entry) } as unknown as DeliveryPlan<string>['journal'];
    await clock.run(deliver(plan(clock, fake.transport, addresses(3), { journal })));
    expect(lines.map((l) => [l.recipient, l.status, l.failure?.type])).toEqual([
      ['person1@example.org', 'accepted', undefined],
      ['person2@example.org', 'accepted', undefined],
      ['person3@example.org', 'failed', 'permanent'],
    ]);
  });
});

describe('deliver: stopping', () => {
  it('stops after 3 connection failures in a row (a server that stopped answering); the rest are not tried, and it is not a setup error', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock, (email) => (email === 'person1@example.org' ? 'ok' : networkLoss()));
    const report = await clock.run(deliver(plan(clock, fake.transport, addresses(20), { retries: 0 })));
    expect(report.accepted.map((a) => a.email)).toEqual(['person1@example.org']);
    expect(report.failed).toHaveLength(3);
    expect(report.stopped).toBeInstanceOf(ServerSilent);
    expect(report.stopped?.message).toBe('the SMTP server fake does not answer: 3 connection failures in a row (the last: Connection closed unexpectedly)');
    expect(report.notTried).toEqual(addresses(20).slice(4));
    expect(report.interrupted).toBe(false);
  });

  it('every attempt counts: one message retried into a silent server stops the run after its third attempt, without waiting out its last retry', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock, () => networkLoss());
    const report = await clock.run(deliver(plan(clock, fake.transport, addresses(5), { retries: 5 })));
    expect(fake.attempts.map((a) => a.email)).toEqual(['person1@example.org', 'person1@example.org', 'person1@example.org']);
    expect(report.failed).toMatchObject([{ email: 'person1@example.org', permanent: false }]);
    expect(report.stopped).toBeInstanceOf(ServerSilent);
    expect(report.notTried).toEqual(addresses(5).slice(1));
  });

  it('an accepted message in between resets the count', async () => {
    const clock = new FakeClock();
    // Every 3rd message goes through: never 3 losses in a row.
    const fake = fakeTransport(clock, (email) => (Number(/\d+/.exec(email)![0]) % 3 === 0 ? 'ok' : networkLoss()));
    const report = await clock.run(deliver(plan(clock, fake.transport, addresses(20), { retries: 0 })));
    expect(report.stopped).toBeUndefined();
    expect(report.accepted).toHaveLength(6);
    expect(report.failed).toHaveLength(14);
  });

  it('a reply of the server (a 4xx) in between resets it too: the server answers', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock, (email) => (Number(/\d+/.exec(email)![0]) % 3 === 0 ? temporary() : networkLoss()));
    const report = await clock.run(deliver(plan(clock, fake.transport, addresses(12), { retries: 0 })));
    expect(report.stopped).toBeUndefined();
    expect(report.failed).toHaveLength(12);
  });

  it('a server that cannot be reached before anything went out stops the run at once', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock, () => new RecipientFailure('connect ECONNREFUSED', undefined, false, true, true));
    const report = await clock.run(deliver(plan(clock, fake.transport, addresses(5))));
    expect(fake.attempts).toHaveLength(1);
    expect(report.stopped?.message).toContain('ECONNREFUSED');
    expect(report.notTried).toEqual(addresses(5).slice(1));
  });

  it('a refused login stops the run at once, nothing retried', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock, () => new DeliveryStop('the SMTP server refused the login'));
    const report = await clock.run(deliver(plan(clock, fake.transport, addresses(5), { concurrency: 2 })));
    expect(fake.attempts).toHaveLength(2); // the two connections' first messages
    expect(report.stopped?.message).toBe('the SMTP server refused the login');
    expect(report.accepted).toEqual([]);
  });

  it('Ctrl-C: no new message starts, those in flight finish and count, the rest are listed as not sent', async () => {
    const clock = new FakeClock();
    const stop = new StopSignal();
    const fake = fakeTransport(clock);
    const report = await clock.run(
      deliver(
        plan(clock, fake.transport, addresses(10), {
          concurrency: 2,
          stop,
          onResult: () => {
            if (fake.accepted.length === 3) stop.request();
          },
        }),
      ),
    );
    // Two connections: when the third is accepted the fourth is in flight, and finishes.
    expect(report.accepted.map((a) => a.email)).toEqual(addresses(4));
    expect(report.notTried).toEqual(addresses(10).slice(4));
    expect(report.interrupted).toBe(true);
  });

  it('Ctrl-C during a retry wait: the retry is not made, the failure is recorded as temporary', async () => {
    const clock = new FakeClock();
    const stop = new StopSignal();
    const fake = fakeTransport(clock, (_, attempt) => (attempt === 1 ? temporary() : 'ok'));
    // A long backoff: Ctrl-C must not have to wait it out.
    const run = deliver(
      plan(clock, fake.transport, addresses(1), { stop, retryDelayMs: 60_000, onRetry: () => void clock.sleep(100).then(() => stop.request()) }),
    );
    const report = await clock.run(run);
    expect(clock.now()).toBe(140); // 40 ms for the attempt, then Ctrl-C 100 ms into the wait
    expect(clock.pending()).toBe(0); // the 60 s wait left no timer behind to keep the process alive
    expect(fake.attempts).toHaveLength(1);
    expect(report.failed).toMatchObject([{ email: 'person1@example.org', permanent: false }]);
  });
});

describe('the rate limit', () => {
  /** The most acceptances inside any window of `windowMs`, however placed. */
  function busiestWindow(times: number[], windowMs: number): number {
    const sorted = [...times].sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < sorted.length; i++) {
      while (sorted[i]! - sorted[j]! >= windowMs) j++;
      most = Math.max(most, i - j + 1);
    }
    return most;
  }

  it.each([
    ['10/s over 4 connections', '10/s', 4, 60],
    ['3/s over 8 connections (fewer than the connections)', '3/s', 8, 30],
    ['100/min over 2 connections', '100/min', 2, 250],
  ])('%s: no window holds more than the limit, with retries in the mix, and the limit is used', async (_, text, connections, count) => {
    const rate = parseRate(text);
    const clock = new FakeClock();
    // Every 7th attempt is deferred once (451): retries count against the rate like any message.
    let sent = 0;
    const fake = fakeTransport(clock, (_email, attempt) => (attempt === 1 && ++sent % 7 === 0 ? temporary() : 'ok'), 40);
    const report = await clock.run(
      deliver(plan(clock, fake.transport, addresses(count), { concurrency: connections, limiter: new RateLimiter(rate, clock), retries: 3, retryDelayMs: 50 })),
    );
    expect(report.accepted).toHaveLength(count);
    const times = fake.accepted.map((a) => a.at);
    expect(busiestWindow(times, rate.windowMs)).toBe(rate.count);
    // Not merely safe but close to the limit: the whole run takes about count / rate windows.
    const windows = (Math.max(...times) - Math.min(...times)) / rate.windowMs;
    expect(windows).toBeLessThan(count / rate.count + 1);
    expect(fake.maxInFlight()).toBeLessThanOrEqual(Math.min(connections, rate.count));
    // No timer outlives the run (a real one would keep the process alive for up to a window).
    expect(clock.pending()).toBe(0);
  });

  it('without a rate, only the connections limit how many are in flight', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock);
    await clock.run(deliver(plan(clock, fake.transport, addresses(20), { concurrency: 3, limiter: new RateLimiter(undefined, clock) })));
    expect(fake.maxInFlight()).toBe(3);
    expect(Math.max(...fake.accepted.map((a) => a.at))).toBe(7 * 40); // 20 messages, 3 at a time, 40 ms each
  });
});

describe('deliver keeps what the report needs, not the list', () => {
  it('without keepAccepted only the number of accepted messages is kept', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock);
    const report = await clock.run(deliver(plan(clock, fake.transport, addresses(50), { keepAccepted: false })));
    expect(report.acceptedCount).toBe(50);
    expect(report.accepted).toEqual([]);
    expect(fake.accepted).toHaveLength(50);
  });
});

describe('deliver: items walked lazily', () => {
  it('a walk that stops the run (the contacts file changed) ends it cleanly: what went is reported, nothing after it is tried', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock);
    function* walk() {
      yield* addresses(3);
      throw new DeliveryStop('contacts.csv changed while invite was running', 'run the command again');
    }
    const report = await clock.run(deliver(plan(clock, fake.transport, [], { items: walk(), concurrency: 2 })));
    expect(fake.accepted.map((a) => a.email)).toEqual(addresses(3));
    expect(report.acceptedCount).toBe(3);
    expect(report.stopped?.message).toMatch(/changed while invite was running/);
    expect(report.notTried).toEqual([]);
  });

  it('after Ctrl-C, the rest of the walk is listed as not tried, and the walk is closed', async () => {
    const clock = new FakeClock();
    const fake = fakeTransport(clock);
    const stop = new StopSignal();
    let closed = false;
    function* walk() {
      try {
        yield* addresses(6);
      } finally {
        closed = true;
      }
    }
    const report = await clock.run(deliver(plan(clock, fake.transport, [], { items: walk(), stop, onResult: () => stop.request() })));
    expect(report.acceptedCount).toBe(1);
    expect(report.notTried).toEqual(addresses(6).slice(1));
    expect(report.interrupted).toBe(true);
    expect(closed).toBe(true);
  });
});
