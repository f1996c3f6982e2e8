// The journal's lock (journal.jsonl.lock): two runs never write one journal at once. A lock
// left by a process that no longer runs on this machine is taken over, atomically.
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError, shownPath } from '../errors.js';

interface LockHolder {
  pid: number;
  host: string;
  started: string;
  command: string;
}

/**
 * Takes the journal's lock (journal.jsonl.lock, created exclusively). A lock left by a process
 * that no longer runs on this machine is taken over; a live holder makes this run exit 2.
 *
 * Taking over is atomic: only the process holding `journal.jsonl.lock.takeover` (also created
 * exclusively) may remove a stale lock, and only after reading it again and finding the same
 * dead holder. Two runs that find the same stale lock can therefore never both hold the lock:
 * the one that loses either finds the takeover in progress or finds the winner's live lock.
 */
export function lockJournal(file: string, command: string): { release(): void; tookOverFrom?: LockHolder } {
  try {
    return takeLock(file, command);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof UsageError || typeof code !== 'string') throw error;
    throw new UsageError(
      `cannot write in the journal's folder ${shownPath(path.dirname(file))} (${code}${existsSync(path.dirname(file)) ? '' : ': it could not be made'}); nothing was sent`,
      'make the folder writable (and free space on its disk), or pass --journal FILE in a folder that is',
    );
  }
}

function takeLock(file: string, command: string): { release(): void; tookOverFrom?: LockHolder } {
  const lockFile = `${file}.lock`;
  mkdirSync(path.dirname(lockFile), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command };
  const mine = JSON.stringify(me) + '\n';
  const held = (tookOverFrom?: LockHolder) => ({
    tookOverFrom,
    release() {
      removeIf(lockFile, mine); // only our own lock; gone already is fine
    },
  });
  const inUse = (holder: LockHolder | undefined) => {
    const who = holder ? `process ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.started})` : 'another run';
    return new UsageError(
      `the journal ${shownPath(file)} is in use by ${who}`,
      `wait for it to finish; if no such run exists any more, delete ${shownPath(lockFile)}`,
    );
  };

  if (createExclusive(lockFile, mine)) return held();
  const stale = readHolder(lockFile);
  if (!stale?.holder || stale.text === undefined || stale.holder.host !== me.host || isAlive(stale.holder.pid)) throw inUse(stale?.holder);

  const takeover = `${lockFile}.takeover`;
  if (!createExclusive(takeover, mine)) {
    // Another run is taking over right now, or died while doing so (a file left for seconds).
    const age = fileAge(takeover);
    if (age !== undefined && age < STALE_TAKEOVER_MS) throw inUse(undefined);
    removeIf(takeover, readHolder(takeover)?.text);
    if (!createExclusive(takeover, mine)) throw inUse(undefined);
  }
  try {
    // Still the same dead holder? Then nobody else has touched it: remove it and take the lock.
    if (!removeIf(lockFile, stale.text)) throw inUse(readHolder(lockFile)?.holder);
    if (!createExclusive(lockFile, mine)) throw inUse(readHolder(lockFile)?.holder);
    return held(stale.holder);
  } finally {
    removeIf(takeover, mine);
  }
}

/** A takeover file older than this was left by a run that died in the middle of taking over. */
const STALE_TAKEOVER_MS = 10_000;

/** Creates `file` with `text` only if nothing is there: written to a private file, then hard-linked into place (atomic). */
function createExclusive(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, text, { flag: 'wx' });
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(tmp);
  }
}

function readHolder(file: string): { text?: string; holder?: LockHolder } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    return typeof holder?.pid === 'number' && typeof holder.host === 'string' ? { text, holder } : { text };
  } catch {
    return { text };
  }
}

/** Removes `file` if it still holds exactly `text`; whether it did. */
function removeIf(file: string, text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    if (readFileSync(file, 'utf8') !== text) return false;
    unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

function fileAge(file: string): number | undefined {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
