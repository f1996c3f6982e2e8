// Signing in to a mailbox provider with OAuth 2.0, as a command-line program may: Microsoft by the
// device authorisation grant (RFC 8628: a code typed on any browser), Google by the installed-app
// loopback redirect with PKCE (RFC 8252, RFC 7636: the browser comes back to 127.0.0.1).
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeliveryStop, printable, UsageError } from '../errors.js';
import type { OAuthEndpoints } from './providers.js';

/** What a token endpoint answers with on success (RFC 6749 §5.1), plus OpenID Connect's id_token. */
export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
  scope?: string;
}

export interface LoginClient {
  clientId: string;
  clientSecret?: string;
}

/** How a sign-in talks to the person: where it says what to do, and how long it waits. */
export interface LoginIo {
  /** Tells the person what to do (on stderr). */
  say(line: string): void;
  /** Opens a URL in the browser; absent when there is none to open (no terminal, --no-browser). */
  open?(url: string): Promise<void>;
  /** Waits; a test's clock may make it instant. */
  sleep(ms: number): Promise<void>;
  /** How long to wait for the person at most. */
  timeoutMs: number;
}

/** A failed sign-in: exit 2 with what the authorisation server said (escaped, bounded) and what to do. */
export class LoginFailed extends UsageError {}

/** Text from an authorisation server, as the terminal may show it: escaped and bounded. */
function shown(text: unknown): string {
  return printable(textOf(text)).slice(0, 500);
}

/** A value from a server's JSON as text: a string as it is, anything else as JSON. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return value === undefined || value === null ? '' : (JSON.stringify(value) ?? '');
}

interface OAuthErrorBody {
  error?: string;
  error_description?: string;
}

/** POSTs a form (application/x-www-form-urlencoded) and reads the JSON answer, error answers included. */
async function postForm(url: string, form: Record<string, string | undefined>, timeoutMs: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined) params.set(k, v);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      body: params,
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    throw new DeliveryStop(
      `could not reach ${new URL(url).host}: ${shown((error as Error).cause ?? (error as Error).message)}`,
      'check the network (and the address, if you gave one)',
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!body || typeof body !== 'object')
    throw new DeliveryStop(
      `${new URL(url).host} answered ${response.status} without JSON: ${shown(text.slice(0, 200))}`,
      'check the address of the authorisation server',
    );
  return { status: response.status, body: body as Record<string, unknown> };
}

function errorText(body: OAuthErrorBody): string {
  return shown(`${body.error}${body.error_description ? `: ${body.error_description}` : ''}`);
}

/** A token answer checked: an access token and the refresh token invite keeps. */
function tokensFrom(body: Record<string, unknown>, host: string): TokenResponse & { refresh_token: string } {
  if (typeof body.access_token !== 'string' || !body.access_token)
    throw new LoginFailed(`${host} gave no access token`, 'try again; if it persists, check the client ID');
  if (typeof body.refresh_token !== 'string' || !body.refresh_token) {
    throw new LoginFailed(
      `${host} gave no refresh token, so invite could not send later without you`,
      'the app registration must allow offline access (Microsoft: offline_access; Google: a "Desktop app" client)',
    );
  }
  return body as unknown as TokenResponse & { refresh_token: string };
}

/** The mailbox an OpenID Connect id_token names (it came straight from the token endpoint over TLS: OIDC §3.1.3.7 needs no signature check then). */
export function mailboxOf(idToken: string | undefined): string | undefined {
  const payload = idToken?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    for (const claim of ['email', 'preferred_username', 'upn']) {
      const value = claims[claim];
      if (typeof value === 'string' && /^[^\s@]+@[^\s@]+$/.test(value)) return value;
    }
  } catch {
    // not a JWT: the caller asks for --user
  }
  return undefined;
}

