// Where the mail that came back is read from: a folder of .eml files, an mbox file, or the
// organiser's mailbox over IMAP. None of them can stop the reading or eat the memory: links
// that loop or lead nowhere are skipped with a note, an mbox of any size is streamed, a device
// is refused, and over IMAP only what is new since the last run is looked at, and only what can
// be a reply is downloaded.
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, printable, shownPath, stripSecrets, UsageError } from '../errors.js';
import type { ImapFlow } from 'imapflow';

/** One mail read from a source, and where it was found (for messages). */
export interface Incoming {
  where: string;
  raw: Buffer;
}

/** Something at a source that is not read, and why (a link that loops, a file too large). */
export interface Passed {
  where: string;
  note: string;
}

export type Found = Incoming | Passed;

/** A mail larger than this is no reply or bounce: passed over, never read whole. */
export const MAX_MAIL = 64 * 1024 * 1024;

/** Every .eml file under a folder, recursively, in name order; links followed once, loops and dangling links passed over. */
export function* emlFiles(dir: string): Generator<Found> {
  const stat = (() => {
    try {
      return statSync(dir);
    } catch {
      throw new InputError({ file: shownPath(dir), message: 'folder not found', hint: 'pass --dir with the folder your mail client saved the replies to' });
    }
  })();
  if (!stat.isDirectory())
    throw new InputError({ file: shownPath(dir), message: 'is not a folder', hint: 'pass --dir with a folder; for one mailbox file use --mbox FILE' });
  yield* walk(dir, new Set([realpathSync(dir)]));
}

