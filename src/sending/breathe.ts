// A long synchronous stretch (a dry run, --out, the recipient table: nothing there waits for
// the network) keeps the event loop from running: Ctrl-C is not seen, the progress bar and
// timers stand still, and what is written to a pipe queues up in memory instead of draining.
// `breather()` gives the loop a turn once the caller has held it for `everyMs` (Date.now(): a
// millisecond is fine enough here, and `performance` would load perf_hooks for a 9-contact run).
import { once } from 'node:events';

const EVERY_MS = 20;

/** Returns a function that, when the loop has not turned for a while, resolves after one turn; otherwise undefined (nothing to await). */
export function breather(everyMs = EVERY_MS): () => Promise<void> | undefined {
  let last = Date.now();
  return () => {
    const now = Date.now();
    if (now - last < everyMs) return undefined;
    return new Promise((resolve) =>
      setImmediate(() => {
        last = Date.now();
        resolve();
      }),
    );
  };
}

/** Writes to a stream and, when it asks the writer to wait (a pipe whose reader is slower), waits until it has drained. */
export async function writeDrained(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out as NodeJS.EventEmitter, 'drain');
}
