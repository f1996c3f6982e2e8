// The server messages go to, as the organiser names it: an smtp:// or smtps:// URL, or
// invite.yaml's `smtp:` (a provider preset, or host, port and security). Light on purpose: the
// campaign's checks use it on every run; the login (settings.ts, oauth.ts) loads only to send.
import type { CampaignSmtp } from '../campaign/model.js';
import { InputError, shownPath, UsageError, type Problem } from '../errors.js';
import { findProvider, type Provider } from './providers.js';

export interface Server {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  pass?: string;
}

/** Reads an smtp:// or smtps:// URL, with the credentials it may hold. */
export function readSmtpUrl(url: string): Server {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError('the SMTP URL is not a valid URL', 'write it as smtp://user:password@host:587 or smtps://host:465');
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme !== 'smtp' && scheme !== 'smtps') {
    throw new UsageError(`the SMTP URL must start with smtp:// or smtps://, not ${scheme}://`, 'e.g. smtp://smtp.example.org:587');
  }
  if (!parsed.hostname) throw new UsageError('the SMTP URL has no host', 'e.g. smtp://smtp.example.org:587');
  const secure = scheme === 'smtps';
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    user: decodeURIComponent(parsed.username) || undefined,
    pass: decodeURIComponent(parsed.password) || undefined,
  };
}

/** A problem with invite.yaml's `smtp:` section: an InputError naming the file, line and key. */
export function smtpProblem(file: string | undefined, smtp: CampaignSmtp, key: keyof CampaignSmtp['lines'], message: string, hint: string): InputError {
  return new InputError({
    file: file && shownPath(file),
    line: smtp.lines[key] ?? smtp.lines.smtp,
    column: key === 'smtp' ? 'smtp' : `smtp.${key}`,
    message,
    hint,
  });
}

/** What `invite validate` finds wrong in invite.yaml's `smtp:` (the same checks a send makes). */
export function campaignSmtpProblems(smtp: CampaignSmtp | undefined, file: string): Problem[] {
  if (!smtp) return [];
  try {
    if (!campaignServer(smtp, file).server) throw smtpProblem(file, smtp, 'smtp', 'names no server', NO_SERVER);
    return [];
  } catch (error) {
    if (error instanceof InputError) return error.problems;
    throw error;
  }
}

export const NO_SERVER = 'give provider (microsoft365, google, …) or host, or set SMTP_URL';

/** The server invite.yaml names: its preset, with host, port and security of its own over it. */
export function campaignServer(smtp: CampaignSmtp, file?: string): { server?: Server; provider?: Provider } {
  let provider: Provider | undefined;
  if (smtp.provider) {
    provider = findProvider(smtp.provider);
    if (!provider) {
      throw smtpProblem(
        file,
        smtp,
        'provider',
        `unknown provider "${smtp.provider}"`,
        'microsoft365 or google, a service nodemailer knows (e.g. fastmail, icloud, zoho), or leave it out and give host, port and security',
      );
    }
  }
  const host = smtp.host ?? provider?.host;
  if (!host) return { provider };
  const secure = smtp.security ? smtp.security === 'tls' : smtp.port ? smtp.port === 465 : (provider?.secure ?? false);
  return { server: { host, port: smtp.port ?? (smtp.host ? undefined : provider?.port) ?? (secure ? 465 : 587), secure }, provider };
}
