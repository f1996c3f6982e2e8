// `invite login microsoft|google`: signs in to the organiser's mailbox with OAuth 2.0 and keeps
// the refresh token in a 0600 file of the user's configuration folder (never the campaign's, which
// is committed); --print shows it once, for a scheduled job's secrets.
import { EXIT, shownPath, UsageError } from '../errors.js';
import { isInteractive, type Io } from '../io.js';
import { deviceCodeLogin, loopbackLogin, mailboxOf, type LoginIo } from '../transports/login.js';
import { checkEndpoint, saveLogin } from '../transports/oauth.js';
import { googleEndpoints, microsoftEndpoints, type OAuthEndpoints, type OAuthProvider } from '../transports/providers.js';

export interface LoginOptions {
  clientId?: string;
  clientSecret?: string;
  tenant?: string;
  user?: string;
  print?: boolean;
  browser?: boolean;
  tokenUrl?: string;
  deviceUrl?: string;
  authorizeUrl?: string;
  /** Seconds to wait for the person. */
  wait?: number;
}

const PRESET: Record<OAuthProvider, { yaml: string; description: string }> = {
  microsoft: { yaml: 'microsoft365', description: 'Microsoft 365' },
  google: { yaml: 'google', description: 'Google' },
};

/** The provider's endpoints, each replaceable (another cloud, a test server): https, or http on 127.0.0.1 alone. */
function endpointsFor(provider: OAuthProvider, options: LoginOptions, env: NodeJS.ProcessEnv): OAuthEndpoints {
  const preset = provider === 'microsoft' ? microsoftEndpoints(options.tenant) : googleEndpoints();
  const tokenUrl = options.tokenUrl ?? env.SMTP_OAUTH_TOKEN_URL;
  return {
    ...preset,
    tokenUrl: checkEndpoint(tokenUrl ?? preset.tokenUrl, tokenUrl ? '--token-url' : 'the token endpoint'),
    ...(preset.deviceUrl ? { deviceUrl: checkEndpoint(options.deviceUrl ?? preset.deviceUrl, '--device-url') } : {}),
    ...(preset.authorizeUrl ? { authorizeUrl: checkEndpoint(options.authorizeUrl ?? preset.authorizeUrl, '--authorize-url') } : {}),
  };
}

export async function loginCommand(providerName: string, options: LoginOptions, io: Io): Promise<number> {
  const { provider, clientId, clientSecret } = loginRequest(providerName, options, io.env);
  const endpoints = endpointsFor(provider, options, io.env);
  const client = { clientId, clientSecret };
  const loginIo = loginIoFor(options, io);
  const tokens = provider === 'microsoft' ? await deviceCodeLogin(endpoints, client, loginIo) : await loopbackLogin(endpoints, client, loginIo, options.user);
  const user = options.user ?? mailboxOf(tokens.id_token);
  if (!user)
    throw new UsageError('signed in, but the provider did not say which mailbox this is', `run it again with --user ADDRESS (the mailbox you signed in as)`);
  const file = saveLogin(io.env, {
    provider,
    user,
    clientId,
    ...(clientSecret ? { clientSecret } : {}),
    ...(options.tenant ? { tenant: options.tenant } : {}),
    tokenUrl: endpoints.tokenUrl,
    ...(endpoints.refreshScope ? { scope: endpoints.refreshScope } : {}),
    refreshToken: tokens.refresh_token,
    savedAt: new Date().toISOString(),
  });
  tellLogin({ provider, user, clientId, clientSecret, tokenUrl: endpoints.tokenUrl, refreshToken: tokens.refresh_token, file }, options, io);
  return EXIT.ok;
}

/** The provider and the app to sign in with, or a usage error saying what is missing. */
function loginRequest(providerName: string, options: LoginOptions, env: NodeJS.ProcessEnv) {
  const provider = providerName.toLowerCase() as OAuthProvider;
  if (provider !== 'microsoft' && provider !== 'google')
    throw new UsageError(
      `invite login ${providerName}: unknown provider`,
      'invite login microsoft (Microsoft 365) or invite login google (Google Workspace, Gmail)',
    );
  if (options.tenant && provider !== 'microsoft') throw new UsageError('--tenant is for Microsoft', 'leave it out for Google');
  const clientId = options.clientId ?? env.SMTP_OAUTH_CLIENT_ID;
  const clientSecret = options.clientSecret ?? env.SMTP_OAUTH_CLIENT_SECRET;
  if (!clientId) {
    throw new UsageError(
      'invite login needs the client ID of an app registered for your organisation',
      provider === 'microsoft'
        ? 'pass --client-id (Entra admin centre: App registrations; public client flows on, delegated permission SMTP.Send); the README, "Sending from Microsoft 365 or Google", walks through it'
        : 'pass --client-id and --client-secret of a "Desktop app" OAuth client (Google Cloud console: APIs & Services, Credentials); the README, "Sending from Microsoft 365 or Google", walks through it',
    );
  }
  return { provider, clientId, clientSecret };
}

/** How the sign-in talks to the person: the terminal, the browser (not with --no-browser or without a terminal), the clock. */
function loginIoFor(options: LoginOptions, io: Io): LoginIo {
  const interactive = isInteractive(io);
  return {
    say: (line) => io.stderr.write(line + '\n'),
    // The browser opens only for a person at a terminal who did not say --no-browser.
    open:
      interactive && options.browser !== false
        ? async (url) => {
            const { default: open } = await import('open');
            await open(url);
          }
        : undefined,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    timeoutMs: (options.wait ?? 600) * 1000,
  };
}

/** Where the login is kept, what invite.yaml needs, and with --print the values for a scheduled job. */
function tellLogin(
  login: { provider: OAuthProvider; user: string; clientId: string; clientSecret?: string; tokenUrl: string; refreshToken: string; file: string },
  options: LoginOptions,
  io: Io,
): void {
  const { provider, user, clientId, clientSecret, file } = login;
  const { yaml, description } = PRESET[provider];
  io.stderr.write(
    [
      `Signed in to ${description} as ${user}. The refresh token is kept in ${shownPath(file)} (readable by you alone).`,
      'To send with it, invite.yaml needs:',
      '  smtp:',
      `    provider: ${yaml}`,
      `    user: ${user}`,
      '    auth: oauth2',
      ...(options.tenant ? [`    tenant: ${options.tenant}`] : []),
      'Then check the login, sending nothing: invite check-smtp',
    ].join('\n') + '\n',
  );
  if (options.print) {
    // Shown this once, for the secrets of a scheduled job; the file above is what this machine uses.
    io.stderr.write('For a scheduled job, store these as its secrets (the refresh token is shown only now):\n');
    io.stdout.write(
      [
        `SMTP_USER=${user}`,
        `SMTP_OAUTH_CLIENT_ID=${clientId}`,
        ...(clientSecret ? [`SMTP_OAUTH_CLIENT_SECRET=${clientSecret}`] : []),
        `SMTP_OAUTH_TOKEN_URL=${login.tokenUrl}`,
        `SMTP_OAUTH_REFRESH_TOKEN=${login.refreshToken}`,
      ].join('\n') + '\n',
    );
  }
}
