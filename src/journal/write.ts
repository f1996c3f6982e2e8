// Writing the journal: each line written before the next message starts, checked first against
// the schema its reader uses, and flushed to the disk in groups (see JournalWriter).
import { closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { shownPath, UsageError } from '../errors.js';
import { checkJournalFile, parseLine } from './read.js';
import { isSent, JournalEntryRefused, onlyKeys, problemOf, SENT_KEYS, sentVarying, type JournalEntry, type RunConstant } from './schema.js';

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
    // The event is one frozen object for a whole run: the same object, already checked.
    const sameRun =
      c !== undefined &&
      isSent(entry) &&
      entry.campaign === c.campaign &&
      entry.kind === c.kind &&
      entry.uid === c.uid &&
      entry.sequence === c.sequence &&
      entry.event === c.event;
    if (sameRun && onlyKeys(entry, SENT_KEYS)) return problemOf(entry, sentVarying);
    const checked = problemOf(entry);
    if ('entry' in checked && isSent(entry))
      this.constant = { campaign: entry.campaign, kind: entry.kind, uid: entry.uid, sequence: entry.sequence, event: entry.event };
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
  for (let offset = 0; offset < data.length;) offset += writeSync(fd, data, offset, data.length - offset);
}

/**
 * Before the first message of a real send: the journal can be created (or opened) for
 * appending and flushed to disk. A journal that cannot be written is found here, exit 2 with
 * nothing sent, not after the first messages went out. A file made only for the check is removed.
 */
export function checkJournalWritable(file: string): void {
  // A folder where the journal should be, or a file where its folder should be, is said as such.
  const existed = checkJournalFile(file);
  let fd = -1;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    fd = openSync(file, 'a');
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(
      `the journal ${shownPath(file)} cannot be written (${code}); nothing was sent`,
      'make it (and its folder) writable, free space on its disk, or pass --journal FILE where it can be written',
    );
  } finally {
    if (fd >= 0) closeSync(fd);
    if (!existed && fd >= 0) rmSync(file, { force: true });
  }
}
