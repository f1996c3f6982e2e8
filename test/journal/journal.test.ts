// The journal on disk: a torn last line is ignored (and cut off before the next append), a
// damaged line elsewhere stops everything, the lock keeps a second run out and is taken over
// from a process that no longer runs.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it, vi } from 'vitest';
import { InputError, UsageError } from '../../src/errors.js';
import { isSent, type JournalEntry } from '../../src/journal/schema.js';
import { readJournal } from '../../src/journal/read.js';
import { JournalWriter } from '../../src/journal/write.js';
import { lockJournal } from '../../src/journal/lock.js';
import { tmpJournal as file } from '../helpers/cli.js';

const run = promisify(execFile);

const entry = (recipient: string): JournalEntry => ({
  time: '2026-12-01T10:00:00.000Z',
  campaign: 'c',
  kind: 'invitation',
  recipient,
  messageId: `<${recipient}>`,
  status: 'accepted',
});
const line = (recipient: string) => JSON.stringify(entry(recipient)) + '\n';

describe('readJournal', () => {
  it('a missing journal is an empty one', () => {
    expect(readJournal(file())).toEqual({ entries: [], skipped: [] });
  });

  it('reads every line in order', () => {
    const f = file();
    writeFileSync(f, line('a@example.org') + line('b@example.org'));
    expect(readJournal(f).entries.map((e) => e.recipient)).toEqual(['a@example.org', 'b@example.org']);
  });

  it('a last line without its newline (a crash while writing) is reported as torn and ignored', () => {
    const f = file();
    writeFileSync(f, line('a@example.org') + line('b@example.org').slice(0, 30));
    const read = readJournal(f);
    expect(read.entries.map((e) => e.recipient)).toEqual(['a@example.org']);
    expect(read.torn).toEqual({ line: 2, bytes: 30 });
  });

  it('a complete last line without its newline still records its message (the server had accepted it)', () => {
    const f = file();
    writeFileSync(f, line('a@example.org') + line('b@example.org').trimEnd());
    const read = readJournal(f);
    expect(read.entries.map((e) => e.recipient)).toEqual(['a@example.org', 'b@example.org']);
    expect(read.torn).toBeUndefined();
  });

  it('lines are typed strictly: an unknown status, a sequence as text, a missing key are errors naming line and key; an upper-case recipient is lower-cased', () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { ...entry('a@example.org'), status: 'bogus' },
        'this journal line is not a journal entry: "status": Invalid option: expected one of "accepted"|"failed"|"unknown"',
      ],
      [{ ...entry('a@example.org'), sequence: '99' }, 'this journal line is not a journal entry: "sequence": Invalid input: expected number, received string'],
      [{ ...entry('a@example.org'), messageId: undefined }, 'this journal line is not a journal entry: "messageId" is missing'],
      [{ ...entry('a@example.org'), extra: 1 }, 'this journal line is not a journal entry: Unrecognized key: "extra"'],
    ];
    for (const [bad, message] of cases) {
      const f = file();
      writeFileSync(f, line('z@example.org') + JSON.stringify(bad) + '\n');
      let error: unknown;
      try {
        readJournal(f);
      } catch (e) {
        error = e;
      }
      expect(error, message).toBeInstanceOf(InputError);
      expect((error as InputError).problems[0]).toMatchObject({ line: 2, message });
    }
    const f = file();
    writeFileSync(f, JSON.stringify(entry('Ada.Lovelace@Example.ORG')) + '\n');
    expect(readJournal(f).entries[0]!.recipient).toBe('ada.lovelace@example.org');
  });

  it('a journal that is a folder is an input error, for the reader and the writer', () => {
    const f = file();
    mkdirSync(f);
    expect(() => readJournal(f)).toThrow(/the journal is a folder/);
    expect(() => new JournalWriter(f).append(entry('a@example.org'))).toThrow(/the journal is a folder/);
  });

  it('a damaged line in the middle is an input error naming the line', () => {
    const f = file();
    writeFileSync(f, line('a@example.org') + '{"not": "an entry"}\n' + line('b@example.org'));
    let error: unknown;
    try {
      readJournal(f);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems[0]).toMatchObject({ line: 2, message: 'this journal line is not a journal entry: "time" is missing' });
  });
});

