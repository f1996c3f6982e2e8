// OAuth 2.0 for SMTP: where a login's refresh token is kept (a file of mode 0600 in the user's
// configuration folder, never the campaign's), and the access tokens a run logs in with, through
// nodemailer's own XOAuth2 (refreshed once at the start, again when the server says it expired).
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type XOAuth2 from 'nodemailer/lib/xoauth2/index.js';
import * as z from 'zod';
import { DeliveryStop, printable, shownPath, UsageError } from '../errors.js';
import type { OAuthProvider } from './providers.js';

/** What a run needs to get access tokens for one mailbox. */
export interface OAuthSettings {
  /** Where a refresh token becomes an access token. */
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** A token made elsewhere (SMTP_OAUTH_ACCESS_TOKEN): used as it is, never refreshed. */
  accessToken?: string;
  /** Asked for again at each refresh (Microsoft). */
  scope?: string;
  provider?: OAuthProvider;
  /** The login file the refresh token came from: kept up to date when the server rotates it. */
  store?: string;
}

// ─── where logins are kept ───────────────────────────────────────────────────────────────────

const storedLogin = z.object({
  provider: z.enum(['microsoft', 'google']),
  user: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().optional(),
  tenant: z.string().optional(),
  tokenUrl: z.string().min(1),
  scope: z.string().optional(),
  refreshToken: z.string().min(1),
  savedAt: z.string(),
});

export type StoredLogin = z.infer<typeof storedLogin>;

/** invite's folder in the user's configuration folder: $XDG_CONFIG_HOME/invite, else ~/.config/invite. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'invite');
}

/** The file of one mailbox's login. */
export function loginFile(env: NodeJS.ProcessEnv, user: string): string {
  return path.join(configDir(env), 'logins', `${user.toLowerCase().replace(/[^a-z0-9@._-]+/g, '_')}.json`);
}

/** The login `invite login` kept for this mailbox, if any. A file that is not one is an error naming it. */
export function readLogin(env: NodeJS.ProcessEnv, user: string): StoredLogin | undefined {
  const file = loginFile(env, user);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the login of ${user} in ${shownPath(file)}: ${(error as Error).message}`, `run \`invite login\` again`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const login = storedLogin.safeParse(parsed);
  if (!login.success) throw new UsageError(`${shownPath(file)} is not a login invite wrote`, 'delete it and run `invite login` again');
  return login.data;
}

/** Writes a login: the folder 0700, the file 0600, whole or not at all (a temporary file renamed). */
export function saveLogin(env: NodeJS.ProcessEnv, login: StoredLogin): string {
  const file = loginFile(env, login.user);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(login, null, 2) + '\n', { mode: 0o600 });
  // A file that existed keeps its old mode through writeFileSync; the rename replaces it.
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
  return file;
}

// ─── endpoints ───────────────────────────────────────────────────────────────────────────────

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** A token endpoint must be https (a refresh token is a password), or http on this machine only (a test server). */
export function checkEndpoint(url: string, name: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${name} is not a URL: ${printable(url)}`, 'e.g. https://login.microsoftonline.com/common/oauth2/v2.0/token');
  }
  if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname))) return parsed.href;
  throw new UsageError(`${name} must be an https:// address (${printable(url)})`, 'tokens go only over TLS; http:// is accepted for 127.0.0.1 alone');
}

// ─── access tokens for a run ─────────────────────────────────────────────────────────────────

/** An error of the authorisation server (RFC 6749 §5.2), as nodemailer's XOAuth2 reports it: "invalid_grant: …". */
interface OAuthError {
  code?: string;
  originalCode?: string;
  message?: string;
}

/**
 * Turns a failed token request into what the organiser can act on: a refused or expired refresh
 * token is exit 2 with the hint to sign in again; an unreachable authorisation server stops the run.
 */
