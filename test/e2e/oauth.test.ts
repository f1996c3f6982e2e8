// Sending from a mailbox that takes no password (Microsoft 365 from December 2026, Google): OAuth
// 2.0, end to end. A local authorisation server mints the access tokens; smtp-server checks the
// XOAUTH2 string each login sends. The token that logs in is the one minted, an expired one is
// refreshed once, a refused refresh token is exit 2, and no token ever reaches the output or
// the journal. `invite login` signs in both ways (device code; loopback with PKCE) and keeps the
// refresh token in a 0600 file of the configuration folder.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, runCli, spawnCli, tmpJournal } from '../helpers/cli.js';
import { startOAuthServer, type OAuthServer } from '../helpers/oauth-server.js';
import { startSmtp, whenReceived, type TestSmtp } from '../helpers/smtp.js';

const NOW = '2027-04-01T09:00:00Z';
const MAILBOX = 'events@example.org';
const REFRESH = 'rt-from-ci-secret-9f8e7d';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function servers(options: { expired?: string[]; rotate?: boolean } = {}): Promise<{ smtp: TestSmtp; auth: OAuthServer }> {
  const auth = await startOAuthServer({ refreshTokens: [REFRESH], rotate: options.rotate, email: MAILBOX });
  // The server takes the newest token minted, and none it was told is expired.
  const smtp = await startSmtp({
    xoauth2: (user, token) => (user === MAILBOX && token === auth.minted.at(-1) && !options.expired?.includes(token) ? 'ok' : 'expired'),
  });
  closers.push(auth.close, smtp.close);
  return { smtp, auth };
}

/** Only the variables a CI job would have: no password anywhere. */
function oauthEnv(smtp: TestSmtp, auth: OAuthServer, extra: Record<string, string> = {}) {
  return {
    NODE_EXTRA_CA_CERTS: smtp.caFile,
    SMTP_URL: smtp.url,
    SMTP_USER: MAILBOX,
    SMTP_OAUTH_REFRESH_TOKEN: REFRESH,
    SMTP_OAUTH_CLIENT_ID: 'client-123',
    SMTP_OAUTH_TOKEN_URL: auth.tokenUrl,
    ...extra,
  };
}

