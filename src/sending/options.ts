// Step 1 of a sending command: settle the options. Every flag is parsed and checked here, once,
// before the campaign is read, the journal locked or anything rendered; the campaign's own
// defaults (sending: in invite.yaml) are merged in one place, with invite's.
import path from 'node:path';
import type { Campaign } from '../campaign/load.js';
import { DEFAULTS } from '../defaults.js';
import { email } from '../campaign/schema.js';
import type { ContactList } from '../contacts/rules.js';
import { UsageError } from '../errors.js';
import { galleryTransport } from '../transports/gallery.js';
import { colourFor, isInteractive, type Io } from '../io.js';
import type { CampaignOptions } from './prepare.js';
import { parseRate, type Rate } from '../campaign/rate.js';
import { emlTransport } from '../transports/eml.js';
import { previewTransport } from '../transports/preview.js';
import { readSmtpUrl } from '../transports/server.js';
import type { SmtpSettings } from '../transports/settings.js';
import type { Transport } from '../transports/transport.js';

/** The command line of send, remind, update and cancel, as commander hands it over. */
export interface SendingOptions extends CampaignOptions {
  dryRun?: boolean;
  /** --dry-run: every message in full, not only the first. */
  all?: boolean;
  /** invite preview: write the gallery into this folder. */
  gallery?: string;
  out?: string;
  smtp?: string;
  yes?: boolean;
  limit?: number;
  to?: string;
  json?: boolean;
  insecureTls?: boolean;
  allowPlainAuth?: boolean;
  skipInvalid?: boolean;
  journal?: string;
  resend?: boolean;
  connections?: number;
  rate?: string;
  max?: number;
  retries?: number;
  /** Seconds. */
  retryDelay?: number;
  /** Seconds. */
  timeout?: number;
  /** Seconds: the wait for the reply to a message's final dot. */
  dataTimeout?: number;
  /** Send again to those whose message's outcome is unknown. */
  resendUnknown?: boolean;
  /** remind: CSVs of the people who registered. */
  registered?: string[];
  /** Send the real messages of some contacts to this address only, marked [Proof]. */
  proof?: string;
  /** --proof: whose messages (contacts' addresses); default the first valid row. */
  as?: string[];
}

/**
 * Where the messages go, as the flags chose it. `server`: really sent, through the server --smtp
 * or SMTP_URL names, else invite.yaml's `smtp:` (settled once the campaign is read), else none.
 */
export type Destination =
  { kind: 'dry-run'; everyMessage: boolean } | { kind: 'gallery'; dir: string } | { kind: 'eml'; dir: string } | { kind: 'server'; url?: string };

export interface Settled {
  destination: Destination;
  rate?: Rate;
  /** Who, of those the plan names: --to, --limit, --max, --resend, --resend-unknown. */
  selection: { to?: string; limit?: number; max?: number; resend: boolean; resendUnknown: boolean };
  yes: boolean;
  json: boolean;
  skipInvalid: boolean;
  /** --proof ADDRESS (--as CONTACT …): the chosen contacts' messages to ADDRESS alone, nothing recorded. */
  proof?: { address: string; as: string[] };
}

export function settleOptions(options: SendingOptions, io: Io): Settled {
  if (options.dryRun && options.out) {
    throw new UsageError('--dry-run and --out cannot be used together', 'use --dry-run to print the messages, or --out DIR to write .eml files');
  }
  if (options.all && !options.dryRun) throw new UsageError('--all is for --dry-run: it prints every message in full', 'add --dry-run, or leave --all out');
  const url = options.smtp ?? io.env.SMTP_URL;
  const destination: Destination = options.gallery
    ? { kind: 'gallery', dir: path.resolve(options.gallery) }
    : options.dryRun
      ? // Chosen recipients (--to, --limit) are shown in full; otherwise the first, unless --all.
        { kind: 'dry-run', everyMessage: Boolean(options.all || options.to || options.limit) }
      : options.out
        ? { kind: 'eml', dir: path.resolve(options.out) }
        : { kind: 'server', url };
  // Read now: a bad URL is a usage error before the campaign, the lock and the question.
  if (url && destination.kind === 'server') readSmtpUrl(url);
  if (options.as && options.proof === undefined)
    throw new UsageError('--as chooses whose messages a proof shows', 'add --proof YOUR-ADDRESS, e.g. --proof you@example.org --as info@cc-latvia.example.org');
  const proof = options.proof === undefined ? undefined : settleProof(options);
  return {
    destination,
    rate: options.rate === undefined ? undefined : parseRate(options.rate),
    selection: { to: options.to, limit: options.limit, max: options.max, resend: Boolean(options.resend), resendUnknown: Boolean(options.resendUnknown) },
    yes: Boolean(options.yes),
    json: Boolean(options.json),
    skipInvalid: Boolean(options.skipInvalid),
    ...(proof ? { proof } : {}),
  };
}

