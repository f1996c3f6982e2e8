// The journal: .invite/journal.jsonl, one JSON line per message the server accepted (and per
// failure), appended and fsynced before the next message counts as done. It is the record of
// what was sent, so a re-run sends exactly what is missing. A lock file keeps two runs apart.
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventSnapshot } from './compose.js';
import { InputError, UsageError, shownPath } from './errors.js';

export type JournalStatus = 'accepted' | 'failed';

export interface JournalEntry {
  time: string;
  campaign: string;
  /** invitation, reminder:<stage>, update:<sequence>, cancel */
  kind: string;
  /** The recipient's address, lower-cased. */
  recipient: string;
  messageId: string;
  uid?: string;
  sequence?: number;
  status: JournalStatus;
  /** The server's reply to the message (accepted) or the error (failed). */
  response?: string;
  /** What the calendar in this message said (time, place, title …), to tell what an update changes. */
  event?: EventSnapshot;
  /** For failures: permanent (5xx), temporary (4xx, network, timeout after retries). */
  failure?: { type: 'permanent' | 'temporary'; code?: number; message: string };
}

export interface JournalRead {
  entries: JournalEntry[];
  /** A last line cut short by a crash or power cut: reported, ignored. */
  torn?: { line: number; bytes: number };
}

/** The journal beside invite.yaml unless --journal says otherwise. */
export function journalPath(campaignDir: string, override?: string): string {
  return override ? path.resolve(override) : path.join(campaignDir, '.invite', 'journal.jsonl');
}

export function readJournal(file: string): JournalRead {
  if (!existsSync(file)) return { entries: [] };
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const entries: JournalEntry[] = [];
  let torn: JournalRead['torn'];
  const shown = shownPath(file);
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const isLast = index === lines.length - 1; // no newline after it: the write never finished
    try {
      const entry = JSON.parse(line) as JournalEntry;
      if (isLast) throw new Error('unterminated');
      if (typeof entry.recipient !== 'string' || typeof entry.kind !== 'string' || typeof entry.status !== 'string') throw new Error('not an entry');
      entries.push(entry);
    } catch {
      if (isLast) torn = { line: index + 1, bytes: Buffer.byteLength(line) };
      else {
        throw new InputError({
          file: shown,
          line: index + 1,
          message: 'this journal line is not a journal entry',
          hint: 'the journal was edited or damaged; restore it from version control or a backup (invite will not guess what was sent)',
        });
      }
    }
  }
  return { entries, torn };
}

/** Addresses (lower-case) whose message of this kind the server accepted. */
export function acceptedRecipients(entries: JournalEntry[], campaign: string, kind: string): Set<string> {
  return new Set(entries.filter((e) => e.campaign === campaign && e.kind === kind && e.status === 'accepted').map((e) => e.recipient));
}

/**
 * The journal being written: one line at a time, each on disk before append() returns. The
 * file is opened at the first line, so a run that sends nothing leaves no empty journal behind.
 */
export class JournalWriter {
  private fd = -1;
  constructor(readonly file: string) {}

  private open(): number {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const fd = openSync(this.file, 'a+');
    // A torn last line (no newline) is cut off so the next entry starts on a line of its own.
    // Only the last byte is read; the whole file only when it really is torn.
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    if (size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) {
      const end = readFileSync(this.file).lastIndexOf(0x0a) + 1;
      ftruncateSync(fd, end);
    }
    return fd;
  }

  append(entry: JournalEntry): void {
    if (this.fd < 0) this.fd = this.open();
    writeSync(this.fd, JSON.stringify(entry) + '\n');
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

interface LockHolder {
  pid: number;
  host: string;
  started: string;
  command: string;
}

/**
 * Takes the journal's lock (journal.jsonl.lock, created exclusively). A lock left by a process
 * that no longer runs on this machine is taken over; a live holder makes this run exit 2.
 */
export function lockJournal(file: string, command: string): { release(): void; tookOverFrom?: LockHolder } {
  const lockFile = `${file}.lock`;
  mkdirSync(path.dirname(lockFile), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command };
  let tookOverFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, JSON.stringify(me) + '\n', { flag: 'wx' });
      return {
        tookOverFrom,
        release() {
          try {
            const holder = JSON.parse(readFileSync(lockFile, 'utf8')) as LockHolder;
            if (holder.pid === me.pid && holder.host === me.host) unlinkSync(lockFile);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: LockHolder | undefined;
      try {
        holder = JSON.parse(readFileSync(lockFile, 'utf8')) as LockHolder;
      } catch {
        holder = undefined;
      }
      if (holder && holder.host === me.host && !isAlive(holder.pid)) {
        tookOverFrom = holder;
        unlinkSync(lockFile);
        continue;
      }
      const who = holder ? `process ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.started})` : 'another run';
      throw new UsageError(
        `the journal ${shownPath(file)} is in use by ${who}`,
        `wait for it to finish; if no such run exists any more, delete ${shownPath(lockFile)}`,
      );
    }
  }
  throw new UsageError(`could not take the journal lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
