// Where messages go and how invite logs in: settled from invite.yaml's `smtp:` (a provider preset
// or a server, a user, a method — never a secret), overridden by the environment and the flags.
import type { CampaignSmtp } from '../campaign/model.js';
import { DEFAULTS } from '../defaults.js';
import { UsageError } from '../errors.js';
import { checkEndpoint, loginFile, readLogin, type OAuthSettings } from './oauth.js';
import { oauthPresetOf, type Provider } from './providers.js';
import { campaignServer, NO_SERVER, readSmtpUrl, smtpProblem } from './server.js';

export interface SmtpSettings {
  host: string;
  port: number;
  /** smtps:// (TLS from the first byte); smtp:// upgrades with STARTTLS when offered. */
  secure: boolean;
  user?: string;
  pass?: string;
  /** How invite logs in: a password (which may still have to be asked for), an OAuth token, or not at all. */
  auth: 'none' | 'password' | 'oauth2';
  oauth?: OAuthSettings;
  /** The preset it came from: its OAuth endpoints, its limits, the hints for its answers. */
  provider?: Provider;
  insecureTls: boolean;
  /** Log in even without TLS (smtp:// to a server without STARTTLS): only when asked for, loudly. */
  allowPlainAuth: boolean;
  timeoutMs: number;
  /** The wait for the reply to the final dot of a message (RFC 5321 §4.5.3.2: 10 minutes). */
  dataTimeoutMs: number;
  /** Parallel SMTP connections. */
  connections: number;
}

/**
 * Reads an smtp:// or smtps:// URL; SMTP_USER and SMTP_PASS override the URL's credentials.
 * Timeout and connections are invite's defaults here; the run sets invite.yaml's and the flags'.
 */
export function parseSmtpUrl(url: string, env: NodeJS.ProcessEnv): SmtpSettings {
  return resolveSmtp({ url, env })!;
}

export interface SmtpSources {
  /** --smtp, else $SMTP_URL. */
  url?: string;
  /** invite.yaml's `smtp:`. */
  campaign?: CampaignSmtp;
  /** invite.yaml itself, for messages. */
  campaignFile?: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The SMTP server and login, or undefined when nothing names a server. The flag or SMTP_URL
 * overrides invite.yaml's server; SMTP_USER and SMTP_PASS the user and password; the OAuth
 * variables, or a login `invite login` kept for the user, choose OAuth.
 */
export function resolveSmtp(sources: SmtpSources): SmtpSettings | undefined {
  const { env, campaign } = sources;
  const fromCampaign = campaign ? campaignServer(campaign, sources.campaignFile) : {};
  const fromUrl = sources.url ? readSmtpUrl(sources.url) : undefined;
  const server = fromUrl ?? fromCampaign.server;
  if (!server) {
    if (campaign) throw smtpProblem(sources.campaignFile, campaign, 'smtp', 'names no server', NO_SERVER);
    return undefined;
  }
  // A preset's OAuth endpoints and limits stay with it only while its server is the one used.
  const provider = fromCampaign.provider && fromCampaign.provider.host === server.host ? fromCampaign.provider : undefined;
  const user = env.SMTP_USER || server.user || campaign?.user;
  const pass = env.SMTP_PASS || server.pass;
  const oauthEnv = {
    refreshToken: env.SMTP_OAUTH_REFRESH_TOKEN || undefined,
    accessToken: env.SMTP_OAUTH_ACCESS_TOKEN || undefined,
    clientId: env.SMTP_OAUTH_CLIENT_ID || undefined,
    clientSecret: env.SMTP_OAUTH_CLIENT_SECRET || undefined,
    tokenUrl: env.SMTP_OAUTH_TOKEN_URL || undefined,
  };
  const tokenInEnv = Boolean(oauthEnv.refreshToken || oauthEnv.accessToken);
  const stored = user && !tokenInEnv && (campaign?.auth === 'oauth2' || (!pass && campaign?.auth !== 'password')) ? readLogin(env, user) : undefined;
  const auth: SmtpSettings['auth'] =
    campaign?.auth === 'oauth2' || tokenInEnv || (stored && campaign?.auth !== 'password')
      ? 'oauth2'
      : pass || user || campaign?.auth === 'password'
        ? 'password'
        : 'none';
  const settings: SmtpSettings = {
    ...server,
    user,
    pass: auth === 'password' ? pass : undefined,
    auth,
    ...(provider ? { provider } : {}),
    insecureTls: false,
    allowPlainAuth: false,
    timeoutMs: DEFAULTS.timeoutSeconds * 1000,
    dataTimeoutMs: DEFAULTS.dataTimeoutSeconds * 1000,
    connections: DEFAULTS.connections,
  };
  if (auth === 'oauth2') settings.oauth = oauthSettings(settings, oauthEnv, stored, campaign, env);
  return settings;
}

/** Where the tokens come from: the environment first, then the login kept for the user, then the preset's endpoints. */
function oauthSettings(
  settings: SmtpSettings,
  fromEnv: Omit<OAuthSettings, 'scope' | 'provider' | 'store'>,
  stored: ReturnType<typeof readLogin>,
  campaign: CampaignSmtp | undefined,
  env: NodeJS.ProcessEnv,
): OAuthSettings {
  const login = settings.provider?.oauth ? 'invite login ' + (settings.provider.name === 'google' ? 'google' : 'microsoft') : 'invite login microsoft|google';
  if (!settings.user) {
    throw new UsageError('OAuth needs the mailbox to log in as, and none is set', 'set SMTP_USER, or smtp.user in invite.yaml');
  }
  const preset = settings.provider?.oauth?.(campaign?.tenant) ?? (stored ? oauthPresetOf(stored.provider).oauth?.(stored.tenant) : undefined);
  const refreshToken = fromEnv.refreshToken ?? (fromEnv.accessToken ? undefined : stored?.refreshToken);
  const oauth: OAuthSettings = {
    refreshToken,
    accessToken: fromEnv.accessToken,
    clientId: fromEnv.clientId ?? stored?.clientId,
    clientSecret: fromEnv.clientSecret ?? stored?.clientSecret,
    tokenUrl: fromEnv.tokenUrl ?? stored?.tokenUrl ?? preset?.tokenUrl,
    scope: stored?.scope ?? preset?.refreshScope,
    provider: stored?.provider ?? preset?.provider,
    ...(stored && refreshToken === stored.refreshToken ? { store: loginFile(env, settings.user) } : {}),
  };
  if (!oauth.refreshToken && !oauth.accessToken) {
    throw new UsageError(
      `no OAuth token for ${settings.user}: nobody signed in on this machine, and SMTP_OAUTH_REFRESH_TOKEN is not set`,
      `run \`${login}\` once on this machine; for a scheduled job, \`${login} --print\` shows the values to store as CI secrets`,
    );
  }
  if (oauth.refreshToken) {
    if (!oauth.clientId)
      throw new UsageError(
        'a refresh token needs the client ID it was issued to, and SMTP_OAUTH_CLIENT_ID is not set',
        `set SMTP_OAUTH_CLIENT_ID (\`${login} --print\` shows it)`,
      );
    if (!oauth.tokenUrl) {
      throw new UsageError(
        'the authorisation server is not known, so the refresh token cannot be used',
        'set SMTP_OAUTH_TOKEN_URL, or smtp.provider (microsoft365, google) in invite.yaml',
      );
    }
    oauth.tokenUrl = checkEndpoint(oauth.tokenUrl, 'SMTP_OAUTH_TOKEN_URL');
  }
  return oauth;
}