describe('readJournal on a long journal', () => {
  it('reads it in pieces: every line across the 64 KB boundaries, a damaged line deep in it named by its number, a torn last line reported', () => {
    const f = file();
    const event = '"event":{"title":"T","start":"2027-05-06T07:00:00.000Z","end":"2027-05-06T10:00:00.000Z","location":"","url":"","description":"d"}';
    const lines = Array.from({ length: 3_000 }, (_, i) =>
      line(`p${i}@example.org`).replace('"kind"', `"response":"250 ${'Ω'.repeat(i % 7)} ok",${event},"kind"`),
    );
    writeFileSync(f, lines.join(''));
    const read = readJournal(f);
    expect(read.entries.map((e) => e.recipient)).toEqual(Array.from({ length: 3_000 }, (_, i) => `p${i}@example.org`));
    const sent = read.entries.filter(isSent);
    expect(sent).toHaveLength(3_000);
    expect(sent[6]!.response).toBe(`250 ${'Ω'.repeat(6)} ok`);
    // Entries share what repeats: one event object for all 3,000.
    expect(sent[0]!.event).toEqual({ title: 'T', start: '2027-05-06T07:00:00.000Z', end: '2027-05-06T10:00:00.000Z', location: '', url: '', description: 'd' });
    expect(sent[0]!.event).toBe(sent[2_999]!.event);
    writeFileSync(f, lines.join('') + line('last@example.org').slice(0, 40));
    expect(readJournal(f).torn).toEqual({ line: 3_001, bytes: 40 });
    writeFileSync(f, [...lines.slice(0, 2_500), '{"not":"an entry"}\n', ...lines.slice(2_500)].join(''));
    expect(() => readJournal(f)).toThrow(InputError);
    try {
      readJournal(f);
    } catch (error) {
      expect((error as InputError).problems[0]).toMatchObject({ line: 2_501 });
    }
  });
});

describe('readJournal on a line of 8 MB', () => {
  it('copies each byte a bounded number of times (linear in the line, not quadratic: a 50 MB line once took 34 s)', () => {
    const f = file();
    const long = { ...entry('b@example.org'), kind: 'bounce', status: 'received', bounce: { status: '5.1.1', diagnostic: 'A'.repeat(8 * 1024 * 1024) } };
    writeFileSync(f, line('a@example.org') + JSON.stringify(long) + '\n' + line('c@example.org'));
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const read = readJournal(f);
      // The long line is refused (its diagnostic is over 1 kB), reported and skipped; the others are read.
      expect(read.entries.map((e) => e.recipient)).toEqual(['a@example.org', 'c@example.org']);
      expect(read.skipped.map((s) => s.line)).toEqual([2]);
      const joined = concat.mock.results.reduce((sum, r) => sum + (r.value as Buffer).length, 0);
      // Joining the pieces once: about the line's length. Joining them at every chunk: over 500 MB.
      expect(joined).toBeLessThan(2 * 8 * 1024 * 1024);
    } finally {
      concat.mockRestore();
    }
  });
});

describe('JournalWriter', () => {
  it('cuts a torn last line off before appending, so every entry stands on a line of its own', () => {
    const f = file();
    writeFileSync(f, line('a@example.org') + '{"time":"2026-12-01T10:0');
    const writer = new JournalWriter(f);
    writer.append(entry('b@example.org'));
    writer.close();
    expect(readFileSync(f, 'utf8')).toBe(line('a@example.org') + line('b@example.org'));
    expect(readJournal(f).torn).toBeUndefined();
  });

  it('ends a complete unterminated last line with its newline before appending, keeping it', () => {
    const f = file();
    writeFileSync(f, line('a@example.org').trimEnd());
    const writer = new JournalWriter(f);
    writer.append(entry('b@example.org'));
    writer.close();
    expect(readFileSync(f, 'utf8')).toBe(line('a@example.org') + line('b@example.org'));
  });

  it('never writes a line its reader would refuse, also after good lines of the same run (the varying fields, and a field a run shares)', () => {
    const f = file();
    const writer = new JournalWriter(f);
    writer.append(entry('a@example.org'));
    const bad: [string, Record<string, unknown>][] = [
      ['recipient', { recipient: 'not an address' }],
      ['time', { time: 'yesterday' }],
      ['messageId', { messageId: '' }],
      ['response', { response: 'x'.repeat(5000) }],
      ['failure', { status: 'failed', failure: { type: 'soon', message: 'x' } }],
      ['status', { status: 'sent' }],
      ['sequence', { sequence: -1 }],
      ['kind', { kind: 'Invitation!' }],
      ['event', { event: 'a string' }],
      ['stranger', { stranger: 1 }],
    ];
    for (const [key, change] of bad) {
      expect(() => writer.append({ ...entry('b@example.org'), ...change }), key).toThrow(/not a journal entry/);
      writer.append(entry('c@example.org')); // the next good line still goes in
    }
    writer.close();
    const read = readJournal(f);
    expect(read.entries.map((e) => e.recipient)).toEqual(['a@example.org', ...bad.map(() => 'c@example.org')]);
  });

  it('creates the folder and the file on the first append', () => {
    const f = path.join(path.dirname(file()), '.invite', 'journal.jsonl');
    const writer = new JournalWriter(f);
    writer.append(entry('a@example.org'));
    writer.close();
    expect(readJournal(f).entries).toHaveLength(1);
  });
});

