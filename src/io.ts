// What a command may touch of the outside world, passed in so tests can replace any of it.
import { Chalk, type ChalkInstance } from 'chalk';

export interface Io {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Asks a yes/no question on the terminal; absent where there is no terminal. */
  confirm?: (question: string) => Promise<boolean>;
  /** Asks for a secret (a password) on the terminal, never echoing it. */
  askSecret?: (question: string) => Promise<string>;
  /** The clock, unless --now or INVITE_NOW says otherwise. */
  clock?: () => Date;
  /** Where SIGINT and SIGTERM arrive (the process); absent in tests that do not need them. */
  signals?: NodeJS.EventEmitter;
  /** Ends the process at once (a second Ctrl-C). */
  exit?: (code: number) => void;
}

/** A person is at the keyboard: both ends are terminals and no CI system runs us. */
export function isInteractive(io: Io): boolean {
  return Boolean(io.stdin.isTTY && io.stdout.isTTY) && !io.env.CI;
}

/** Colours for a stream, honouring NO_COLOR and FORCE_COLOR (https://no-color.org). */
export function colourFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): ChalkInstance {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({ level: 0 });
  const forced = env.FORCE_COLOR;
  if (forced !== undefined) {
    const level = forced === '' || forced === 'true' ? 1 : Math.min(3, Math.max(0, Number(forced) || 0));
    return new Chalk({ level: level as 0 | 1 | 2 | 3 });
  }
  return new Chalk({ level: stream.isTTY ? 1 : 0 });
}
