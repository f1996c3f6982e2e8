// Sending rate: never more than N messages accepted in any sliding window. nodemailer's own
// limiter lets up to twice the limit through at a window's edge and overshoots when the limit
// is below the connection count, so invite counts for itself: a message may start only when
// the acceptances of the last window plus the messages still in flight are fewer than N.
// Then no window, however placed, can hold more than N acceptances.
import type { Rate } from '../campaign/rate.js';

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or as soon as `cancel` resolves (then no timer is left behind). */
  sleep(ms: number, cancel?: Promise<void>): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, cancel) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      void cancel?.then(() => {
        clearTimeout(timer);
        resolve();
      });
    }),
};

export class RateLimiter {
  private accepted: number[] = [];
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly rate: Rate | undefined,
    private readonly clock: Clock = realClock,
  ) {}

  /** Waits until one more message may start, and counts it as in flight. */
  async acquire(): Promise<void> {
    if (!this.rate) {
      this.inFlight++;
      return;
    }
    for (;;) {
      const now = this.clock.now();
      this.accepted = this.accepted.filter((t) => t > now - this.rate!.windowMs);
      if (this.accepted.length + this.inFlight < this.rate.count) {
        this.inFlight++;
        return;
      }
      // Wake when the oldest acceptance leaves the window, or when a message in flight ends.
      const oldest = this.accepted[0];
      const wait = oldest === undefined ? undefined : oldest + this.rate.windowMs - now + 1;
      await new Promise<void>((resolve) => {
        // Woken by a message ending, the window's timer is cancelled: none may outlive the run.
        let woken!: () => void;
        const byRelease = new Promise<void>((r) => (woken = r));
        this.waiters.push(woken);
        void byRelease.then(resolve);
        if (wait !== undefined) void this.clock.sleep(wait, byRelease).then(resolve);
      });
    }
  }

  /** The message that acquire() let start has ended: accepted by the server, or not. */
  release(accepted: boolean): void {
    this.inFlight--;
    // Acceptances are counted only against a rate: without one, a long run keeps none.
    if (accepted && this.rate) this.accepted.push(this.clock.now());
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