function* walk(dir: string, seen: Set<string>): Generator<Found> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    yield { where: shownPath(dir), note: `a folder that cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    return;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    const where = shownPath(full);
    let stat;
    try {
      stat = statSync(full);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      yield {
        where,
        note:
          code === 'ELOOP'
            ? 'a link that loops'
            : code === 'ENOENT' && lstatSync(full).isSymbolicLink()
              ? 'a link to nothing'
              : `cannot be read (${code ?? 'error'})`,
      };
      continue;
    }
    if (stat.isDirectory()) {
      // A link back to a folder already walked (or to one above it) would never end.
      const real = realpathSync(full);
      if (seen.has(real)) {
        yield { where, note: 'a link to a folder already read (a loop)' };
        continue;
      }
      yield* walk(full, new Set([...seen, real]));
    } else if (stat.isFile() && /\.eml$/i.test(name)) {
      if (stat.size > MAX_MAIL) yield { where, note: `${Math.round(stat.size / 1048576)} MB, too large to be a reply` };
      else yield { where, raw: readFileSync(full) };
    }
  }
}

/**
 * The messages of an mbox file (mboxo/mboxrd, as Thunderbird and `mail` keep them), streamed:
 * each starts at a line "From " at the top or after a blank line; ">From " lines are
 * unescaped. A folder, a device or a file that does not start with "From " is an error.
 */
export function* mboxMessages(file: string): Generator<Found> {
  const shown = shownPath(file);
  checkMboxFile(file, shown);
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    const lines = lineReader(fd, chunk);
    const first = lines.next();
    if (first.done) return;
    if (!first.value.subarray(0, 5).equals(FROM)) {
      throw new InputError({
        file: shown,
        line: 1,
        message: 'is not an mbox file: it does not start with a "From " line',
        hint: 'an mbox file starts every message with a line "From sender date"; a single saved mail is an .eml: use --dir with its folder',
      });
    }
    let count = 0;
    let parts: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let blank = true;
    const finish = (): Found | undefined => {
      if (count === 0) return undefined;
      const where = `${shown} (message ${count})`;
      const found: Found = tooLarge ? { where, note: `${Math.round(size / 1048576)} MB, too large to be a reply` } : { where, raw: Buffer.concat(parts) };
      parts = [];
      size = 0;
      tooLarge = false;
      return found;
    };
    for (let line: Buffer | undefined = first.value; line !== undefined;) {
      if (blank && line.subarray(0, 5).equals(FROM)) {
        const done = finish();
        if (done) yield done;
        count++;
      } else {
        // mboxrd: ">From " (and ">>From " …) lost one ">" when it was written.
        const body = /^>+From /.test(line.subarray(0, 64).toString('latin1')) ? line.subarray(1) : line;
        size += body.length;
        if (size > MAX_MAIL) tooLarge = true;
        if (!tooLarge) parts.push(Buffer.from(body));
        else parts = [];
      }
      blank = line.length <= 2 && (line.length === 0 || line[0] === 0x0a || (line[0] === 0x0d && line[1] === 0x0a));
      const next = lines.next();
      line = next.done ? undefined : next.value;
    }
    const last = finish();
    if (last) yield last;
  } finally {
    closeSync(fd);
  }
}

const FROM = Buffer.from('From ');

/** An mbox is a regular file that is there. */
function checkMboxFile(file: string, shown: string): void {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new InputError({ file: shown, message: 'mbox file not found', hint: 'pass --mbox with the mailbox file your mail client keeps' });
  }
  if (stat.isDirectory())
    throw new InputError({
      file: shown,
      message: 'is a folder, not an mbox file',
      hint: 'for a folder of .eml files use --dir; Thunderbird keeps each mailbox as a file beside its .msf',
    });
  if (!stat.isFile()) throw new InputError({ file: shown, message: 'is not a regular file (a device or a pipe)', hint: 'pass --mbox with a mailbox file' });
}

/** The lines of a file with their line ends, read a chunk at a time (a line longer than a chunk is joined). */
function* lineReader(fd: number, chunk: Buffer): Generator<Buffer> {
  let pieces: Buffer[] = [];
  for (let n = readSync(fd, chunk, 0, chunk.length, null); n > 0; n = readSync(fd, chunk, 0, chunk.length, null)) {
    const data = chunk.subarray(0, n);
    let start = 0;
    for (let end = data.indexOf(0x0a); end >= 0; end = data.indexOf(0x0a, start)) {
      const tail = data.subarray(start, end + 1);
      yield pieces.length === 0 ? tail : Buffer.concat([...pieces, tail]);
      pieces = [];
      start = end + 1;
    }
    if (start < n) pieces.push(Buffer.from(data.subarray(start)));
  }
  if (pieces.length > 0) yield Buffer.concat(pieces);
}

export interface ImapSource {
  url: string;
  user?: string;
  pass?: string;
  mailbox: string;
  /** How far this mailbox was read before (from the journal): only newer mail is looked at. */
  since?: { uidValidity: number; uid: number };
  /** Whether a mail can be a reply or a bounce, from its structure and a few headers: only those are downloaded. */
  candidate(summary: MailSummary): boolean;
  /** Told the UIDVALIDITY and the highest UID looked at, once the reading is done. */
  onRead?(cursor: { uidValidity: number; uid: number; reread: boolean }): void;
}

/** What IMAP tells of a mail before it is downloaded. */
export interface MailSummary {
  /** Every part's type, e.g. text/calendar, multipart/report, application/ics. */
  types: string[];
  filenames: string[];
  /** The Message-IDs In-Reply-To and References name. */
  inReplyTo: string[];
  subject: string;
  size: number;
}

/**
 * The messages of a mailbox over IMAP, read-only: the mailbox is EXAMINEd (never SELECTed) and
 * fetched with BODY.PEEK, so nothing is moved, deleted or flagged, not even \Seen. Only mail
 * with a UID above the last one read (the same UIDVALIDITY) is looked at; of that, only what
 * `candidate` wants is downloaded. A new UIDVALIDITY reads the mailbox again, once.
 * imap:// must upgrade with STARTTLS; certificates are checked; the password is never shown.
 */
export async function* imapMessages(source: ImapSource): AsyncGenerator<Found> {
  const server = imapServer(source);
  const client = await imapConnect(server);
  try {
    let lock;
    try {
      lock = await client.getMailboxLock(source.mailbox, { readOnly: true });
    } catch {
      throw new UsageError(`the IMAP server ${server.where} has no mailbox "${printable(source.mailbox)}"`, 'pass --mailbox NAME (default INBOX)');
    }
    try {
      const box = client.mailbox && typeof client.mailbox === 'object' ? client.mailbox : undefined;
      const uidValidity = Number(box?.uidValidity ?? 0);
      // The same mailbox as last time: only what came after. Another UIDVALIDITY: everything, once.
      const reread = source.since !== undefined && source.since.uidValidity !== uidValidity;
      const after = source.since && !reread ? source.since.uid : 0;
      const { wanted, highest } = box?.exists ? await candidatesAfter(client, after, source) : { wanted: [], highest: after };
      // Downloaded one at a time, in UID order: a mailbox of thousands keeps memory flat.
      for (const uid of wanted) {
        const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
        if (message && message.source) yield { where: `${source.mailbox} UID ${uid}`, raw: message.source };
      }
      source.onRead?.({ uidValidity, uid: highest, reread });
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

interface ImapServer {
  host: string;
  port: number;
  scheme: 'imap' | 'imaps';
  user: string;
  pass: string;
  /** host:port, as messages show it. */
  where: string;
}

/** Where to log in, and as whom, from IMAP_URL, IMAP_USER and IMAP_PASS. */
function imapServer(source: ImapSource): ImapServer {
  let url: URL;
  try {
    url = new URL(source.url);
  } catch {
    throw new UsageError('IMAP_URL is not a valid URL', 'write it as imaps://imap.example.org (port 993) or imap://imap.example.org (port 143, with STARTTLS)');
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'imap' && scheme !== 'imaps')
    throw new UsageError(`IMAP_URL must start with imaps:// or imap://, not ${scheme}://`, 'e.g. imaps://imap.example.org');
  const user = source.user || decodeURIComponent(url.username);
  const pass = source.pass || decodeURIComponent(url.password);
  if (!user || !pass) throw new UsageError('no IMAP login', 'set IMAP_USER and IMAP_PASS (or put the user in IMAP_URL and the password in IMAP_PASS)');
  const port = url.port ? Number(url.port) : scheme === 'imaps' ? 993 : 143;
  return { host: url.hostname, port, scheme, user, pass, where: `${url.hostname}:${port}` };
}

