// A clock for the intricate timing logic (rate limit, retries, backoff): time moves only when
// everything running is waiting for it, straight to the next timer. A run of minutes takes
// milliseconds, and the outcome never depends on how busy the machine is.
import type { Clock } from '../../src/transports/rate.js';

export class FakeClock implements Clock {
  private t = 0;
  private timers: { at: number; order: number; wake: () => void }[] = [];
  private scheduled = 0;

  now(): number {
    return this.t;
  }

  sleep(ms: number, cancel?: Promise<void>): Promise<void> {
    return new Promise((wake) => {
      const timer = { at: this.t + Math.max(0, ms), order: this.scheduled++, wake };
      this.timers.push(timer);
      void cancel?.then(() => {
        this.timers = this.timers.filter((t) => t !== timer);
        wake();
      });
    });
  }

  /** Timers still waiting (a cancelled sleep leaves none). */
  pending(): number {
    return this.timers.length;
  }

  /** Runs `work` to the end, moving time forward whenever nothing else can happen. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      // Let every promise chain that can move, move.
      for (let i = 0; i < 20 && !settled; i++) await new Promise((r) => setImmediate(r));
      if (settled) break;
      if (this.timers.length === 0) throw new Error(`nothing can happen any more at t=${this.t} ms, and the work is not done (a deadlock)`);
      this.timers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.timers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.wake();
    }
    return work;
  }
}
