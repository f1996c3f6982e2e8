// A copy of the shipped campaign in a temporary folder, for tests that change or break it.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './cli.js';

/** Copies invite.yaml, templates, contacts and attachments; `editYaml` may change invite.yaml. */
export function campaignCopy(editYaml: (yaml: string) => string = (y) => y): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invite-campaign-'));
  for (const part of ['invite.yaml', 'templates', 'contacts', 'attachments']) cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  edit(path.join(dir, 'invite.yaml'), editYaml);
  return dir;
}

/** Rewrites a text file through `change`. */
export function edit(file: string, change: (text: string) => string): void {
  writeFileSync(file, change(readFileSync(file, 'utf8')));
}