/** A logged-in client; a refused login or an unreachable server is a UsageError that never shows the password. */
async function imapConnect(server: ImapServer): Promise<ImapFlow> {
  const { ImapFlow } = await import('imapflow');
  const { host, port, scheme, user, pass, where } = server;
  const client = new ImapFlow({
    host,
    port,
    secure: scheme === 'imaps',
    // imap://: STARTTLS or nothing; the password never goes over a plain connection.
    ...(scheme === 'imap' ? { doSTARTTLS: true } : {}),
    auth: { user, pass },
    logger: false,
  });
  client.on('error', () => {}); // reported by the awaited call that fails
  try {
    await client.connect();
  } catch (error) {
    const e = error as { authenticationFailed?: boolean; code?: string; message?: string };
    const text = printable(stripSecrets(String(e.message ?? error), { user, pass }));
    if (e.authenticationFailed) throw new UsageError(`the IMAP server ${where} refused the login for ${printable(user)}`, 'check IMAP_USER and IMAP_PASS');
    throw new UsageError(
      `cannot read the mailbox on ${where}: ${text}`,
      scheme === 'imap'
        ? 'imap:// needs a server that offers STARTTLS; imaps:// is TLS from the first byte (port 993); a private CA goes in NODE_EXTRA_CA_CERTS'
        : 'check the host and port of IMAP_URL; a private CA goes in NODE_EXTRA_CA_CERTS',
    );
  }
  return client;
}

/** The UIDs above `after` worth downloading, and the highest UID looked at. */
async function candidatesAfter(client: ImapFlow, after: number, source: ImapSource): Promise<{ wanted: number[]; highest: number }> {
  let highest = after;
  const wanted: number[] = [];
  // UID after+1:* also answers the last message when nothing is newer: the UID decides.
  const query = { uid: true, bodyStructure: true, envelope: true, size: true, headers: ['references'] };
  for await (const m of client.fetch(`${after + 1}:*`, query, { uid: true })) {
    if (m.uid <= after) continue;
    highest = Math.max(highest, m.uid);
    const summary = summarise(m);
    if (summary.size <= MAX_MAIL && source.candidate(summary)) wanted.push(m.uid);
  }
  return { wanted, highest };
}

interface StructureNode {
  type?: string;
  disposition?: string;
  dispositionParameters?: Record<string, string>;
  parameters?: Record<string, string>;
  childNodes?: StructureNode[];
}

function summarise(m: { bodyStructure?: unknown; envelope?: { inReplyTo?: string; subject?: string }; size?: number; headers?: Buffer }): MailSummary {
  const types: string[] = [];
  const filenames: string[] = [];
  const visit = (node: StructureNode | undefined) => {
    if (!node) return;
    if (node.type) types.push(node.type.toLowerCase());
    const name = node.dispositionParameters?.filename ?? node.parameters?.name;
    if (name) filenames.push(name);
    for (const child of node.childNodes ?? []) visit(child);
  };
  visit(m.bodyStructure as StructureNode | undefined);
  return {
    types,
    filenames,
    inReplyTo: `${m.envelope?.inReplyTo ?? ''} ${m.headers?.toString('latin1') ?? ''}`.match(/<[^<>\s]+>/g) ?? [],
    subject: m.envelope?.subject ?? '',
    size: m.size ?? 0,
  };
}
