// The journal: .invite/journal.jsonl, one JSON line per message the server accepted (and per
// failure), written before the next message starts and flushed to disk in groups (see
// JournalWriter). It is the record of what was sent, so a re-run sends exactly what is
// missing. A lock file keeps two runs apart.
import { closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, linkSync, mkdirSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import type { EventSnapshot } from '../compose/compose.js';
import { InputError, UsageError, shownPath } from '../errors.js';

/**
 * accepted, failed: a message we sent; received: a reply, bounce or unsubscribe request that
 * came back and counts; not-counted: one that came back and does not (its `reason` says why);
 * read: how far a mailbox was read (kind mailbox).
 */
export type JournalStatus = 'accepted' | 'failed' | 'received' | 'not-counted' | 'read';

export interface JournalEntry {
  time: string;
  campaign: string;
  /** invitation, reminder:<stage>, update:<sequence>, cancel; reply, bounce, unsubscribe (what came back); mailbox (how far one was read) */
  kind: string;
  /** The recipient's address, lower-cased (for what came back: the address it is about). */
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
  /** status "not-counted": why a mail that came back does not count (a stranger's reply, a forged bounce …). */
  reason?: string;
  /** kind "mailbox": the IMAP mailbox read, its UIDVALIDITY, and the highest UID read. */
  mailbox?: { name: string; uidValidity: number; uid: number };
}

export interface JournalRead {
  entries: JournalEntry[];
  /** A last line cut short by a crash, a full disk or a power cut: reported, ignored, cut off before the next append. */
  torn?: { line: number; bytes: number };
  /** Lines about mail that came back that the reader refuses (an older invite wrote them, or a hand did): skipped, each with why. */
  skipped: { line: number; problem: string }[];
}

/** Bounds on what a journal line may hold: text from outside is cut to these before it is stored. */
export const BOUNDS = { text: 1024, reason: 300, messageId: 998 } as const;

/** Text from outside (a server's reply, a bounce's diagnostic), cut to fit a journal line: at most `max` characters, the cut marked. */
export function bounded(text: string, max: number = BOUNDS.text): string {
  if (text.length <= max) return text;
  // Never half a surrogate pair: the line must stay valid UTF-8.
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(text[end - 1] ?? '')) end--;
  return `${text.slice(0, end)}…`;
}
/** SEQUENCE is an INTEGER (RFC 5545 §3.3.8): 32 bits, signed. */
const SEQUENCE_MAX = 2 ** 31 - 1;

const common = {
  time: z.iso.datetime({ offset: true }),
  campaign: z.string().min(1).max(200),
  // Compared ignoring case everywhere: stored lower-case, whatever an editor made of it.
  recipient: z.string().max(320).regex(/^[^\s@]+@[^\s@]+$/, 'expected an e-mail address').transform((r) => r.toLowerCase()),
  messageId: z.string().min(1).max(BOUNDS.messageId),
  uid: z.string().max(BOUNDS.text).optional(),
};

/** A message we sent: accepted by the server, or failed. */
const sentSchema = z.strictObject({
  ...common,
  kind: z.string().regex(/^(invitation|cancel|reminder:[a-z0-9][a-z0-9-]*|update:\d+(\.\d+)?|[a-z]+(:[A-Za-z0-9._-]+)?)$/, 'expected invitation, reminder:<stage>, update:<n> or cancel'),
  sequence: z.int().min(0).max(SEQUENCE_MAX).optional(),
  status: z.enum(['accepted', 'failed']),
  response: z.string().max(BOUNDS.text).optional(),
  event: z.looseObject({}).optional(),
  failure: z.strictObject({ type: z.enum(['permanent', 'temporary']), code: z.int().min(0).max(999).optional(), message: z.string().max(BOUNDS.text) }).optional(),
});

/** A mail that came back: a reply, a bounce or an unsubscribe request; counted (received) or not (with its reason). */
const receivedSchema = z.strictObject({
  ...common,
  kind: z.enum(['reply', 'bounce', 'unsubscribe']),
  status: z.enum(['received', 'not-counted']),
  reply: z
    .strictObject({
      partstat: z.enum(['ACCEPTED', 'TENTATIVE', 'DECLINED']),
      sequence: z.int().min(0).max(SEQUENCE_MAX),
      dtstamp: z.iso.datetime({ offset: true }).optional(),
      date: z.iso.datetime({ offset: true }).optional(),
    })
    .optional(),
  bounce: z
    .strictObject({ status: z.string().regex(/^[245]\.\d{1,3}\.\d{1,3}$/), diagnostic: z.string().max(BOUNDS.text).optional(), date: z.iso.datetime({ offset: true }).optional() })
    .optional(),
  reason: z.string().max(BOUNDS.reason).optional(),
});

/** How far a mailbox was read over IMAP. */
const cursorSchema = z.strictObject({
  time: common.time,
  campaign: common.campaign,
  kind: z.literal('mailbox'),
  recipient: common.recipient,
  messageId: common.messageId,
  status: z.literal('read'),
  mailbox: z.strictObject({ name: z.string().min(1).max(BOUNDS.reason), uidValidity: z.int().min(0).max(2 ** 32 - 1), uid: z.int().min(0).max(2 ** 32 - 1) }),
});

/**
 * A sent line's fields that change from message to message. The others (campaign, kind, uid,
 * sequence, the event) are the same for every message of a run: the writer checks them with the
 * whole schema once and then only these, with the same schema's own rules.
 */
const sentVarying = z.object(sentSchema.pick({ time: true, recipient: true, messageId: true, status: true, response: true, failure: true }).shape);
const SENT_KEYS = new Set(Object.keys(sentSchema.shape));
type RunConstant = Pick<JournalEntry, 'campaign' | 'kind' | 'uid' | 'sequence'>;