/** Microsoft: the device authorisation grant. Prints the address and the code, then waits while the person signs in. */
export async function deviceCodeLogin(endpoints: OAuthEndpoints, client: LoginClient, io: LoginIo): Promise<TokenResponse & { refresh_token: string }> {
  const deviceUrl = endpoints.deviceUrl!;
  const host = new URL(endpoints.tokenUrl).host;
  const start = await postForm(deviceUrl, { client_id: client.clientId, scope: endpoints.scope }, io.timeoutMs);
  const device = start.body as { device_code?: string; user_code?: string; verification_uri?: string; expires_in?: number; interval?: number } & OAuthErrorBody;
  if (start.status !== 200 || !device.device_code || !device.user_code || !device.verification_uri) {
    throw new LoginFailed(
      `${new URL(deviceUrl).host} refused to start the sign-in: ${errorText(device)}`,
      hintFor(device.error ?? '', device.error_description ?? ''),
    );
  }
  const expiresMs = Math.min(io.timeoutMs, (device.expires_in ?? 900) * 1000);
  io.say(`To sign in, open ${shown(device.verification_uri)} in a browser and enter the code ${shown(device.user_code)}`);
  io.say(`Waiting for you to sign in (the code is valid for ${Math.round(expiresMs / 60_000)} minutes; Ctrl-C stops) …`);
  let intervalMs = Math.max(1, device.interval ?? 5) * 1000;
  for (let waited = 0; waited < expiresMs; waited += intervalMs) {
    await io.sleep(intervalMs);
    const poll = await postForm(
      endpoints.tokenUrl,
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        device_code: device.device_code,
      },
      io.timeoutMs,
    );
    if (poll.status === 200) return tokensFrom(poll.body, host);
    const error = poll.body as OAuthErrorBody;
    if (error.error === 'authorization_pending') continue;
    // RFC 8628 §3.5: slow down by 5 seconds for this and every later request.
    if (error.error === 'slow_down') {
      intervalMs += 5000;
      continue;
    }
    if (error.error === 'authorization_declined' || error.error === 'access_denied')
      throw new LoginFailed('the sign-in was declined in the browser', 'run `invite login microsoft` again and accept');
    if (error.error === 'expired_token') throw new LoginFailed('the code expired before the sign-in finished', 'run `invite login microsoft` again');
    throw new LoginFailed(`${host} refused the sign-in: ${errorText(error)}`, hintFor(error.error ?? '', error.error_description ?? ''));
  }
  throw new LoginFailed('nobody signed in before the code expired', 'run `invite login microsoft` again');
}

