// Provider presets: where a well-known mailbox provider's SMTP server is (nodemailer's own list
// of well-known services, not a table of ours), plus what nodemailer does not know: the OAuth 2.0
// endpoints of Microsoft 365 and Google, and the sending limits they publish (the default rate).
import wellKnown from 'nodemailer/lib/well-known';

export type OAuthProvider = 'microsoft' | 'google';

/** What invite needs to sign in to a provider with OAuth 2.0 and to refresh its tokens. */
export interface OAuthEndpoints {
  provider: OAuthProvider;
  /** Where a code or a refresh token becomes an access token. */
  tokenUrl: string;
  /** Microsoft: the device authorisation endpoint (RFC 8628). */
  deviceUrl?: string;
  /** Google: the authorisation endpoint the browser is sent to (loopback redirect, RFC 8252). */
  authorizeUrl?: string;
  /** The scope that lets the token log in to SMTP (offline_access: a refresh token comes with it). */
  scope: string;
  /** Sent again with each refresh (Microsoft's v2.0 endpoint asks for it; Google needs none). */
  refreshScope?: string;
}

export interface Provider {
  /** The name invite.yaml uses: `smtp.provider`. */
  name: string;
  description: string;
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS. */
  secure: boolean;
  oauth?: (tenant?: string) => OAuthEndpoints;
  /** The provider's published limit, as invite's default rate (`sending.rate` and --rate override it). */
  rate?: string;
  /** What the README and `check-smtp` say about the provider's daily limits. */
  limits?: string;
}

const MICROSOFT_LOGIN = 'https://login.microsoftonline.com';

/** Microsoft's identity platform: `tenant` is the directory (its ID or domain), `common` for any. */
export function microsoftEndpoints(tenant = 'common'): OAuthEndpoints {
  const base = `${MICROSOFT_LOGIN}/${encodeURIComponent(tenant)}/oauth2/v2.0`;
  return {
    provider: 'microsoft',
    tokenUrl: `${base}/token`,
    deviceUrl: `${base}/devicecode`,
    scope: 'https://outlook.office.com/SMTP.Send offline_access openid email',
    refreshScope: 'https://outlook.office.com/SMTP.Send offline_access',
  };
}

export function googleEndpoints(): OAuthEndpoints {
  return {
    provider: 'google',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    scope: 'https://mail.google.com/ openid email',
  };
}

/** invite's own names for the two providers that need OAuth, and the nodemailer service each is. */
const OAUTH_PRESETS: Record<string, { service: string; name: string; oauth: (tenant?: string) => OAuthEndpoints; rate?: string; limits: string }> = {
  microsoft365: {
    service: 'Outlook365',
    name: 'microsoft365',
    oauth: microsoftEndpoints,
    // Exchange Online's sending limits: 30 messages a minute, 10,000 recipients a day.
    rate: '30/min',
    limits: 'Microsoft 365 accepts at most 30 messages a minute and 10,000 recipients a day per mailbox',
  },
  google: {
    service: 'Gmail',
    name: 'google',
    oauth: googleEndpoints,
    limits:
      'Google Workspace accepts about 2,000 messages a day per user (500 for a trial account or a gmail.com account): use sending.max to spread a long list over several days',
  },
};

const ALIASES: Record<string, string> = {
  microsoft365: 'microsoft365',
  microsoft: 'microsoft365',
  m365: 'microsoft365',
  office365: 'microsoft365',
  outlook365: 'microsoft365',
  exchangeonline: 'microsoft365',
  google: 'google',
  gmail: 'google',
  googlemail: 'google',
  googleworkspace: 'google',
  gsuite: 'google',
};

const key = (name: string) => name.replace(/[^a-zA-Z0-9]/g, '').toLowerCase();

/** A provider by invite's name (microsoft365, google) or any name nodemailer knows (FastMail, iCloud, …); undefined when unknown. */
export function findProvider(name: string): Provider | undefined {
  const preset = OAUTH_PRESETS[ALIASES[key(name)] ?? ''];
  const service = wellKnown(preset?.service ?? name);
  if (!service || !service.host) return undefined;
  const port = Number(service.port ?? (service.secure ? 465 : 587));
  return {
    name: preset?.name ?? name,
    description: service.description ?? name,
    host: service.host,
    port,
    secure: Boolean(service.secure),
    ...(preset ? { oauth: preset.oauth, rate: preset.rate, limits: preset.limits } : {}),
  };
}

/** The OAuth provider `invite login` names (microsoft, google), for a stored login. */
export function oauthPresetOf(provider: OAuthProvider): Provider {
  return findProvider(provider === 'microsoft' ? 'microsoft365' : 'google')!;
}
