// Progress while sending: a live bar on a terminal (cli-progress), a plain line every few
// seconds otherwise (a CI log), and nothing at all for a preview.
import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';

// Loaded only when a bar is drawn (a send on a terminal), not at every start.
const loadCliProgress = () => createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;

export interface Progress {
  update(sent: number, failed: number): void;
  note(line: string): void;
  stop(): void;
}

export function progressFor(stream: NodeJS.WritableStream & { isTTY?: boolean }, total: number, interactive: boolean, everyMs = 3000): Progress {
  const started = Date.now();
  let sent = 0;
  let failed = 0;
  const rate = () => sent / Math.max(0.001, (Date.now() - started) / 1000);
  if (interactive && stream.isTTY) {
    const cliProgress = loadCliProgress();
    // A MultiBar (of one) prints logged lines above the bar and redraws relative to it; the
    // SingleBar restores a cursor position saved at start, which lands on printed lines.
    const bars = new cliProgress.MultiBar(
      {
        stream,
        format: 'sending [{bar}] {value}/{total} sent · {failed} failed · {left} left · {rate}/s · ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    const bar = bars.create(total, 0, { failed: 0, left: total, rate: '0.0' });
    return {
      update(s, f) {
        sent = s;
        failed = f;
        bar.update(s, { failed: f, left: total - s - f, rate: rate().toFixed(1) });
      },
      note(line) {
        bars.log(line + '\n');
      },
      stop() {
        // Flush what was logged since the last redraw, then leave the bar's final state on its own line.
        bars.update();
        bars.stop();
      },
    };
  }
  const timer = setInterval(() => {
    const left = total - sent - failed;
    const eta = rate() > 0 ? `${Math.ceil(left / rate())}s` : '?';
    stream.write(`progress: ${sent} sent, ${failed} failed, ${left} left, ${rate().toFixed(1)}/s, ETA ${eta}\n`);
  }, everyMs);
  timer.unref();
  return {
    update(s, f) {
      sent = s;
      failed = f;
    },
    note(line) {
      stream.write(line + '\n');
    },
    stop() {
      clearInterval(timer);
    },
  };
}