/** What to do about an error Microsoft's or Google's sign-in gives (AADSTS codes are Microsoft's). */
function hintFor(error: string, description: string): string {
  if (/AADSTS50194|AADSTS90002|not configured as a multi-tenant/i.test(description))
    return 'the app is registered for one organisation only: pass --tenant with its tenant ID or domain';
  if (/AADSTS7000218|client_assertion|client_secret/i.test(description))
    return "the app registration must allow public client flows (Entra admin centre: the app, Authentication, 'Allow public client flows': Yes)";
  if (/AADSTS700016|invalid_client|unauthorized_client/i.test(`${error} ${description}`))
    return 'check --client-id: the application (client) ID of an app registered in your organisation';
  if (/AADSTS65001|consent/i.test(description)) return 'an administrator must grant consent to the app (API permissions: SMTP.Send, offline_access)';
  if (/invalid_scope/i.test(error))
    return 'the app registration must allow the SMTP scope (Microsoft: SMTP.Send under Office 365 Exchange Online; Google: https://mail.google.com/)';
  return 'check --client-id (and --tenant for Microsoft); invite’s reference (docs/reference.md, "Sending from Microsoft 365 or Google") says how to register the app';
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** The page the browser shows when it comes back: static text, nothing from the request reflected. */
const DONE_PAGE = '<!doctype html><meta charset="utf-8"><title>invite</title><p>Signed in. You can close this tab and go back to the terminal.</p>';
const FAILED_PAGE = '<!doctype html><meta charset="utf-8"><title>invite</title><p>The sign-in did not finish. The terminal says why.</p>';

/** Google: the loopback redirect with PKCE. Opens the browser (or prints the address), waits on 127.0.0.1 for it to come back with a code. */
export async function loopbackLogin(
  endpoints: OAuthEndpoints,
  client: LoginClient,
  io: LoginIo,
  loginHint?: string,
): Promise<TokenResponse & { refresh_token: string }> {
  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(16));
  const back = await loopbackListener(state);
  try {
    const redirectUri = `http://127.0.0.1:${(back.server.address() as AddressInfo).port}/`;
    const authorize = authorizeUrl(endpoints, client, { redirectUri, challenge: base64url(createHash('sha256').update(verifier).digest()), state, loginHint });
    io.say(`To sign in, open this address in a browser on this computer:\n  ${authorize}`);
    if (io.open) await io.open(authorize).catch(() => io.say('(the browser could not be opened: open the address yourself)'));
    io.say('Waiting for the browser to come back (Ctrl-C stops) …');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ error: Error }>((resolve) => {
      timer = setTimeout(() => resolve({ error: new LoginFailed('nobody signed in in time', 'run `invite login google` again') }), io.timeoutMs);
    });
    const outcome = await Promise.race([back.result, timeout]);
    clearTimeout(timer);
    if ('error' in outcome) throw outcome.error;
    const host = new URL(endpoints.tokenUrl).host;
    const exchange = await postForm(
      endpoints.tokenUrl,
      {
        grant_type: 'authorization_code',
        code: outcome.code,
        redirect_uri: redirectUri,
        client_id: client.clientId,
        client_secret: client.clientSecret,
        code_verifier: verifier,
      },
      io.timeoutMs,
    );
    if (exchange.status !== 200)
      throw new LoginFailed(
        `${host} refused the code: ${errorText(exchange.body)}`,
        hintFor(textOf(exchange.body.error), textOf(exchange.body.error_description)),
      );
    return tokensFrom(exchange.body, host);
  } finally {
    back.server.closeAllConnections?.();
    back.server.close();
  }
}

/** The authorisation address the browser opens: the code flow with PKCE, back to the loopback listener. */
function authorizeUrl(
  endpoints: OAuthEndpoints,
  client: LoginClient,
  request: { redirectUri: string; challenge: string; state: string; loginHint?: string },
): string {
  const authorize = new URL(endpoints.authorizeUrl!);
  const query: Record<string, string | undefined> = {
    client_id: client.clientId,
    redirect_uri: request.redirectUri,
    response_type: 'code',
    scope: endpoints.scope,
    code_challenge: request.challenge,
    code_challenge_method: 'S256',
    state: request.state,
    // A refresh token, and a new one even when this app was allowed before.
    access_type: 'offline',
    prompt: 'consent',
    login_hint: request.loginHint,
  };
  for (const [k, v] of Object.entries(query)) if (v !== undefined) authorize.searchParams.set(k, v);
  return authorize.href;
}

/** Listens on 127.0.0.1 for the browser to come back with a code (or an error) for our `state`. */
async function loopbackListener(state: string): Promise<{ server: Server; result: Promise<{ code: string } | { error: Error }> }> {
  let finish!: (result: { code: string } | { error: Error }) => void;
  const result = new Promise<{ code: string } | { error: Error }>((resolve) => (finish = resolve));
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const code = url.searchParams.get('code');
    const error = url.searchParams.get('error');
    if (!code && !error) {
      response.writeHead(404).end();
      return;
    }
    // Another page could send the browser here with a code of its own: only our state counts.
    if (url.searchParams.get('state') !== state) {
      response.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(FAILED_PAGE);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', connection: 'close' }).end(code ? DONE_PAGE : FAILED_PAGE);
    finish(
      code
        ? { code }
        : {
            error: new LoginFailed(
              error === 'access_denied' ? 'the sign-in was declined in the browser' : `the sign-in failed: ${shown(error)}`,
              'run `invite login google` again',
            ),
          },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, result };
}
