// `invite send`: the invitation to every selected contact, previewed, written or sent.
import path from 'node:path';
import { compose, type Message } from '../compose.js';
import type { Contact } from '../contacts.js';
import { deliver, type DeliveryReport } from '../deliver.js';
import { EXIT, UsageError } from '../errors.js';
import { colourFor, isInteractive, type Io } from '../io.js';
import { prepare, type CampaignOptions } from '../prepare.js';
import { emlTransport, parseSmtpUrl, previewTransport, smtpTransport, type Transport } from '../transports.js';

export interface SendOptions extends CampaignOptions {
  dryRun?: boolean;
  out?: string;
  smtp?: string;
  yes?: boolean;
  limit?: number;
  to?: string;
  json?: boolean;
  insecureTls?: boolean;
  skipInvalid?: boolean;
}

export async function sendCommand(options: SendOptions, io: Io): Promise<number> {
  if (options.dryRun && options.out) {
    throw new UsageError('--dry-run and --out cannot be used together', 'use --dry-run to print the messages, or --out DIR to write .eml files');
  }
  const { campaign, contacts, now } = prepare(options, io, options.skipInvalid);
  const skipped = contacts.rejected.map((r) => ({ line: r.line, email: r.email, reasons: r.problems.map((p) => p.message) }));
  const selected = select(contacts.contacts, options);
  // Everything is composed before the first message leaves, so a template error stops the run whole.
  const messages = selected.map((contact) => compose(campaign, contact, 'invitation', now));

  const transport = chooseTransport(options, io);
  const summaryOut = options.json ? io.stderr : io.stdout;
  const noun = (n: number) => `${n} invitation${n === 1 ? '' : 's'}`;

  if (transport.mode === 'smtp' && messages.length > 0) {
    const question = `Send ${noun(messages.length)} through ${transport.description.replace(/:\d+$/, '')} as ${campaign.from.email}?`;
    if (!options.yes) {
      if (!isInteractive(io) || !io.confirm) {
        await transport.close();
        throw new UsageError(
          `not sending ${noun(messages.length)} without confirmation: there is no terminal to ask on`,
          'pass --yes to send from a script or CI job, or preview first with --dry-run',
        );
      }
      if (!(await io.confirm(question))) {
        await transport.close();
        io.stderr.write('Nothing sent.\n');
        return EXIT.ok;
      }
    }
  }

  const colour = colourFor(io.stderr, io.env);
  const report = await deliver(messages, transport, {
    onResult(done, total, outcome) {
      if (transport.mode !== 'smtp') return;
      const who = outcome.message.to.email;
      const line = 'reason' in outcome ? colour.red(`✗ ${done}/${total} ${who}: ${outcome.reason}`) : `${colour.green('✓')} ${done}/${total} ${who}`;
      io.stderr.write(line + '\n');
    },
  });

  if (report.stopped && report.accepted.length === 0) throw report.stopped;

  const summary = { ...summarise(report, transport, campaign.id, messages), skipped };
  if (options.json) {
    io.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  }
  const lines: string[] = [];
  if (transport.mode === 'dry-run') lines.push(`Dry run: ${noun(report.accepted.length)} rendered for ${campaign.id}; nothing sent.`);
  else if (transport.mode === 'eml') lines.push(`Wrote ${noun(report.accepted.length)} as .eml files to ${path.relative(process.cwd(), transport.description) || '.'}.`);
  else lines.push(`Sent ${noun(report.accepted.length)} through ${transport.description} as ${campaign.from.email}.`);
  for (const s of skipped) lines.push(`Skipped (invalid): ${contacts.file}:${s.line} ${s.email || '(no address)'}: ${s.reasons.join('; ')}`);
  for (const f of report.failed) lines.push(`Not delivered: ${f.message.to.email}: ${f.reason}`);
  if (report.stopped) {
    lines.push(`Stopped: ${report.stopped.message}`);
    for (const m of report.notTried) lines.push(`Not sent: ${m.to.email}`);
  }
  if (!options.json) summaryOut.write(lines.join('\n') + '\n');
  else io.stderr.write(lines.join('\n') + '\n');

  return report.failed.length > 0 || report.stopped ? EXIT.someFailed : EXIT.ok;
}

function select(contacts: Contact[], options: SendOptions): Contact[] {
  let selected = contacts;
  if (options.to) {
    const wanted = options.to.trim().toLowerCase();
    selected = contacts.filter((c) => c.email.toLowerCase() === wanted);
    if (selected.length === 0) throw new UsageError(`no contact has the address ${options.to}`, 'check the spelling, or list the contacts with --dry-run');
  }
  if (options.limit !== undefined) selected = selected.slice(0, options.limit);
  return selected;
}

function chooseTransport(options: SendOptions, io: Io): Transport {
  if (options.dryRun) return previewTransport(options.json ? io.stderr : io.stdout, colourFor(options.json ? io.stderr : io.stdout, io.env));
  if (options.out) return emlTransport(path.resolve(options.out));
  const url = options.smtp ?? io.env.SMTP_URL;
  if (!url) {
    throw new UsageError(
      'no SMTP server configured, so nothing can be sent',
      'set SMTP_URL (e.g. smtp://smtp.example.org:587, with SMTP_USER and SMTP_PASS) or pass --smtp URL; to look first, use --dry-run or --out DIR',
    );
  }
  const settings = parseSmtpUrl(url, io.env, options.insecureTls);
  if (options.insecureTls) io.stderr.write('warning: --insecure-tls: the server\'s TLS certificate is not checked; anyone on the path could read the mail and the password\n');
  return smtpTransport(settings);
}

function summarise(report: DeliveryReport, transport: Transport, campaignId: string, messages: Message[]) {
  return {
    command: 'send',
    campaign: campaignId,
    kind: 'invitation',
    mode: transport.mode,
    target: transport.description,
    total: messages.length,
    accepted: report.accepted.length,
    failed: report.failed.map((f) => ({ email: f.message.to.email, reason: f.reason, responseCode: f.responseCode ?? null })),
    notSent: report.notTried.map((m) => m.to.email),
    stopped: report.stopped?.message ?? null,
    messages: report.accepted.map((a) => ({ email: a.message.to.email, messageId: a.message.messageId, response: a.response })),
  };
}
