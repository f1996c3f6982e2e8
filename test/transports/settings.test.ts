// Where messages go and how invite logs in: invite.yaml's `smtp:` (a preset from nodemailer's
// well-known services, or a server), overridden by SMTP_URL and SMTP_USER; OAuth chosen by its
// variables or by a login kept for the user; the provider's published limit as the default rate.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CampaignSmtp } from '../../src/campaign/model.js';
import { InputError, stripSecrets, UsageError } from '../../src/errors.js';
import type { Campaign } from '../../src/campaign/model.js';
import type { Io } from '../../src/io.js';
import { parseRate } from '../../src/campaign/rate.js';
import { deliverySettings, settleOptions } from '../../src/sending/options.js';
import { saveLogin } from '../../src/transports/oauth.js';
import { findProvider } from '../../src/transports/providers.js';
import { campaignSmtpProblems } from '../../src/transports/server.js';
import { resolveSmtp } from '../../src/transports/settings.js';

const smtp = (fields: Omit<CampaignSmtp, 'lines'>): CampaignSmtp => ({ ...fields, lines: { smtp: 40, provider: 41, host: 41, user: 42, auth: 43 } });
const noConfig = () => ({ XDG_CONFIG_HOME: mkdtempSync(path.join(os.tmpdir(), 'invite-xdg-')) });

describe('provider presets', () => {
  it('microsoft365 and google come from nodemailer’s list, with their OAuth endpoints; Microsoft’s published 30 a minute is the default rate', () => {
    expect(findProvider('microsoft365')).toMatchObject({ host: 'smtp.office365.com', port: 587, secure: false, rate: '30/min' });
    expect(findProvider('Google')).toMatchObject({ host: 'smtp.gmail.com', port: 465, secure: true });
    expect(findProvider('microsoft365')!.oauth!('example.org')).toMatchObject({
      tokenUrl: 'https://login.microsoftonline.com/example.org/oauth2/v2.0/token',
      deviceUrl: 'https://login.microsoftonline.com/example.org/oauth2/v2.0/devicecode',
    });
    expect(findProvider('gmail')!.oauth!()).toMatchObject({
      tokenUrl: 'https://oauth2.googleapis.com/token',
      scope: expect.stringContaining('https://mail.google.com/'),
    });
    // Any service nodemailer knows, without OAuth of ours.
    expect(findProvider('FastMail')).toMatchObject({ host: 'smtp.fastmail.com', port: 465, secure: true });
    expect(findProvider('FastMail')!.oauth).toBeUndefined();
    expect(findProvider('no-such-mail')).toBeUndefined();
  });
});