export function oauthFailure(error: unknown, oauth: OAuthSettings, strip: (text: string) => string): Error {
  const e = (error ?? {}) as OAuthError;
  const text = printable(strip(String(e.message ?? error)));
  const again = oauth.store
    ? `sign in again: \`invite login ${oauth.provider ?? 'microsoft|google'}\``
    : `make a new refresh token (\`invite login ${oauth.provider ?? 'microsoft|google'} --print\`) and put it in SMTP_OAUTH_REFRESH_TOKEN`;
  const server = oauth.tokenUrl ? new URL(oauth.tokenUrl).host : 'the authorisation server';
  if (/^invalid_grant\b/.test(text)) {
    return new UsageError(`${server} refused the refresh token (invalid_grant: it expired, was revoked, or the password changed): ${text}`, again);
  }
  if (/^(invalid_client|unauthorized_client)\b/.test(text)) {
    return new UsageError(
      `${server} refused the client: ${text}`,
      'check SMTP_OAUTH_CLIENT_ID (and SMTP_OAUTH_CLIENT_SECRET), or the client ID `invite login` was given',
    );
  }
  if (/^[a-z_]+(:|$)/.test(text) && e.code === 'EOAUTH2') return new UsageError(`${server} refused to give an access token: ${text}`, again);
  if (e.code === 'EOAUTH2' && !oauth.refreshToken) {
    return new UsageError(
      `the access token in SMTP_OAUTH_ACCESS_TOKEN was refused and cannot be refreshed: ${text}`,
      'set SMTP_OAUTH_REFRESH_TOKEN (with SMTP_OAUTH_CLIENT_ID) instead, so invite can get new ones',
    );
  }
  return new DeliveryStop(`could not get an access token from ${server}: ${text}`, 'check the network, and SMTP_OAUTH_TOKEN_URL if it is set');
}

/** The access tokens of one run: nodemailer's XOAuth2 object, handed to every SMTP login. */
export class AccessTokens {
  private readonly known = new Set<string>();

  private constructor(
    readonly user: string,
    readonly oauth: OAuthSettings,
    /** nodemailer's XOAuth2: caches the token, asks for a new one when a login says it expired. */
    readonly xoauth2: XOAuth2,
  ) {
    for (const secret of [oauth.refreshToken, oauth.accessToken, oauth.clientSecret]) if (secret) this.known.add(secret);
    xoauth2.on('token', ({ accessToken }: { accessToken: string }) => this.known.add(accessToken));
  }

  /** nodemailer's XOAuth2 is loaded here, when a run logs in with OAuth, not at every start. */
  static async create(user: string, oauth: OAuthSettings, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<AccessTokens> {
    const { default: XOAuth2Class } = await import('nodemailer/lib/xoauth2/index.js');
    // Microsoft sends a new refresh token with each refresh: the login file keeps the newest.
    const rotated = (token: string) => {
      tokens.known.add(token);
      if (token === oauth.refreshToken || !oauth.store) return;
      const login = readLogin(env, user);
      if (login) saveLogin(env, { ...login, refreshToken: token, savedAt: new Date().toISOString() });
    };
    class KeptXOAuth2 extends XOAuth2Class {
      override postRequest(
        url: string,
        payload: Parameters<XOAuth2['postRequest']>[1],
        params: Parameters<XOAuth2['postRequest']>[2],
        callback: (err: Error | null, buff?: Buffer) => void,
      ): void {
        // XOAuth2 always sends client_secret, empty for a public client; Microsoft refuses a
        // public client that presents one (AADSTS700025), so an empty one is left out.
        if (typeof payload === 'object' && !Buffer.isBuffer(payload) && payload.client_secret === '') delete payload.client_secret;
        super.postRequest(url, payload, params, (error, body) => {
          if (!error && body) {
            try {
              const data = JSON.parse(body.toString()) as { refresh_token?: unknown };
              if (typeof data.refresh_token === 'string' && data.refresh_token) rotated(data.refresh_token);
            } catch {
              // not JSON: XOAuth2 reports that itself
            }
          }
          callback(error, body);
        });
      }
    }
    const xoauth2 = new KeptXOAuth2({
      user,
      clientId: oauth.clientId,
      clientSecret: oauth.clientSecret,
      refreshToken: oauth.refreshToken,
      accessToken: oauth.accessToken,
      accessUrl: oauth.tokenUrl,
      requestTimeout: timeoutMs,
      ...(oauth.scope ? { customParams: { scope: oauth.scope } } : {}),
    });
    // (Only a refresh calls rotated(), and none happens before this line.)
    const tokens = new AccessTokens(user, oauth, xoauth2);
    return tokens;
  }

  /** Every token and client secret seen in this run, so that no error text can show one. */
  secrets(): string[] {
    return [...this.known];
  }

  /** Gets the run's first access token (one refresh), so a refused refresh token is found before anything is asked or sent. */
  async first(strip: (text: string) => string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.xoauth2.getToken(false, (error) => (error ? reject(oauthFailure(error, this.oauth, strip)) : resolve()));
    });
  }
}