/** The schema of a line, by what it says it is: one schema writes and reads each kind. */
function schemaOf(value: unknown) {
  const status = value && typeof value === 'object' ? (value as { status?: unknown }).status : undefined;
  if (status === 'read') return cursorSchema;
  if (status === 'received' || status === 'not-counted') return receivedSchema;
  return sentSchema;
}

/** Whether a line is about mail that came back (a reply, a bounce …): a bad one is skipped, not fatal. */
function cameBack(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  const { status, kind } = value as { status?: unknown; kind?: unknown };
  return status === 'received' || status === 'not-counted' || status === 'read' || kind === 'reply' || kind === 'bounce' || kind === 'unsubscribe' || kind === 'mailbox';
}

/** What is wrong with a line, in words; undefined when it is a journal entry. */
function problemOf(value: unknown, schema: z.ZodType = schemaOf(value)): { entry: JournalEntry } | { problem: string } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { entry: parsed.data as JournalEntry };
  const issue = parsed.error.issues[0]!;
  const key = issue.path.join('.');
  const what = /received undefined/.test(issue.message) ? `"${key}" is missing` : `${key ? `"${key}": ` : ''}${issue.message}`;
  return { problem: `this journal line is not a journal entry: ${what}` };
}

function onlyKeys(value: object, keys: Set<string>): boolean {
  for (const key in value) if (!keys.has(key)) return false;
  return true;
}

/** An entry as the journal would read it back, or why it would refuse it: nothing it would refuse is ever written. */
export function checkEntry(entry: JournalEntry): { entry: JournalEntry } | { problem: string } {
  return problemOf(JSON.parse(JSON.stringify(entry)));
}

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

/** Reads one line; the entry, or what is wrong with it (and whether it is about mail that came back). */
function parseLine(line: string): { entry: JournalEntry } | { problem: string; cameBack: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // Not JSON at all: what it was about is not known, unless it says so plainly.
    return { problem: 'this journal line is not a journal entry', cameBack: /"status"\s*:\s*"(received|not-counted|read)"/.test(line) };
  }
  const read = problemOf(value);
  return 'entry' in read ? read : { ...read, cameBack: cameBack(value) };
}

export function readJournal(file: string): JournalRead {
  if (!checkJournalFile(file)) return { entries: [], skipped: [] };
  const entries: JournalEntry[] = [];
  const skipped: JournalRead['skipped'] = [];
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
    // What came back is evidence, not a record of what was sent: a bad line of it is skipped, and said.
    if (read.cameBack) {
      skipped.push({ line: number, problem: read.problem });
      continue;
    }
    throw new InputError({
      file: shown,
      line: number,
      message: read.problem,
      hint: 'the journal was edited or damaged; restore it from version control or a backup (invite will not guess what was sent)',
    });
  }
  return { entries, torn, skipped };
}

/**
 * The journal's lines, read 64 KB at a time (a journal of 100,000 messages is 50 MB of text,
 * never held whole), each with its number; `last` marks a final line without its newline. Each
 * chunk is searched once for line ends, so a line of any length is read in linear time.
 */
function* journalLines(file: string): Generator<{ line: string; number: number; last: boolean }> {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 16);
    // The start of a line longer than a chunk: its pieces, joined once its end is found.
    let pieces: Buffer[] = [];
    let number = 0;
    for (let n = readSync(fd, buffer, 0, buffer.length, null); n > 0; n = readSync(fd, buffer, 0, buffer.length, null)) {
      const chunk = buffer.subarray(0, n);
      let start = 0;
      for (let end = chunk.indexOf(0x0a); end >= 0; end = chunk.indexOf(0x0a, start)) {
        const tail = chunk.subarray(start, end);
        const line = pieces.length === 0 ? tail.toString('utf8') : Buffer.concat([...pieces, tail]).toString('utf8');
        pieces = [];
        yield { line, number: ++number, last: false };
        start = end + 1;
      }
      if (start < n) pieces.push(Buffer.from(chunk.subarray(start)));
    }
    if (pieces.length > 0) yield { line: Buffer.concat(pieces).toString('utf8'), number: ++number, last: true };
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

/** An entry the journal's own reader would refuse: not written (a bug when we sent it; the mail's fault when it came back). */
export class JournalEntryRefused extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'JournalEntryRefused';
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
    // A line its own reader would refuse is never written (one schema writes and reads).
    const checked = this.check(entry);
    if ('problem' in checked) throw new JournalEntryRefused(checked.problem);
    const text = JSON.stringify(entry);
    const before = this.size;
    try {
      if (this.fd < 0) this.fd = this.open();
      const data = Buffer.from(text + '\n');
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

  /** The fields of the last sent line the whole schema passed that are the same for a whole run. */
  private constant?: RunConstant;

  /** What the reader would make of `entry`: a sent line like the last one but for its varying fields is checked on those alone. */
  private check(entry: JournalEntry): ReturnType<typeof problemOf> {
    const c = this.constant;
    const sameRun = c !== undefined && entry.campaign === c.campaign && entry.kind === c.kind && entry.uid === c.uid && entry.sequence === c.sequence;
    if (sameRun && (entry.event === undefined || (typeof entry.event === 'object' && entry.event !== null && !Array.isArray(entry.event))) && onlyKeys(entry, SENT_KEYS)) {
      return problemOf(entry, sentVarying);
    }
    const checked = problemOf(entry);
    if ('entry' in checked && (entry.status === 'accepted' || entry.status === 'failed')) this.constant = { campaign: entry.campaign, kind: entry.kind, uid: entry.uid, sequence: entry.sequence };
    return checked;
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
