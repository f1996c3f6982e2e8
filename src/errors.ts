// Errors as values with a home: every input problem carries where it is and how to fix it,
// and exitCodeFor/formatProblem are the one place that turns them into text and exit codes.

import path from 'node:path';

/** A file as messages show it: relative to where the organiser runs invite, else absolute. */
export function shownPath(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

export const EXIT = {
  ok: 0,
  someFailed: 1,
  badInput: 2,
  /** A bug in invite (sysexits' EX_SOFTWARE): never 1, which means "some messages not delivered". */
  internal: 70,
  interrupted: 130,
} as const;

/** Where a problem is: a file, and within it a line (or CSV row) and a column or key. */
export interface Problem {
  file?: string;
  line?: number;
  /** A 1-based column number, or a CSV column / YAML key name. */
  column?: number | string;
  message: string;
  hint?: string;
  /** Errors stop a run; warnings are shown by `invite validate` and never stop anything. */
  severity?: 'error' | 'warning';
}

/** Bad campaign, contacts or template: exit 2, nothing sent. */
export class InputError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem | Problem[]) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.map(formatProblem).join('\n'));
    this.name = 'InputError';
    this.problems = list;
  }
}

/** An error the organiser can act on: what is wrong, and a hint how to fix it; exit 2. */
abstract class HintedError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command-line usage or a missing setting (no SMTP URL, no --yes without a terminal): exit 2. */
export class UsageError extends HintedError {}

/**
 * A fault that makes every further message fail the same way (wrong password, TLS or
 * certificate trouble, server unreachable): the run stops at once.
 */
export class DeliveryStop extends HintedError {}

/**
 * The server stopped answering mid-run (connections time out or close, again and again): the run
 * stops, what was accepted stays recorded, and the rest is left for a re-run: exit 1, not 2, since
 * nothing about the input is wrong.
 */
export class ServerSilent extends DeliveryStop {}

/** A failure for this one recipient (a refused address, a full mailbox, a dropped connection); the run goes on. */
export class RecipientFailure extends Error {
  constructor(
    message: string,
    readonly responseCode: number | undefined,
    /** A 5xx reply: retrying will not help. */
    readonly permanent: boolean,
    /** The connection failed (dropped, timed out, refused), not the message. */
    readonly network: boolean,
    /** The server could not be reached at all (refused, unknown host). */
    readonly connectFailure = false,
  ) {
    super(message);
    this.name = 'RecipientFailure';
  }
}

/**
 * The message went out whole (the final dot was written) and then the server's reply never came:
 * a timeout, or the connection lost. The server may have it. Never retried, not in this run and
 * not by a re-run unless asked (--resend-unknown): a blind retry is how a slow server gets copies.
 */
export class OutcomeUnknown extends RecipientFailure {
  constructor(message: string) {
    super(message, undefined, false, true);
    this.name = 'OutcomeUnknown';
  }
}

export function formatProblem(p: Problem): string {
  const where = [p.file, p.line, p.column].filter((part) => part !== undefined && part !== '').join(':');
  const hint = p.hint ? ` (${p.hint})` : '';
  return printable(`${where ? `${where}: ` : ''}${p.message}${hint}`);
}

/**
 * Text from a file (a partner's CSV) made safe for a terminal: control characters other than
 * line break and tab — ESC above all, which starts sequences that can move the cursor, hide
 * text or (OSC 52) write the clipboard — are shown as \xNN instead of being obeyed.
 */
export function printable(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Ctrl-C at a question (inquirer's ExitPromptError, or ours): nothing was done, exit 130. */
export class PromptInterrupted extends Error {
  constructor(readonly outcome = 'Nothing sent.') {
    super(outcome);
    this.name = 'PromptInterrupted';
  }
}

/** inquirer rejects a prompt closed by Ctrl-C with an ExitPromptError (matched by name: it is not imported on every run). */
export function isPromptInterrupt(error: unknown): boolean {
  return error instanceof PromptInterrupted || (error instanceof Error && error.name === 'ExitPromptError');
}

/** --debug anywhere on the command line, or DEBUG=invite (also in a list: DEBUG=x,invite). */
export function debugWanted(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--debug') || /(^|,)\s*invite\b/.test(env.DEBUG ?? '');
}

/**
 * Turns anything thrown by a command into the lines for stderr and the exit code. An internal
 * error is one line asking for a report; its stack only with `debug` (--debug or DEBUG=invite).
 */
export function describeFailure(error: unknown, debug = false): { lines: string[]; code: number } {
  if (isPromptInterrupt(error)) {
    return { lines: [error instanceof PromptInterrupted ? error.outcome : 'Nothing sent.'], code: EXIT.interrupted };
  }
  if (error instanceof InputError) {
    return { lines: error.problems.map((p) => `invite: ${formatProblem(p)}`), code: EXIT.badInput };
  }
  if (error instanceof HintedError) {
    const lines = [`invite: ${printable(error.message)}`];
    if (error.hint) lines.push(`hint: ${printable(error.hint)}`);
    return { lines, code: EXIT.badInput };
  }
  const message = printable(error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error));
  const lines = [
    `invite: internal error (a bug in invite): ${message} — please report it with the command you ran; run it again with --debug to see where it happened`,
  ];
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  return { lines, code: EXIT.internal };
}

/**
 * A server's error text without the password, the tokens or anything that carries them: SMTP
 * and IMAP servers may quote the AUTH data (base64 of "\0user\0password" for PLAIN, of the
 * password for LOGIN, of "user=…\x01auth=Bearer token\x01\x01" for XOAUTH2) in their reply.
 */
export function stripSecrets(text: string, settings: { user?: string; pass?: string; tokens?: string[] }): string {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const user = settings.user ?? '';
  const forms: string[] = [];
  if (settings.pass) {
    const pass = settings.pass;
    forms.push(b64(`\0${user}\0${pass}`), b64(`${user}\0${user}\0${pass}`), ...shownForms(pass));
  }
  for (const token of settings.tokens ?? []) forms.push(b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`), ...shownForms(token));
  // The user too, where a server quotes it in an odd form (its plain form is ours to show).
  if (user.length >= 3)
    forms.push(
      ...shownForms(user)
        .slice(1)
        .filter((form) => form !== user),
    );
  // Longest first, so a form containing another is replaced whole. A control character in a
  // form matches any one character or none: servers and terminals replace or drop them.
  const patterns = [...new Set(forms.filter(Boolean))]
    .sort((a, b) => b.length - a.length)
    .map((form) => new RegExp(form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/[\u0000-\u001f\u007f-\u009f]/g, '[\\s\\S]?'), 'g'));
  return patterns.reduce((t, pattern) => t.replace(pattern, '***'), text);
}

/** The forms a secret may take in a server's reply or in our output: raw, escaped, encoded, its UTF-8 read as Latin-1, in base64. */
function shownForms(secret: string): string[] {
  const utf8 = Buffer.from(secret, 'utf8');
  let percent = secret;
  try {
    percent = encodeURIComponent(secret);
  } catch {
    // a lone surrogate: no percent-encoded form
  }
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    printable(secret),
    secret.replace(/\\/g, '\\\\'),
    percent,
    percent.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    utf8.toString('latin1'),
    utf8.toString('base64'),
  ];
}
