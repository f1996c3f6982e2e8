// The seam every destination shares (nodemailer's sendMail shape): SMTP, .eml files, the dry
// run's preview and the gallery, so deliver() never asks which one it has.
import { closeSync, constants, openSync, writeFileSync } from 'node:fs';
import type { Message } from '../compose/compose.js';
import { DeliveryStop, shownPath } from '../errors.js';

export interface Receipt {
  /** The server's reply, or where the message was written. */
  response: string;
}

/** What a transport asks of the run around it, so no caller has to switch on which one it is. */
export interface TransportNeeds {
  /** Messages really leave: take the journal's lock, record every outcome, ask before starting. */
  journal: boolean;
  /** Temporary failures are worth retrying, at a kept rate, over several connections. */
  retries: boolean;
  /** A progress bar (on a terminal) or progress lines (in a log) while it works. */
  progress: boolean;
}

export interface Transport {
  /** What the organiser reads in prompts and summaries; never a secret. */
  readonly description: string;
  /** For the JSON summary only. */
  readonly mode: 'smtp' | 'eml' | 'dry-run' | 'preview';
  readonly needs: TransportNeeds;
  /** Messages at once (one per connection). */
  readonly connections: number;
  /** The summary's first line: "Sent 9 invitations through …", "Wrote 9 invitations as .eml files to out/". */
  done(what: string, sender: string): string;
  /** Makes ready what sending needs before the first message (a password asked for, a first access token); called once something is due. */
  ready?(): Promise<void>;
  send(message: Message): Promise<Receipt>;
  close(): Promise<void>;
  /** Ends every connection now, even one carrying a message (after Ctrl-C's grace time). */
  abort(): Promise<void>;
}

/** An address as part of a file name: lower case, characters every file system takes. */
export function fileSafeAddress(email: string): string {
  return email.toLowerCase().replace(/[^a-z0-9@._-]+/g, '_');
}

/**
 * Writes a file of --out (a gallery page, an .eml file), never through a symbolic link planted
 * where it goes (O_NOFOLLOW): that stops the run (exit 2), the link's target untouched.
 */
export function writeNoFollow(file: string, data: string | Buffer): void {
  try {
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
    try {
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') {
      throw new DeliveryStop(`${shownPath(file)} is a symbolic link; nothing is written through it`, 'remove the link, or pass --out with a new folder');
    }
    throw error;
  }
}
