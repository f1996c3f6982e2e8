// The journal on disk: a torn last line is ignored (and cut off before the next append), a
// damaged line elsewhere stops everything, the lock keeps a second run out and is taken over
// from a process that no longer runs.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../src/errors.js';
import { JournalWriter, lockJournal, readJournal, type JournalEntry } from '../src/journal.js';
import { tmpJournal as file } from './helpers/cli.js';

const entry = (recipient: string): JournalEntry => ({ time: '2026-12-01T10:00:00.000Z', campaign: 'c', kind: 'invitation', recipient, messageId: `<${recipient}>`, status: 'accepted' });
const line = (recipient: string) => JSON.stringify(entry(recipient)) + '\n';

describe('readJournal', () => {
  it('a missing journal is an empty one', () => {
    expect(readJournal(file())).toEqual({ entries: [] });
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

  it('a complete last line without its newline also counts as torn: the write never finished', () => {
    const f = file();
    writeFileSync(f, line('a@example.org') + line('b@example.org').trimEnd());
    expect(readJournal(f).entries).toHaveLength(1);
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
    expect((error as InputError).problems[0]).toMatchObject({ line: 2, message: 'this journal line is not a journal entry' });
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

  it('creates the folder and the file on the first append', () => {
    const f = path.join(path.dirname(file()), '.invite', 'journal.jsonl');
    const writer = new JournalWriter(f);
    writer.append(entry('a@example.org'));
    writer.close();
    expect(readJournal(f).entries).toHaveLength(1);
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
