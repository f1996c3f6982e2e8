// The suppression list: who asked not to be written to (an unsubscribe request `invite replies`
// verified). A CSV (email, date, campaign) that invite.yaml may name, so that several campaigns
// share it; send, remind and update leave its addresses out, the cancellation still reaches them.
import { appendFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, shownPath } from '../errors.js';
import { readRegistered } from './registered.js';

/** The addresses on the list (lower-case); none when there is no list yet. */
export function readSuppression(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
  if (!statSync(file).isFile())
    throw new InputError({
      file: shownPath(file),
      message: 'the suppression list is not a file',
      hint: 'suppression: in invite.yaml names a CSV file (email, date, campaign)',
    });
  // Any CSV with an email column, like a registrations export.
  return readRegistered(file);
}

/** Puts an address on the list (one line, appended whole); the file is made with its header the first time. */
export function suppress(file: string, address: string, campaign: string, when: Date): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const header = existsSync(file) ? '' : 'email,date,campaign\n';
  const field = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  appendFileSync(file, `${header}${field(address.toLowerCase())},${when.toISOString()},${field(campaign)}\n`);
}