describe('resolveSmtp', () => {
  it('invite.yaml’s provider and user, the password from the environment', () => {
    const s = resolveSmtp({ campaign: smtp({ provider: 'microsoft365', user: 'events@example.org' }), env: { ...noConfig(), SMTP_PASS: 'pw' } })!;
    expect(s).toMatchObject({ host: 'smtp.office365.com', port: 587, secure: false, user: 'events@example.org', pass: 'pw', auth: 'password' });
    expect(s.provider?.name).toBe('microsoft365');
  });

  it('SMTP_URL and SMTP_USER override invite.yaml; the preset’s endpoints and limits leave with its server', () => {
    const s = resolveSmtp({
      url: 'smtps://relay.example.org:2465',
      campaign: smtp({ provider: 'microsoft365', user: 'a@example.org' }),
      env: { ...noConfig(), SMTP_USER: 'b@example.org', SMTP_PASS: 'pw' },
    })!;
    expect(s).toMatchObject({ host: 'relay.example.org', port: 2465, secure: true, user: 'b@example.org' });
    expect(s.provider).toBeUndefined();
  });

  it('host, port and security of its own; nothing named at all is no server', () => {
    expect(resolveSmtp({ campaign: smtp({ host: 'mail.example.org', port: 465 }), env: noConfig() })).toMatchObject({
      host: 'mail.example.org',
      port: 465,
      secure: true,
      auth: 'none',
    });
    expect(resolveSmtp({ campaign: smtp({ host: 'mail.example.org', security: 'starttls' }), env: noConfig() })).toMatchObject({ port: 587, secure: false });
    expect(resolveSmtp({ env: noConfig() })).toBeUndefined();
  });

  it('an unknown provider, or an smtp: that names no server, is an error at its line', () => {
    const problems = campaignSmtpProblems(smtp({ provider: 'hotmale' }), '/tmp/c/invite.yaml');
    expect(problems).toMatchObject([{ line: 41, column: 'smtp.provider', message: 'unknown provider "hotmale"' }]);
    expect(campaignSmtpProblems(smtp({ user: 'x@example.org' }), '/tmp/c/invite.yaml')).toMatchObject([
      { line: 40, column: 'smtp', message: 'names no server' },
    ]);
    expect(() => resolveSmtp({ campaign: smtp({ provider: 'hotmale' }), env: {} })).toThrow(InputError);
  });

  it('OAuth from the environment: the preset gives the token endpoint and Microsoft’s scope; SMTP_OAUTH_TOKEN_URL replaces it', () => {
    const env = { ...noConfig(), SMTP_USER: 'events@example.org', SMTP_OAUTH_REFRESH_TOKEN: 'rt', SMTP_OAUTH_CLIENT_ID: 'cid' };
    const s = resolveSmtp({ campaign: smtp({ provider: 'microsoft365', tenant: 'example.org' }), env })!;
    expect(s.auth).toBe('oauth2');
    expect(s.oauth).toMatchObject({
      refreshToken: 'rt',
      clientId: 'cid',
      tokenUrl: 'https://login.microsoftonline.com/example.org/oauth2/v2.0/token',
      scope: 'https://outlook.office.com/SMTP.Send offline_access',
    });
    expect(s.pass).toBeUndefined();
    const other = resolveSmtp({ campaign: smtp({ provider: 'microsoft365' }), env: { ...env, SMTP_OAUTH_TOKEN_URL: 'https://sso.example.org/token' } })!;
    expect(other.oauth?.tokenUrl).toBe('https://sso.example.org/token');
  });

  it('a refresh token needs a client ID and an https endpoint (http on 127.0.0.1 alone); no token at all says to run invite login', () => {
    const base = { ...noConfig(), SMTP_USER: 'events@example.org' };
    const yaml = smtp({ provider: 'google', auth: 'oauth2' });
    expect(() => resolveSmtp({ campaign: yaml, env: { ...base, SMTP_OAUTH_REFRESH_TOKEN: 'rt' } })).toThrow(/SMTP_OAUTH_CLIENT_ID is not set/);
    expect(() =>
      resolveSmtp({
        campaign: yaml,
        env: { ...base, SMTP_OAUTH_REFRESH_TOKEN: 'rt', SMTP_OAUTH_CLIENT_ID: 'c', SMTP_OAUTH_TOKEN_URL: 'http://sso.example.org/token' },
      }),
    ).toThrow(/must be an https:\/\/ address/);
    expect(
      resolveSmtp({
        campaign: yaml,
        env: { ...base, SMTP_OAUTH_REFRESH_TOKEN: 'rt', SMTP_OAUTH_CLIENT_ID: 'c', SMTP_OAUTH_TOKEN_URL: 'http://127.0.0.1:9/token' },
      })?.oauth?.tokenUrl,
    ).toBe('http://127.0.0.1:9/token');
    const missing = (() => {
      try {
        resolveSmtp({ campaign: yaml, env: base });
      } catch (error) {
        return error as UsageError;
      }
    })();
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing?.message).toBe('no OAuth token for events@example.org: nobody signed in on this machine, and SMTP_OAUTH_REFRESH_TOKEN is not set');
    expect(missing?.hint).toContain('`invite login google`');
  });

  it('a login kept by `invite login` for the user chooses OAuth by itself, unless invite.yaml says auth: password', () => {
    const env = { ...noConfig(), SMTP_USER: 'events@example.org' };
    saveLogin(env, {
      provider: 'microsoft',
      user: 'events@example.org',
      clientId: 'cid',
      tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      scope: 's',
      refreshToken: 'rt-kept',
      savedAt: '2026-12-04T00:00:00Z',
    });
    const s = resolveSmtp({ campaign: smtp({ provider: 'microsoft365' }), env })!;
    expect(s.auth).toBe('oauth2');
    expect(s.oauth).toMatchObject({
      refreshToken: 'rt-kept',
      clientId: 'cid',
      provider: 'microsoft',
      store: path.join(env.XDG_CONFIG_HOME, 'invite', 'logins', 'events@example.org.json'),
    });
    expect(resolveSmtp({ campaign: smtp({ provider: 'microsoft365', auth: 'password' }), env: { ...env, SMTP_PASS: 'pw' } })!.auth).toBe('password');
  });
});

describe('the provider’s published limit', () => {
  it('is the default rate of a run through its server; sending.rate and --rate win over it', () => {
    const server = resolveSmtp({ campaign: smtp({ provider: 'microsoft365' }), env: noConfig() })!;
    const settled = settleOptions({}, { env: {} } as Io);
    const campaign = { sending: {} } as Campaign;
    expect(deliverySettings({}, settled, campaign, server).rate).toEqual(parseRate('30/min'));
    expect(deliverySettings({}, settled, { sending: { rate: parseRate('10/min') } } as Campaign, server).rate).toEqual(parseRate('10/min'));
    expect(deliverySettings({ rate: '5/s' }, settleOptions({ rate: '5/s' }, { env: {} } as Io), campaign, server).rate).toEqual(parseRate('5/s'));
    expect(deliverySettings({}, settled, campaign, resolveSmtp({ url: 'smtp://relay.example.org', env: noConfig() })).rate).toBeUndefined();
  });
});

describe('stripSecrets', () => {
  it('removes an access token raw, in base64 and inside the XOAUTH2 string a server may quote back', () => {
    const xoauth2 = Buffer.from('user=events@example.org\x01auth=Bearer at-77\x01\x01').toString('base64');
    const text = `535 5.7.8 bad token ${xoauth2} (at-77, ${Buffer.from('at-77').toString('base64')})`;
    const stripped = stripSecrets(text, { user: 'events@example.org', tokens: ['at-77'] });
    expect(stripped).toBe('535 5.7.8 bad token *** (***, ***)');
  });
});
