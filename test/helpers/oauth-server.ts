// A local OAuth 2.0 authorisation server on 127.0.0.1, port 0, as Microsoft's and Google's answer:
// a token endpoint (refresh_token, device_code and authorization_code grants, RFC 6749 errors), a
// device authorisation endpoint (RFC 8628) and an authorisation endpoint that redirects back with
// a code (PKCE S256 checked at the exchange). It mints access tokens at-1, at-2, … and keeps every
// request, so a test can see which token was minted and which one logged in.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenRequest {
  path: string;
  form: Record<string, string>;
}

export interface OAuthServerOptions {
  /** Refresh tokens the server accepts; any other is invalid_grant. */
  refreshTokens?: string[];
  /** A new refresh token with every refresh (as Microsoft does). */
  rotate?: boolean;
  /** The mailbox the id_token names. */
  email?: string;
  /** Device code: how many polls answer authorization_pending before the sign-in completes. */
  pendingPolls?: number;
  /** Device code: the person declines instead. */
  decline?: boolean;
}

export interface OAuthServer {
  url: string;
  tokenUrl: string;
  deviceUrl: string;
  authorizeUrl: string;
  /** Every POST to the token endpoint, in order. */
  tokenRequests: TokenRequest[];
  /** Every access token minted, in order. */
  minted: string[];
  /** Every refresh token handed out (by a sign-in or a rotation). */
  issuedRefreshTokens: string[];
  close: () => Promise<void>;
}

const json = (body: unknown) => JSON.stringify(body);

function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => resolve(Object.fromEntries(new URLSearchParams(text))));
  });
}

/** An unsigned JWT with the claims given (the client reads it from the token endpoint over TLS, as OIDC allows). */
function idToken(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

export async function startOAuthServer(options: OAuthServerOptions = {}): Promise<OAuthServer> {
  const refreshTokens = new Set(options.refreshTokens ?? []);
  const tokenRequests: TokenRequest[] = [];
  const minted: string[] = [];
  const issuedRefreshTokens: string[] = [];
  const devices = new Map<string, { polls: number }>();
  const codes = new Map<string, { challenge: string; redirectUri: string; clientId: string }>();
  let counter = 0;

  const mint = () => {
    const token = `at-${minted.length + 1}`;
    minted.push(token);
    return token;
  };
  const newRefreshToken = () => {
    const token = `rt-issued-${++counter}`;
    refreshTokens.add(token);
    issuedRefreshTokens.push(token);
    return token;
  };
  const signedIn = () => ({
    token_type: 'Bearer',
    access_token: mint(),
    refresh_token: newRefreshToken(),
    expires_in: 3600,
    id_token: idToken({ email: options.email ?? 'events@example.org', iss: 'test' }),
  });

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const answer = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(json(body));
      if (request.method === 'GET' && url.pathname === '/authorize') {
        // The person signs in and agrees: back to the loopback address with a code.
        const code = `code-${++counter}`;
        codes.set(code, {
          challenge: url.searchParams.get('code_challenge') ?? '',
          redirectUri: url.searchParams.get('redirect_uri') ?? '',
          clientId: url.searchParams.get('client_id') ?? '',
        });
        const back = new URL(url.searchParams.get('redirect_uri') ?? 'http://127.0.0.1/');
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        response.writeHead(302, { location: back.href }).end();
        return;
      }
      if (request.method !== 'POST') return answer(404, { error: 'not_found' });
      const form = await readForm(request);
      if (url.pathname === '/devicecode') {
        const device = `device-${++counter}`;
        devices.set(device, { polls: 0 });
        return answer(200, {
          device_code: device,
          user_code: 'ABCD-EFGH',
          verification_uri: 'https://microsoft.example/devicelogin',
          expires_in: 900,
          interval: 1,
          message: 'sign in',
        });
      }
      if (url.pathname !== '/token') return answer(404, { error: 'not_found' });
      tokenRequests.push({ path: url.pathname, form });
      if (form.grant_type === 'refresh_token') {
        if (!form.refresh_token || !refreshTokens.has(form.refresh_token)) {
          return answer(400, { error: 'invalid_grant', error_description: 'AADSTS70000: The provided grant has expired due to it being revoked.' });
        }
        return answer(200, { token_type: 'Bearer', access_token: mint(), expires_in: 3600, ...(options.rotate ? { refresh_token: newRefreshToken() } : {}) });
      }
      if (form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
        const device = devices.get(form.device_code ?? '');
        if (!device) return answer(400, { error: 'invalid_grant' });
        if (options.decline) return answer(400, { error: 'authorization_declined' });
        if (device.polls++ < (options.pendingPolls ?? 1)) return answer(400, { error: 'authorization_pending' });
        return answer(200, signedIn());
      }
      if (form.grant_type === 'authorization_code') {
        const code = codes.get(form.code ?? '');
        codes.delete(form.code ?? '');
        const verified =
          code &&
          createHash('sha256')
            .update(form.code_verifier ?? '')
            .digest('base64url') === code.challenge;
        if (!code || !verified || code.redirectUri !== form.redirect_uri || code.clientId !== form.client_id)
          return answer(400, { error: 'invalid_grant', error_description: 'code, verifier or redirect_uri do not match' });
        return answer(200, signedIn());
      }
      return answer(400, { error: 'unsupported_grant_type' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tokenUrl: `${url}/token`,
    deviceUrl: `${url}/devicecode`,
    authorizeUrl: `${url}/authorize`,
    tokenRequests,
    minted,
    issuedRefreshTokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
