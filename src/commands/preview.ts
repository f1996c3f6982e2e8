// `invite preview`: the gallery of what a sending command would send (the invitation by
// default; --kind reminder, update or cancel), as static HTML pages; --open shows it in the
// default browser. Sends nothing and writes no journal.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT, shownPath, UsageError } from '../errors.js';
import { GALLERY_MARK } from '../transports/gallery.js';
import type { Io } from '../io.js';
import type { SendingOptions } from '../sending/options.js';

export interface PreviewOptions extends SendingOptions {
  kind?: string;
  open?: boolean;
  force?: boolean;
}

/** Pages a gallery has unless --limit says otherwise: a browser, and a disk, take that many well. */
export const GALLERY_PAGES = 500;

const KINDS = {
  invitation: async () => (await import('./send.js')).sendCommand,
  reminder: async () => (await import('./remind.js')).remindCommand,
  update: async () => (await import('./update.js')).updateCommand,
  cancel: async () => (await import('./cancel.js')).cancelCommand,
} as const;

export async function previewCommand(options: PreviewOptions, io: Io): Promise<number> {
  const kind = (options.kind ?? 'invitation') as keyof typeof KINDS;
  if (!(kind in KINDS)) throw new UsageError(`--kind ${options.kind}: no such mail kind`, 'use invitation, reminder, update or cancel');
  if (options.out && !options.force) refuseForeignFolder(path.resolve(options.out));
  const dir = options.out ? path.resolve(options.out) : mkdtempSync(path.join(os.tmpdir(), 'invite-preview-'));
  const run = await KINDS[kind]();
  // Invalid rows do not stop a preview: the gallery flags them, and shows the rest.
  const limit = options.limit ?? GALLERY_PAGES;
  const code = await run({ ...options, limit, out: undefined, dryRun: undefined, gallery: dir, skipInvalid: true }, io);
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

/** --out must be new, empty, or a gallery invite wrote before (its index.html says so): nothing else is overwritten without --force. */
function refuseForeignFolder(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new UsageError(`--out ${shownPath(dir)} is a file, not a folder`, 'pass --out with a new or empty folder');
    throw error;
  }
  if (names.length === 0) return;
  let index = '';
  try {
    index = readFileSync(path.join(dir, 'index.html'), 'utf8');
  } catch {
    // no gallery of ours
  }
  if (index.includes(GALLERY_MARK)) return;
  throw new UsageError(
    `--out ${shownPath(dir)} is not empty (${names.length} ${names.length === 1 ? 'entry' : 'entries'}) and holds no gallery invite wrote`,
    'pass a new or empty folder, or --force to write into it anyway',
  );
}