describe('sending with OAuth 2.0 (XOAUTH2)', () => {
  it('refreshes once at the start; every connection logs in with the token minted; no token in the output or the journal', async () => {
    const { smtp, auth } = await servers();
    const journal = tmpJournal();
    const result = await runCli(['send', '--yes', '--limit', '3', '--journal', journal, '--now', NOW], { env: oauthEnv(smtp, auth) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(auth.tokenRequests.map((r) => r.form)).toEqual([{ client_id: 'client-123', refresh_token: REFRESH, grant_type: 'refresh_token' }]);
    await whenReceived(smtp, 3);
    expect(smtp.received.map((m) => [m.user, m.token])).toEqual([
      [MAILBOX, 'at-1'],
      [MAILBOX, 'at-1'],
      [MAILBOX, 'at-1'],
    ]);
    expect(smtp.logins.every((l) => l.method === 'XOAUTH2' && l.accepted)).toBe(true);
    const seen = result.stdout + result.stderr + readFileSync(journal, 'utf8') + smtp.received.map((m) => m.raw.toString()).join('');
    for (const secret of [REFRESH, 'at-1', Buffer.from(`user=${MAILBOX}\x01auth=Bearer at-1\x01\x01`).toString('base64')]) expect(seen).not.toContain(secret);
  });

  it('an access token the server calls expired is refreshed once, and the message goes out', async () => {
    const { smtp, auth } = await servers({ expired: ['at-1'] });
    const result = await runCli(['send', '--yes', '--limit', '2', '--connections', '1', '--journal', tmpJournal(), '--now', NOW], {
      env: oauthEnv(smtp, auth),
    });
    expect(result.code).toBe(0);
    expect(auth.tokenRequests).toHaveLength(2);
    expect(smtp.logins.map((l) => [l.token, l.accepted])).toEqual([
      ['at-1', false],
      ['at-2', true],
    ]);
    await whenReceived(smtp, 2);
    expect(smtp.received.map((m) => m.token)).toEqual(['at-2', 'at-2']);
  });

  it('a refused refresh token (invalid_grant) is exit 2 before anything is asked or sent, with the hint to sign in again', async () => {
    const { smtp, auth } = await servers();
    const result = await runCli(['send', '--yes', '--journal', tmpJournal(), '--now', NOW], {
      env: oauthEnv(smtp, auth, { SMTP_OAUTH_REFRESH_TOKEN: 'rt-revoked' }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refused the refresh token (invalid_grant');
    expect(result.stderr).toContain('invite login');
    expect(result.stderr).not.toContain('rt-revoked');
    expect(smtp.logins).toEqual([]);
    await smtp.close();
    expect(smtp.received).toHaveLength(0);
  });

  it('SMTP_OAUTH_ACCESS_TOKEN made elsewhere logs in as it is, with no token endpoint at all', async () => {
    const smtp = await startSmtp({ xoauth2: (_user, token) => (token === 'at-made-elsewhere' ? 'ok' : 'expired') });
    closers.push(smtp.close);
    const result = await runCli(['send', '--yes', '--limit', '1', '--journal', tmpJournal(), '--now', NOW], {
      env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_URL: smtp.url, SMTP_USER: MAILBOX, SMTP_OAUTH_ACCESS_TOKEN: 'at-made-elsewhere' },
    });
    expect(result.code).toBe(0);
    await whenReceived(smtp, 1);
    expect(smtp.received.map((m) => m.token)).toEqual(['at-made-elsewhere']);
  });
});

describe('invite login', () => {
  it('microsoft: the device code is printed, the sign-in awaited, the refresh token kept in a 0600 file of the configuration folder; sending then needs no token variable, and a rotated refresh token is kept', async () => {
    const { smtp, auth } = await servers({ rotate: true });
    const config = mkdtempSync(path.join(os.tmpdir(), 'invite-xdg-'));
    const login = await runCli(
      ['login', 'microsoft', '--client-id', 'client-123', '--tenant', 'example.org', '--token-url', auth.tokenUrl, '--device-url', auth.deviceUrl],
      {
        env: { XDG_CONFIG_HOME: config },
      },
    );
    expect(login.code).toBe(0);
    expect(login.stderr).toContain('open https://microsoft.example/devicelogin in a browser and enter the code ABCD-EFGH');
    expect(login.stderr).toContain(`Signed in to Microsoft 365 as ${MAILBOX}`);
    // The refresh token is never shown without --print.
    expect(login.stdout + login.stderr).not.toContain(auth.issuedRefreshTokens[0]);
    const file = path.join(config, 'invite', 'logins', `${MAILBOX}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      provider: 'microsoft',
      user: MAILBOX,
      clientId: 'client-123',
      tenant: 'example.org',
      tokenUrl: auth.tokenUrl,
      refreshToken: 'rt-issued-2',
    });

    const journal = tmpJournal();
    const send = await runCli(['send', '--yes', '--limit', '1', '--journal', journal, '--now', NOW], {
      env: { XDG_CONFIG_HOME: config, NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_URL: smtp.url, SMTP_USER: MAILBOX },
    });
    expect(send.code).toBe(0);
    // The refresh used the kept token and asked for the SMTP scope again (Microsoft's v2.0 endpoint).
    expect(auth.tokenRequests.at(-1)!.form).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'rt-issued-2',
      client_id: 'client-123',
      scope: 'https://outlook.office.com/SMTP.Send offline_access',
    });
    await whenReceived(smtp, 1);
    expect(smtp.received.map((m) => m.token)).toEqual([auth.minted.at(-1)]);
    // Microsoft sent a new refresh token with the access token: the file keeps the newest.
    expect(JSON.parse(readFileSync(file, 'utf8')).refreshToken).toBe(auth.issuedRefreshTokens.at(-1));
    expect(readFileSync(journal, 'utf8')).not.toContain('rt-issued');
  });

  it('microsoft --print shows what a scheduled job needs, this once, on stdout', async () => {
    const auth = await startOAuthServer({ email: MAILBOX, pendingPolls: 0 });
    closers.push(auth.close);
    const config = mkdtempSync(path.join(os.tmpdir(), 'invite-xdg-'));
    const login = await runCli(['login', 'microsoft', '--client-id', 'client-123', '--token-url', auth.tokenUrl, '--device-url', auth.deviceUrl, '--print'], {
      env: { XDG_CONFIG_HOME: config },
    });
    expect(login.code).toBe(0);
    expect(login.stdout.split('\n')).toEqual([
      `SMTP_USER=${MAILBOX}`,
      'SMTP_OAUTH_CLIENT_ID=client-123',
      `SMTP_OAUTH_TOKEN_URL=${auth.tokenUrl}`,
      `SMTP_OAUTH_REFRESH_TOKEN=${auth.issuedRefreshTokens[0]}`,
      '',
    ]);
  });

  it('microsoft: a declined sign-in is exit 2 and keeps nothing', async () => {
    const auth = await startOAuthServer({ decline: true });
    closers.push(auth.close);
    const config = mkdtempSync(path.join(os.tmpdir(), 'invite-xdg-'));
    const login = await runCli(['login', 'microsoft', '--client-id', 'client-123', '--token-url', auth.tokenUrl, '--device-url', auth.deviceUrl], {
      env: { XDG_CONFIG_HOME: config },
    });
    expect(login.code).toBe(2);
    expect(login.stderr).toContain('the sign-in was declined');
    expect(() => statSync(path.join(config, 'invite'))).toThrow();
  });

  it('google: the browser is sent to the authorisation server and back to 127.0.0.1; the code is exchanged with its PKCE verifier', async () => {
    const auth = await startOAuthServer({ email: 'events@example.com' });
    closers.push(auth.close);
    const config = mkdtempSync(path.join(os.tmpdir(), 'invite-xdg-'));
    const cli = spawnCli(
      [
        'login',
        'google',
        '--client-id',
        'desktop-client',
        '--client-secret',
        'not-so-secret',
        '--token-url',
        auth.tokenUrl,
        '--authorize-url',
        auth.authorizeUrl,
      ],
      {
        env: { XDG_CONFIG_HOME: config },
      },
    );
    // Play the browser: open the address it prints, follow the redirect back to invite.
    let address: string | undefined;
    for (let i = 0; i < 400 && !address; i++) {
      address = /^\s+(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(cli.output().stderr)?.[1];
      if (!address) await new Promise((r) => setTimeout(r, 25));
    }
    expect(address).toBeDefined();
    const sent = new URL(address!);
    expect(Object.fromEntries(sent.searchParams)).toMatchObject({
      client_id: 'desktop-client',
      response_type: 'code',
      code_challenge_method: 'S256',
      access_type: 'offline',
      scope: 'https://mail.google.com/ openid email',
    });
    expect(sent.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(address!);
    expect(await page.text()).toContain('Signed in');
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(auth.tokenRequests.map((r) => r.form.grant_type)).toEqual(['authorization_code']);
    expect(auth.tokenRequests[0]!.form).toMatchObject({
      client_id: 'desktop-client',
      client_secret: 'not-so-secret',
      redirect_uri: sent.searchParams.get('redirect_uri'),
    });
    const stored = JSON.parse(readFileSync(path.join(config, 'invite', 'logins', 'events@example.com.json'), 'utf8'));
    expect(stored).toMatchObject({ provider: 'google', user: 'events@example.com', refreshToken: auth.issuedRefreshTokens[0], clientSecret: 'not-so-secret' });
  });

  it('without a client ID: exit 2, saying where the ID comes from', async () => {
    const result = await runCli(['login', 'microsoft'], { env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('needs the client ID of an app registered for your organisation');
  });
});

describe('settings from invite.yaml', () => {
  it('smtp: names the user and the method; the environment gives the server and the tokens; a secret in invite.yaml is refused', async () => {
    const { smtp, auth } = await servers();
    const env = cleanEnv();
    expect(env.XDG_CONFIG_HOME).toBeDefined();
    const { campaignCopy } = await import('../helpers/campaign.js');
    const dir = campaignCopy((yaml) => `${yaml}\nsmtp:\n  host: smtp.office365.com\n  user: ${MAILBOX}\n  auth: oauth2\n`);
    const sent = await runCli(['send', '--yes', '--limit', '1', '--journal', tmpJournal(), '--now', NOW], {
      cwd: dir,
      env: { ...oauthEnv(smtp, auth), SMTP_USER: undefined },
    });
    expect(sent.code).toBe(0);
    await whenReceived(smtp, 1);
    expect(smtp.received.map((m) => m.user)).toEqual([MAILBOX]);

    const secret = campaignCopy((yaml) => `${yaml}\nsmtp:\n  provider: microsoft365\n  password: hunter2\n`);
    const refused = await runCli(['send', '--dry-run', '--now', NOW], { cwd: secret });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/invite\.yaml:\d+:smtp\.password: unknown key "password" \(never write a secret in invite\.yaml/);
  });
});