/** --proof sends real messages to one address: flags that choose or record real recipients make no sense beside it. */
function settleProof(options: SendingOptions): { address: string; as: string[] } {
  const clash = (
    [
      ['--dry-run', options.dryRun],
      ['--out', options.out],
      ['--to', options.to],
      ['--limit', options.limit],
      ['--max', options.max],
      ['--resend', options.resend],
      ['--resend-unknown', options.resendUnknown],
    ] as const
  ).find(([, given]) => given !== undefined && given !== false);
  if (clash)
    throw new UsageError(
      `--proof cannot be used with ${clash[0]}`,
      '--proof ADDRESS sends the real messages of the contacts chosen with --as to ADDRESS alone; leave the other flag out',
    );
  const address = options.proof!.trim();
  if (!email.safeParse(address).success) throw new UsageError(`--proof ${address}: not an e-mail address`, 'e.g. --proof you@example.org');
  return { address, as: (options.as ?? []).map((a) => a.trim()) };
}
/** The SMTP server and login for a real send: --smtp / SMTP_URL over invite.yaml's `smtp:`; undefined when none is named. */
export async function smtpServerFor(settled: Settled, campaign: Campaign, io: Io): Promise<SmtpSettings | undefined> {
  if (settled.destination.kind !== 'server') return undefined;
  // The login's code (OAuth, nodemailer) loads only for a real send, not for a dry run.
  const { resolveSmtp } = await import('../transports/settings.js');
  return resolveSmtp({ url: settled.destination.url, campaign: campaign.smtp, campaignFile: campaign.file, env: io.env });
}

/** How delivery behaves: the flag, else invite.yaml's `sending:`, else the provider's published limit, else invite's default. */
export function deliverySettings(options: SendingOptions, settled: Settled, campaign: Campaign, smtp?: SmtpSettings) {
  const defaults = campaign.sending;
  const providerRate = smtp?.provider?.rate;
  return {
    connections: options.connections ?? defaults.connections ?? DEFAULTS.connections,
    retries: options.retries ?? defaults.retries ?? DEFAULTS.retries,
    retryDelayMs: (options.retryDelay ?? defaults.retryDelay ?? DEFAULTS.retryDelaySeconds) * 1000,
    timeoutMs: (options.timeout ?? defaults.timeout ?? DEFAULTS.timeoutSeconds) * 1000,
    dataTimeoutMs: (options.dataTimeout ?? defaults.dataTimeout ?? DEFAULTS.dataTimeoutSeconds) * 1000,
    rate: settled.rate ?? defaults.rate ?? (providerRate ? parseRate(providerRate) : undefined),
    max: settled.selection.max ?? defaults.max,
  };
}

export type DeliverySettings = ReturnType<typeof deliverySettings>;

/** The transport the destination names; undefined when no SMTP server is configured (a plan with nothing to send still runs). */
export async function openTransport(
  settled: Settled,
  options: SendingOptions,
  delivery: DeliverySettings,
  campaign: Campaign,
  io: Io,
  server?: SmtpSettings,
  contacts?: ContactList,
): Promise<Transport | undefined> {
  const { destination } = settled;
  if (destination.kind === 'dry-run') {
    const stream = settled.json ? io.stderr : io.stdout;
    return previewTransport(stream, colourFor(stream, io.env), campaign.id, destination.everyMessage);
  }
  if (destination.kind === 'eml') return emlTransport(destination.dir);
  if (destination.kind === 'gallery') return galleryTransport(destination.dir, campaign, contacts?.rejected, contacts?.file);
  if (!server) return undefined;
  const smtp: SmtpSettings = {
    ...server,
    insecureTls: Boolean(options.insecureTls),
    allowPlainAuth: Boolean(options.allowPlainAuth),
    timeoutMs: delivery.timeoutMs,
    dataTimeoutMs: delivery.dataTimeoutMs,
    connections: delivery.connections,
  };
  if (options.insecureTls)
    io.stderr.write("warning: --insecure-tls: the server's TLS certificate is not checked; anyone on the path could read the mail and the password\n");
  if (options.allowPlainAuth && smtp.auth !== 'none' && !smtp.secure) {
    io.stderr.write(
      `warning: --allow-plain-auth: if ${smtp.host}:${smtp.port} offers no STARTTLS, the SMTP ${smtp.auth === 'oauth2' ? 'access token goes' : 'password goes'} over the network unencrypted; use it only for a relay on this machine or network\n`,
    );
  }
  const { smtpTransport } = await import('../transports/smtp.js');
  return smtpTransport(smtp, io.env, isInteractive(io) ? io.askSecret : undefined);
}

export function noSmtpConfigured(): UsageError {
  return new UsageError(
    'no SMTP server configured, so nothing can be sent',
    'set SMTP_URL (e.g. smtp://smtp.example.org:587, with SMTP_USER and SMTP_PASS), pass --smtp URL, or name the server in invite.yaml (smtp: provider: microsoft365, google, … or host:); to look first, use --dry-run or --out DIR',
  );
}