describe('JournalWriter: every line written at once, the disk flushes grouped', () => {
  // A disk whose fsync answers only when the test says so, and counts every flush.
  const slowDisk = () => {
    const pending: ((error: NodeJS.ErrnoException | null) => void)[] = [];
    let syncFlushes = 0;
    return {
      pending,
      get syncFlushes() {
        return syncFlushes;
      },
      disk: {
        fsync: ((_fd: number, done: (error: NodeJS.ErrnoException | null) => void) => pending.push(done)) as never,
        fsyncSync: (() => void syncFlushes++) as never,
      },
    };
  };

  it('each line is in the file when append returns (a killed process loses none); a flush starts 10 ms after a line, one at a time, for all lines written meanwhile; close flushes the rest', () => {
    vi.useFakeTimers();
    try {
      const f = file();
      const disk = slowDisk();
      const writer = new JournalWriter(f, disk.disk);
      for (let i = 0; i < 50; i++) {
        writer.append(entry(`p${i}@example.org`));
        expect(readFileSync(f, 'utf8').split('\n').filter(Boolean)).toHaveLength(i + 1);
      }
      // Nothing flushed yet; 10 ms after the first line, one fsync for all 50.
      expect(disk.pending).toHaveLength(0);
      vi.advanceTimersByTime(9);
      expect(disk.pending).toHaveLength(0);
      vi.advanceTimersByTime(1);
      expect(disk.pending).toHaveLength(1);
      // Lines written while it runs wait for the next one, 10 ms after it returns.
      writer.append(entry('p50@example.org'));
      vi.advanceTimersByTime(100);
      expect(disk.pending).toHaveLength(1);
      disk.pending.shift()!(null);
      vi.advanceTimersByTime(10);
      expect(disk.pending).toHaveLength(1);
      disk.pending.shift()!(null);
      vi.advanceTimersByTime(100);
      expect(disk.pending).toHaveLength(0);
      writer.append(entry('last@example.org'));
      vi.advanceTimersByTime(10);
      expect(disk.pending).toHaveLength(1);
      writer.append(entry('after@example.org'));
      writer.close();
      expect(disk.syncFlushes).toBe(1);
      disk.pending.shift()!(null); // the background flush returns after close: nothing more happens
      vi.advanceTimersByTime(100);
      expect(disk.pending).toHaveLength(0);
      expect(readJournal(f).entries).toHaveLength(53);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a failed background flush stops the next append with a JournalWriteError, and nothing more is written', () => {
    vi.useFakeTimers();
    const f = file();
    const disk = slowDisk();
    const writer = new JournalWriter(f, disk.disk);
    writer.append(entry('a@example.org'));
    vi.advanceTimersByTime(10);
    vi.useRealTimers();
    disk.pending.shift()!(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    expect(() => writer.append(entry('b@example.org'))).toThrow(/the journal .* could not be written: EIO/);
    expect(readJournal(f).entries.map((e) => e.recipient)).toEqual(['a@example.org']);
    writer.close();
  });

  it('close() fails loudly when the last flush fails', () => {
    const f = file();
    const writer = new JournalWriter(f, {
      fsync: ((_fd: number, done: (error: null) => void) => setImmediate(() => done(null))) as never,
      fsyncSync: () => {
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      },
    });
    writer.append(entry('a@example.org'));
    expect(() => writer.close()).toThrow(/could not be written: EIO/);
  });
});

describe('lockJournal', () => {
  it('a second lock while the first is held: a usage error naming the holder; after release, free again', () => {
    const f = file();
    const first = lockJournal(f, 'send');
    expect(() => lockJournal(f, 'remind')).toThrow(UsageError);
    expect(() => lockJournal(f, 'remind')).toThrow(new RegExp(`in use by process ${process.pid} on ${os.hostname()} \\(send, since `));
    first.release();
    const again = lockJournal(f, 'remind');
    again.release();
  });

  it('a lock left by a process that no longer runs is taken over, and says from whom', () => {
    const f = file();
    writeFileSync(`${f}.lock`, JSON.stringify({ pid: 2 ** 22 + 4321, host: os.hostname(), started: '2026-11-27T11:00:00Z', command: 'send' }));
    const lock = lockJournal(f, 'send');
    expect(lock.tookOverFrom).toMatchObject({ pid: 2 ** 22 + 4321, command: 'send' });
    expect(JSON.parse(readFileSync(`${f}.lock`, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('a lock of another machine is never taken over (its process cannot be checked from here)', () => {
    const f = file();
    writeFileSync(`${f}.lock`, JSON.stringify({ pid: 2 ** 22 + 4321, host: 'ci-runner.example.org', started: '2026-11-27T11:00:00Z', command: 'remind' }));
    expect(() => lockJournal(f, 'send')).toThrow(/in use by process 4198625 on ci-runner\.example\.org \(remind/);
  });

  it('release removes only its own lock', () => {
    const f = file();
    const lock = lockJournal(f, 'send');
    writeFileSync(`${f}.lock`, JSON.stringify({ pid: 99, host: 'elsewhere.example.org', started: 'x', command: 'send' }));
    lock.release();
    expect(JSON.parse(readFileSync(`${f}.lock`, 'utf8')).pid).toBe(99);
  });
});

describe('lockJournal across processes', () => {
  it('stale-lock takeover is atomic: of six processes that find the same dead holder at once, exactly one holds the lock', async () => {
    // The lock code itself, bundled for plain node, raced by real processes.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-lockrace-'));
    const driver = path.join(dir, 'driver.mjs');
    await build({
      stdin: {
        // Each waits for a common start, tries once, and stays alive (holding what it got) until all
        // six have tried: a winner that exited early would leave a lock a late one could rightly take over.
        contents: `import { lockJournal } from ${JSON.stringify(path.resolve('src/journal/lock.ts'))};
          import { readdirSync, writeFileSync } from 'node:fs';
          const [file, startAt, doneDir] = process.argv.slice(2);
          while (Date.now() < Number(startAt)) {}
          let result;
          try { lockJournal(file, 'send'); result = 'held'; } catch (e) { result = 'busy: ' + e.message; }
          writeFileSync(doneDir + '/' + process.pid, '');
          const until = Date.now() + 15000;
          const wait = setInterval(() => {
            if (readdirSync(doneDir).length < 6 && Date.now() < until) return;
            clearInterval(wait);
            process.stdout.write(result);
          }, 10);`,
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: driver,
      logLevel: 'silent',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    for (let round = 0; round < 2; round++) {
      const f = path.join(dir, `journal-${round}.jsonl`);
      writeFileSync(`${f}.lock`, JSON.stringify({ pid: 2 ** 22 + 4321, host: os.hostname(), started: '2026-11-27T11:00:00Z', command: 'send' }));
      const startAt = String(Date.now() + 600);
      const doneDir = mkdtempSync(path.join(dir, 'done-'));
      const results = await Promise.all(Array.from({ length: 6 }, () => run(process.execPath, [driver, f, startAt, doneDir]).then((r) => r.stdout)));
      expect(
        results.filter((r) => r === 'held'),
        results.join('\n'),
      ).toHaveLength(1);
      expect(results.filter((r) => r.startsWith('busy: the journal'))).toHaveLength(5);
    }
  }, 20_000);
});
