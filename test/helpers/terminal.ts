// Runs the built CLI on a real pseudo terminal, as an organiser at the keyboard would: util-linux
// `script` gives it a tty (so inquirer prompts, raw mode and Ctrl-C behave as they do for a
// person), and @xterm/headless renders what it printed into the screen a person would read.
import { spawn } from 'node:child_process';
import xterm from '@xterm/headless';
import { afterEach } from 'vitest';
import { BIN, cleanEnv, type CliResult } from './cli.js';

const COLS = 120;
const ROWS = 50;

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export interface TerminalCli {
  /** Types into the terminal: "y\r", "\x03" (Ctrl-C), … */
  type(keys: string): void;
  /** Resolves when the screen shows `text`; rejects after `ms` with what the screen shows. */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  /** The screen as a person reads it: one string per line, trailing blanks trimmed. */
  screen(): Promise<string[]>;
  pid(): number | undefined;
  done: Promise<CliResult>;
}

/** Every terminal still running; a failed test must not leave a CLI waiting at a prompt forever. */
const running = new Set<{ kill(): void }>();
afterEach(() => {
  for (const t of running) t.kill();
  running.clear();
});

export function runInTerminal(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): TerminalCli {
  const command = `stty cols ${COLS} rows ${ROWS}; exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  // CI must not be set: the CLI would (rightly) refuse to prompt.
  const env = cleanEnv({ TERM: 'xterm-256color', CI: undefined, ...options.env });
  const child = spawn('script', ['--quiet', '--return', '--flush', '--command', command, '/dev/null'], {
    cwd: options.cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const terminal = new xterm.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true, scrollback: 1000 });
  let raw = '';
  let stderr = '';
  const written = () => new Promise<void>((resolve) => terminal.write('', resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
    terminal.write(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: raw, stderr }));
  });
  let exited = false;
  // `script` runs the CLI in a session of its own: end that whole process group.
  const handle = { kill: () => !exited && child.pid && process.kill(-child.pid, 'SIGKILL') };
  running.add(handle);
  void done.then(() => {
    exited = true;
    running.delete(handle);
  });

  const screen = async () => {
    await written();
    const buffer = terminal.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  };

  return {
    type: (keys) => child.stdin.write(keys),
    async waitFor(text, ms = 15_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const shown = (await screen()).join('\n');
        if (typeof text === 'string' ? shown.includes(text) : text.test(shown)) return;
        if (exited || Date.now() > deadline) throw new Error(`the terminal never showed ${String(text)}; it shows:\n${shown}\n(stderr of script: ${stderr})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    screen,
    pid: () => child.pid,
    done,
  };
}
