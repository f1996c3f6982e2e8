// The journal: .invite/journal.jsonl, one JSON line per message the server accepted (and per
// failure), written before the next message starts and flushed to disk in groups (see
// JournalWriter). It is the record of what was sent, so a re-run sends exactly what is
// missing. A lock file keeps two runs apart.
import { closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, linkSync, mkdirSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import type { EventSnapshot } from './compose.js';
import { InputError, UsageError, shownPath } from './errors.js';

/** accepted, failed: a message we sent; received: a reply or bounce that came back (kind reply, bounce). */
export type JournalStatus = 'accepted' | 'failed' | 'received';

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
  /** kind "reply": the attendee's answer, with what orders answers (SEQUENCE, DTSTAMP, the mail's Date); messageId is the reply's. */
  reply?: { partstat: 'ACCEPTED' | 'TENTATIVE' | 'DECLINED'; sequence: number; dtstamp?: string; date?: string };
  /** kind "bounce": the permanent delivery status (5.x.x) reported for one of our messages; messageId is the report's. */
  bounce?: { status: string; diagnostic?: string; date?: string };
}

export interface JournalRead {
  entries: JournalEntry[];
  /** A last line cut short by a crash, a full disk or a power cut: reported, ignored, cut off before the next append. */
  torn?: { line: number; bytes: number };
}

/** One journal line, checked strictly: a line that does not say exactly what was sent is not guessed at. */
const entrySchema = z.strictObject({
  time: z.iso.datetime({ offset: true }),
  campaign: z.string().min(1),
  kind: z.string().regex(/^[a-z]+(:[A-Za-z0-9._-]+)?$/, 'expected invitation, reminder:<stage>, update:<n> or cancel'),
  // Compared ignoring case everywhere: stored lower-case, whatever an editor made of it.
  recipient: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'expected an e-mail address').transform((r) => r.toLowerCase()),
  messageId: z.string().min(1),
  uid: z.string().optional(),
  sequence: z.int().min(0).optional(),
  status: z.enum(['accepted', 'failed', 'received']),
  response: z.string().optional(),
  event: z.looseObject({}).optional(),
  failure: z.strictObject({ type: z.enum(['permanent', 'temporary']), code: z.int().optional(), message: z.string() }).optional(),
  reply: z
    .strictObject({ partstat: z.enum(['ACCEPTED', 'TENTATIVE', 'DECLINED']), sequence: z.int().min(0), dtstamp: z.string().optional(), date: z.string().optional() })
    .optional(),
  bounce: z.strictObject({ status: z.string().regex(/^[245]\.\d{1,3}\.\d{1,3}$/), diagnostic: z.string().optional(), date: z.string().optional() }).optional(),
});

/** The journal beside invite.yaml unless --journal says otherwise. */
export function journalPath(campaignDir: string, override?: string): string {
  return override ? path.resolve(override) : path.join(campaignDir, '.invite', 'journal.jsonl');
}

/** The journal must be a regular file (or not exist yet): a folder or a device there is a clear error, never a stack trace. */
function checkJournalFile(file: string): boolean {
  let stat;
  try {
    stat = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') throw new InputError({ file: shownPath(file), message: 'the journal\'s folder is a file', hint: 'pass --journal with a path in a folder, or move that file away' });
    throw error;
  }
  if (!stat.isFile()) {
    throw new InputError({
      file: shownPath(file),
      message: `the journal is ${stat.isDirectory() ? 'a folder' : 'not a regular file'}`,
      hint: 'the journal is a file of JSON lines; pass --journal FILE with a file name, or move what is there away',
    });
  }
  return true;
}

/** Reads one line; the entry, or what is wrong with it. */
function parseLine(line: string): { entry: JournalEntry } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'this journal line is not a journal entry' };
  }
  const parsed = entrySchema.safeParse(value);
  if (parsed.success) return { entry: parsed.data as JournalEntry };
  const issue = parsed.error.issues[0]!;
  const key = issue.path.join('.');
  const what = /received undefined/.test(issue.message) ? `"${key}" is missing` : `${key ? `"${key}": ` : ''}${issue.message}`;
  return { problem: `this journal line is not a journal entry: ${what}` };
}

