// Reading the journal: .invite/journal.jsonl, one JSON line per message the server accepted
// (and per failure, reply, bounce …), read in 64 kB pieces, linear in its size. A line the
// schema refuses about mail that came back is reported and skipped; any other bad line stops
// the run (invite will not guess what was sent).
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, shownPath } from '../errors.js';
import { cameBack, isSent, problemOf, type JournalEntry, type JournalStatus, type SentEntry } from './schema.js';

export interface JournalRead {
  entries: JournalEntry[];
  /** A last line cut short by a crash, a full disk or a power cut: reported, ignored, cut off before the next append. */
  torn?: { line: number; bytes: number };
  /** Lines about mail that came back that the reader refuses (an older invite wrote them, or a hand did): skipped, each with why. */
  skipped: { line: number; problem: string }[];
}

/** The journal beside invite.yaml unless --journal says otherwise. */
export function journalPath(campaignDir: string, override?: string): string {
  return override ? path.resolve(override) : path.join(campaignDir, '.invite', 'journal.jsonl');
}

/** The journal must be a regular file (or not exist yet): a folder or a device there is a clear error, never a stack trace. */
export function checkJournalFile(file: string): boolean {
  let stat;
  try {
    stat = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR')
      throw new InputError({
        file: shownPath(file),
        message: "the journal's folder is a file",
        hint: 'pass --journal with a path in a folder, or move that file away',
      });
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
export function parseLine(line: string): { entry: JournalEntry } | { problem: string; cameBack: boolean } {
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
  private readonly events = new Map<string, NonNullable<SentEntry['event']>>();

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
    if (!isSent(entry)) return entry;
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
  return recipientsWith(entries, campaign, kind, uid, 'accepted');
}

/** Addresses (lower-case) with a message of this kind, for this event, in `status`. */
export function recipientsWith(entries: JournalEntry[], campaign: string, kind: string, uid: string, status: SentEntry['status']): Set<string> {
  return new Set(
    entries
      .filter(isSent)
      .filter((e) => e.campaign === campaign && e.kind === kind && e.status === status && (e.uid === undefined || e.uid === uid))
      .map((e) => e.recipient),
  );
}
