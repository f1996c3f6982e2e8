// Attachments: which files may leave with a message, and their bytes. A name in invite.yaml or
// in a row of the contacts (a partner's CSV) is only a wish: the file, with every symlink
// resolved, must be a regular file inside the campaign folder (or the attachments_dir that
// invite.yaml names) and within the size limits. The same check runs for `validate`, the dry
// run and the send, and again when the bytes are read, so a file swapped in between cannot go.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Attachment {
  /** Absolute path on disk. */
  path: string;
  /** The name the recipient sees. */
  filename: string;
  /** Path as written in invite.yaml or the contacts, for messages. */
  source: string;
  size: number;
  /** The most bytes that may be read from it when the message is built (the limit it was checked against). */
  maxBytes: number;
  /** Every message carries it (invite.yaml's attachments): read once, kept. */
  shared?: boolean;
}

export interface AttachmentLimits {
  /** Largest file, in bytes. */
  perAttachment: number;
  /** Largest message as it travels (attachments base64-encoded), in bytes. */
  perMessage: number;
}

/** 1 KB = 1024 bytes. Limits that fit what mail servers accept (Postfix's default is 10 MB). */
export const DEFAULT_LIMITS: AttachmentLimits = { perAttachment: 5 * 1024 * 1024, perMessage: 10 * 1024 * 1024 };

/** Room for headers, the text and HTML parts and the calendar, on top of the attachments. */
const MESSAGE_ALLOWANCE = 64 * 1024;

/** "10 MB", "500 KB", "2048" (bytes) → bytes; undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[(match[2] ?? 'B').toUpperCase() as 'B'];
  return Math.round(Number(match[1]) * unit);
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

/** Bytes an attachment takes in the message: base64, 76 characters and CRLF a line. */
export function encodedSize(bytes: number): number {
  const base64 = Math.ceil(bytes / 3) * 4;
  return base64 + Math.ceil(base64 / 76) * 2;
}

/** The estimated size of a message carrying these attachments, as the server will count it. */
export function messageSize(attachments: readonly Attachment[]): number {
  return MESSAGE_ALLOWANCE + attachments.reduce((sum, a) => sum + encodedSize(a.size), 0);
}

/** Where attachments may come from, and the files inside those folders that may never go. */
export interface Confinement {
  /** Real paths of the campaign folder and attachments_dir. */
  roots: string[];
  /** Real paths of invite.yaml and the contacts file. */
  private: string[];
}

export type AttachmentCheck = { ok: true; attachment: Attachment } | { ok: false; message: string; hint: string };

/** Real paths of those that exist (folders or files), symlinks resolved. */
export function realPaths(paths: string[]): string[] {
  return paths.flatMap((p) => {
    try {
      return [realpathSync(p)];
    } catch {
      return [];
    }
  });
}

/** Where a file lies below a root, or undefined when it does not. */
function below(file: string, root: string): string | undefined {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : undefined;
}

/**
 * Checks one named attachment: `name` relative to `baseDir`, confined to `roots`, a regular
 * file, no larger than the limit. The refusal says the real reason.
 */
export function checkAttachment(name: string, baseDir: string, confinement: Confinement, limits: AttachmentLimits, filename?: string): AttachmentCheck {
  const { roots } = confinement;
  const where = roots.length > 1 ? 'the campaign folder or attachments_dir' : 'the campaign folder';
  const given = path.resolve(baseDir, name);
  let real: string;
  try {
    real = realpathSync(given);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { ok: false, message: `attachment "${name}" not found`, hint: `paths are relative to the folder of invite.yaml (${baseDir})` };
    return { ok: false, message: `attachment "${name}" cannot be read (${code ?? String(error)})`, hint: 'check the file and its permissions' };
  }
  const relative = roots.map((root) => below(real, root)).find((r) => r !== undefined);
  if (relative === undefined) {
    const via = real === given ? '' : ` (it leads to ${real})`;
    return {
      ok: false,
      message: `attachment "${name}" is outside ${where}${via}`,
      hint: 'only files inside the folder of invite.yaml (or an attachments_dir it names) can be attached; copy the file there',
    };
  }
  // Hidden files and folders (.env, .git, .invite with the journal) and the campaign's own
  // files (the contacts: everyone's addresses) are never mail for one recipient.
  if (relative.split(path.sep).some((part) => part.startsWith('.'))) {
    return {
      ok: false,
      message: `attachment "${name}" is a hidden file or lies in a hidden folder`,
      hint: 'files such as .env, .git/ and .invite/ are never attached; rename the file if it is meant to go',
    };
  }
  if (confinement.private.includes(real)) {
    return {
      ok: false,
      message: `attachment "${name}" is one of the campaign's own files (invite.yaml or the contacts)`,
      hint: "it holds every recipient's data; it is never attached",
    };
  }
  const stat = statSync(real);
  if (stat.isDirectory()) return { ok: false, message: `attachment "${name}" is a folder, not a file`, hint: 'name a file inside it' };
  if (!stat.isFile())
    return { ok: false, message: `attachment "${name}" is not a regular file (a device, pipe or socket)`, hint: 'only regular files can be attached' };
  if (stat.size > limits.perAttachment) {
    return {
      ok: false,
      message: `attachment "${name}" is ${formatSize(stat.size)}, over the limit of ${formatSize(limits.perAttachment)} per attachment`,
      hint: 'send a link instead, or raise sending.max_attachment_size in invite.yaml if your server accepts it',
    };
  }
  return { ok: true, attachment: { path: real, filename: filename ?? path.basename(given), source: name, size: stat.size, maxBytes: limits.perAttachment } };
}

/** The problem with a message carrying these attachments, if it would be too large; undefined when it fits. */
export function messageTooLarge(attachments: readonly Attachment[], limits: AttachmentLimits): { message: string; hint: string } | undefined {
  const size = messageSize(attachments);
  if (size <= limits.perMessage) return undefined;
  return {
    message: `with its attachments (${attachments.map((a) => `${a.filename} ${formatSize(a.size)}`).join(', ')}) the message would be about ${formatSize(size)}, over the limit of ${formatSize(limits.perMessage)}`,
    hint: 'attach less, send a link instead, or raise sending.max_message_size in invite.yaml if your server accepts it',
  };
}

/**
 * Reads a checked attachment's bytes: the checked real path, never following a symlink put in
 * its place since, only a regular file, only as many bytes as were allowed.
 */
export function readAttachment(attachment: Attachment): Buffer {
  const fd = openSync(attachment.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`attachment ${attachment.source} is no longer a regular file`);
    if (stat.size > attachment.maxBytes)
      throw new Error(`attachment ${attachment.source} grew to ${formatSize(stat.size)}, over the limit of ${formatSize(attachment.maxBytes)}`);
    const bytes = Buffer.alloc(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return bytes.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