export function readJournal(file: string): JournalRead {
  if (!checkJournalFile(file)) return { entries: [] };
  const entries: JournalEntry[] = [];
  let torn: JournalRead['torn'];
  const shown = shownPath(file);
  const shared = new Sharing();
  for (const { line, number, last } of journalLines(file)) {
    if (line.trim() === '') continue;
    const read = parseLine(line);
    if ('entry' in read) {
      // A complete last line whose newline never made it to disk still records what was sent.
      entries.push(shared.entry(read.entry));
      continue;
    }
    // The last line, cut short while it was written: ignored, and cut off by the next writer.
    if (last) {
      torn = { line: number, bytes: Buffer.byteLength(line) };
      continue;
    }
    throw new InputError({
      file: shown,
      line: number,
      message: read.problem,
      hint: 'the journal was edited or damaged; restore it from version control or a backup (invite will not guess what was sent)',
    });
  }
  return { entries, torn };
}

/**
 * The journal's lines, read 64 KB at a time (a journal of 100,000 messages is 50 MB of text,
 * never held whole), each with its number; `last` marks a final line without its newline.
 */
function* journalLines(file: string): Generator<{ line: string; number: number; last: boolean }> {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 16);
    const decoder = new TextDecoder('utf-8');
    let pending = '';
    let number = 0;
    for (let n = readSync(fd, buffer, 0, buffer.length, null); n > 0; n = readSync(fd, buffer, 0, buffer.length, null)) {
      pending += decoder.decode(buffer.subarray(0, n), { stream: true });
      let start = 0;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n', start)) {
        yield { line: pending.slice(start, end), number: ++number, last: false };
        start = end + 1;
      }
      pending = pending.slice(start);
    }
    pending += decoder.decode();
    if (pending !== '') yield { line: pending, number: ++number, last: true };
  } finally {
    closeSync(fd);
  }
}

/**
 * What every line repeats (campaign, kind, UID, status, the event as it was) is kept once and
 * shared by the entries, so that the entries of 100,000 messages take tens of MB, not hundreds.
 */
class Sharing {
  private readonly strings = new Map<string, string>();
  private readonly events = new Map<string, EventSnapshot>();

  private text(value: string): string {
    let kept = this.strings.get(value);
    if (kept === undefined) {
      if (this.strings.size > 10_000) this.strings.clear();
      this.strings.set(value, (kept = value));
    }
    return kept;
  }

  entry(entry: JournalEntry): JournalEntry {
    entry.campaign = this.text(entry.campaign);
    entry.kind = this.text(entry.kind);
    entry.status = this.text(entry.status) as JournalStatus;
    if (entry.uid !== undefined) entry.uid = this.text(entry.uid);
    if (entry.event) {
      const key = JSON.stringify(entry.event);
      let event = this.events.get(key);
      if (!event) {
        if (this.events.size > 1_000) this.events.clear();
        this.events.set(key, (event = entry.event));
      }
      entry.event = event;
    }
    return entry;
  }
}

/** Addresses (lower-case) whose message of this kind, for this event (its UID), the server accepted. A new event.uid is a new event. */
export function acceptedRecipients(entries: JournalEntry[], campaign: string, kind: string, uid: string): Set<string> {
  return new Set(entries.filter((e) => e.campaign === campaign && e.kind === kind && e.status === 'accepted' && (e.uid === undefined || e.uid === uid)).map((e) => e.recipient));
}

/** The journal could not be written: the run must stop, and what was sent but not recorded must be said. */
export class JournalWriteError extends Error {
  constructor(
    readonly file: string,
    readonly reason: Error,
  ) {
    super(`the journal ${shownPath(file)} could not be written: ${reason.message}`);
    this.name = 'JournalWriteError';
  }
}

/** How long written lines may wait for their flush to the disk. */
const FLUSH_MS = 10;

/**
 * The journal being written: one line at a time, each written to the file (write(2)) before
 * append() returns, so a process killed at any moment loses no line. Flushing to the disk
 * (fsync) is grouped: it starts at most FLUSH_MS after a line is written, one runs in the
 * background at a time, and the lines written meanwhile are flushed by the next one; close()
 * flushes what is left before it returns. So a power cut or a kernel crash (not a killed
 * process) can lose at most the lines of the last few milliseconds, and the run no longer
 * waits for the disk after every message.
 * The file is opened at the first line, so a run that sends nothing leaves no empty journal
 * behind. A write that fails leaves no part of its line behind, and every later append fails
 * too (JournalWriteError), as after a failed fsync: nothing is recorded out of order.
 */
