// `invite preview`: the gallery of what a sending command would send (the invitation by
// default; --kind reminder, update or cancel), as static HTML pages; --open shows it in the
// default browser. Sends nothing and writes no journal.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { SendingOptions } from '../sending/options.js';

export interface PreviewOptions extends SendingOptions {
  kind?: string;
  open?: boolean;
}

const KINDS = {
  invitation: async () => (await import('./send.js')).sendCommand,
  reminder: async () => (await import('./remind.js')).remindCommand,
  update: async () => (await import('./update.js')).updateCommand,
  cancel: async () => (await import('./cancel.js')).cancelCommand,
} as const;

export async function previewCommand(options: PreviewOptions, io: Io): Promise<number> {
  const kind = (options.kind ?? 'invitation') as keyof typeof KINDS;
  if (!(kind in KINDS)) throw new UsageError(`--kind ${options.kind}: no such mail kind`, 'use invitation, reminder, update or cancel');
  const dir = options.out ? path.resolve(options.out) : mkdtempSync(path.join(os.tmpdir(), 'invite-preview-'));
  const run = await KINDS[kind]();
  // Invalid rows do not stop a preview: the gallery flags them, and shows the rest.
  const code = await run({ ...options, out: undefined, dryRun: undefined, gallery: dir, skipInvalid: true }, io);
  if (code !== EXIT.ok) return code;
  const index = path.join(dir, 'index.html');
  if (options.open) {
    const { default: open } = await import('open');
    await open(index, { wait: false });
  } else {
    io.stdout.write(`Open ${index} in a browser (or run again with --open).\n`);
  }
  return EXIT.ok;
}
