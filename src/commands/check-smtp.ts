// `invite check-smtp`: connects, upgrades to TLS and logs in exactly as a send would, prints what
// the server offers, and sends nothing. Exit 0, or 2 with the reason.
import { existsSync } from 'node:fs';
import { campaignFile, loadCampaign } from '../campaign/load.js';
import { DEFAULTS } from '../defaults.js';
import { DeliveryStop, EXIT, printable, RecipientFailure, UsageError } from '../errors.js';
import { isInteractive, type Io } from '../io.js';
import { formatSize } from '../campaign/attachments.js';
import { readSmtpUrl } from '../transports/server.js';
import { resolveSmtp, type SmtpSettings } from '../transports/settings.js';
import { classifySmtpError, factsOf, newConnection, openConnection, settleLogin, type Login, type ServerFacts } from '../transports/smtp.js';
import { noSmtpConfigured } from '../sending/options.js';

export interface CheckSmtpOptions {
  smtp?: string;
  campaign?: string;
  /** Seconds. */
  timeout?: number;
  insecureTls?: boolean;
  allowPlainAuth?: boolean;
  json?: boolean;
}

/** The server to check: --smtp or SMTP_URL, over the campaign's `smtp:` (when there is a campaign here or --campaign names one). */
function serverToCheck(options: CheckSmtpOptions, io: Io): SmtpSettings | undefined {
  const url = options.smtp ?? io.env.SMTP_URL;
  if (url) readSmtpUrl(url);
  const file = campaignFile(options.campaign ?? 'invite.yaml');
  const campaign = options.campaign !== undefined || existsSync(file) ? loadCampaign(file) : undefined;
  const settings = resolveSmtp({ url, campaign: campaign?.smtp, campaignFile: campaign?.file, env: io.env });
  if (!settings) return undefined;
  return {
    ...settings,
    insecureTls: Boolean(options.insecureTls),
    allowPlainAuth: Boolean(options.allowPlainAuth),
    timeoutMs: (options.timeout ?? campaign?.sending.timeout ?? DEFAULTS.timeoutSeconds) * 1000,
    connections: 1,
  };
}

export async function checkSmtpCommand(options: CheckSmtpOptions, io: Io): Promise<number> {
  const settings = serverToCheck(options, io);
  if (!settings) throw noSmtpConfigured();
  const facts = await factsFrom(settings, io);
  const report = {
    server: `${settings.host}:${settings.port}`,
    name: facts.name,
    tls: facts.tls ? { version: facts.tls, by: facts.tlsBy, cipher: facts.cipher, certificateVerified: !settings.insecureTls } : null,
    login: settings.auth === 'none' ? null : { user: settings.user ?? null, method: facts.loggedInWith ?? null, accepted: Boolean(facts.loggedInWith) },
    maxMessageSize: facts.maxSize || null,
    extensions: facts.extensions,
    authMethods: facts.authMethods,
    provider: settings.provider?.name ?? null,
    sent: 0,
  };
  io.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : checkText(report.server, settings, facts).join('\n') + '\n');
  return EXIT.ok;
}

/** The check for people: what the server offers, text from it escaped. */
function checkText(server: string, settings: SmtpSettings, facts: ServerFacts): string[] {
  const row = (label: string, value: string) => `  ${label.padEnd(11)} ${value}`;
  const lines = [
    `Checked ${server}${settings.provider ? ` (${settings.provider.description})` : ''}; nothing was sent.`,
    row('server', printable(facts.name) || '(no name given)'),
    row(
      'TLS',
      facts.tls
        ? `${facts.tls} by ${facts.tlsBy} (${facts.cipher}), certificate ${settings.insecureTls ? 'NOT checked (--insecure-tls)' : 'verified'}`
        : 'none: the connection is not encrypted',
    ),
    row(
      'login',
      settings.auth === 'none'
        ? 'none (no user configured)'
        : facts.loggedInWith
          ? `${printable(settings.user ?? '')} with ${facts.loggedInWith}: accepted`
          : `not made: the server offers no AUTH (${printable(settings.user ?? '')} was not logged in)`,
    ),
    row('size limit', facts.maxSize ? `${formatSize(facts.maxSize)} a message` : 'none announced'),
    row(
      'offers',
      printable([...facts.extensions, ...(facts.authMethods.length ? [`AUTH ${facts.authMethods.join(' ')}`] : [])].join(', ')) ||
        '(nothing beyond plain SMTP)',
    ),
    ...(settings.provider?.limits
      ? [
          row(
            'limits',
            `${settings.provider.limits}${settings.provider.rate ? `; invite sends at most ${settings.provider.rate} unless sending.rate or --rate says otherwise` : ''}`,
          ),
        ]
      : []),
  ];
  return lines;
}

/** Connects, upgrades to TLS and logs in as a send would: what the server said of itself. */
async function factsFrom(settings: SmtpSettings, io: Io): Promise<ServerFacts> {
  let login: Login | undefined;
  let facts: ServerFacts;
  const connection = await newConnection(settings);
  try {
    login = await settleLogin(settings, io.env, isInteractive(io) ? io.askSecret : undefined);
    facts = factsOf(connection, settings, await openConnection(connection, settings, login, () => {}));
    await new Promise<void>((resolve) => {
      connection.once('end', resolve);
      connection.quit();
      setTimeout(resolve, 1000).unref();
    });
  } catch (error) {
    const failure = error instanceof DeliveryStop || error instanceof UsageError ? error : classifySmtpError(error, settings, login);
    // A failure that would only be temporary during a send is still an answer here: exit 2.
    if (failure instanceof RecipientFailure)
      throw new DeliveryStop(`could not check ${settings.host}:${settings.port}: ${failure.message}`, 'check the host and port, and that the server is up');
    throw failure;
  } finally {
    connection.close();
  }
  return facts;
}