export class JournalWriter {
  private fd = -1;
  private size = 0;
  private broken?: JournalWriteError;
  /** An fsync in the background: one at a time; lines written meanwhile wait for the next. */
  private flushing = false;
  private unflushed = false;
  private timer?: NodeJS.Timeout;
  /** The descriptor to close once the fsync in flight has returned (close() was called meanwhile). */
  private closeAfterFlush = -1;
  constructor(
    readonly file: string,
    /** The flushes, replaceable by a test (to count them, slow them down, or fail them). */
    private readonly disk: { fsync: typeof fsync; fsyncSync: typeof fsyncSync } = { fsync, fsyncSync },
  ) {}

  private open(): number {
    mkdirSync(path.dirname(this.file), { recursive: true });
    checkJournalFile(this.file);
    const fd = openSync(this.file, 'a+');
    // A last line without its newline: a complete entry gets its newline, a torn one is cut
    // off, so the next entry starts on a line of its own. Only the last byte is read; the
    // whole file only when it really is unterminated.
    let size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    if (size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) {
      const text = readFileSync(this.file);
      const start = text.lastIndexOf(0x0a) + 1;
      if ('entry' in parseLine(text.subarray(start).toString('utf8'))) {
        writeAll(fd, Buffer.from('\n'));
        size += 1;
      } else {
        ftruncateSync(fd, start);
        size = start;
      }
      fsyncSync(fd);
    }
    this.size = size;
    return fd;
  }

  append(entry: JournalEntry): void {
    if (this.broken) throw this.broken;
    const before = this.size;
    try {
      if (this.fd < 0) this.fd = this.open();
      const data = Buffer.from(JSON.stringify(entry) + '\n');
      writeAll(this.fd, data);
      this.size += data.length;
      this.flushSoon();
    } catch (error) {
      // A short write (a full disk) must not leave half a line that a later line would join.
      if (this.fd >= 0) {
        try {
          ftruncateSync(this.fd, before);
        } catch {
          // the next run's reader sees a torn last line and its writer cuts it off
        }
      }
      this.broken = error instanceof JournalWriteError ? error : new JournalWriteError(this.file, error as Error);
      throw this.broken;
    }
  }

  private flushSoon(): void {
    this.unflushed = true;
    if (this.flushing || this.timer) return;
    // At most one flush per FLUSH_MS: a fast disk would otherwise flush after nearly every line.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, FLUSH_MS);
    this.timer.unref(); // close() flushes what is left
  }

  private flush(): void {
    if (this.fd < 0 || !this.unflushed) return;
    this.flushing = true;
    this.unflushed = false;
    const fd = this.fd;
    this.disk.fsync(fd, (error) => {
      this.flushing = false;
      if (this.closeAfterFlush === fd) {
        this.closeAfterFlush = -1;
        closeSync(fd);
        return;
      }
      if (error) this.broken ??= new JournalWriteError(this.file, error);
      else if (this.unflushed && this.fd === fd) this.flushSoon();
    });
  }

  /** Flushes every line to the disk, then closes the file. Throws JournalWriteError when the flush fails. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const fd = this.fd;
    if (fd < 0) return;
    this.fd = -1;
    let failure: unknown;
    try {
      if (this.size > 0) this.disk.fsyncSync(fd);
    } catch (error) {
      failure = error;
    }
    // The background fsync still holds the descriptor: it closes it when it returns.
    if (this.flushing) this.closeAfterFlush = fd;
    else closeSync(fd);
    if (failure) throw (this.broken = new JournalWriteError(this.file, failure as Error));
  }

  /** close() on the way out of an error: flushes what it can and never throws (the error being handled is the one to report). */
  abandon(): void {
    try {
      this.close();
    } catch {
      // the run already stops with an error of its own
    }
  }
}

/** writeSync until every byte is written: a write may take only part of what it is given. */
function writeAll(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
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
 *
 * Taking over is atomic: only the process holding `journal.jsonl.lock.takeover` (also created
 * exclusively) may remove a stale lock, and only after reading it again and finding the same
 * dead holder. Two runs that find the same stale lock can therefore never both hold the lock:
 * the one that loses either finds the takeover in progress or finds the winner's live lock.
 */
export function lockJournal(file: string, command: string): { release(): void; tookOverFrom?: LockHolder } {
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
    return new UsageError(`the journal ${shownPath(file)} is in use by ${who}`, `wait for it to finish; if no such run exists any more, delete ${shownPath(lockFile)}`);
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
