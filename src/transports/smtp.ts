// SMTP: the run's own pool of nodemailer SMTPConnections, a login with a password or an OAuth 2.0
// token (XOAUTH2) settled before the first message, and every error sorted by nodemailer's codes
// into "stop the run", "this recipient, for good" and "try again".
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Message } from '../compose/compose.js';
import { DeliveryStop, OutcomeUnknown, RecipientFailure, stripSecrets, UsageError } from '../errors.js';
import { envelopeOf, MimeWriter } from '../mime/mime.js';
import { explainAnswer } from './answers.js';
import { AccessTokens, oauthFailure } from './oauth.js';
import type { SmtpSettings } from './settings.js';
import type { Transport } from './transport.js';

/** Asks for the password on the terminal, without echo; absent where there is no terminal. */
export type AskPassword = (question: string) => Promise<string>;

/** A login settled before anything is sent: what nodemailer's login() takes, and every secret it involves. */
export interface Login {
  method: SmtpSettings['auth'];
  /** The password, as given or as typed at the prompt. */
  pass?: string;
  tokens?: AccessTokens;
}

/** Every secret of a login, for stripSecrets. */
function secretsOf(settings: SmtpSettings, login?: Login) {
  return { user: settings.user, pass: login?.pass ?? settings.pass, tokens: login?.tokens?.secrets() ?? [] };
}

/**
 * Settles the login: a password that is missing is asked for on a terminal (never echoed), or is
 * a usage error naming SMTP_PASS (nothing was refused: nothing was tried); an OAuth login gets
 * its first access token, so a refused refresh token is found before the question and the send.
 */
export async function settleLogin(settings: SmtpSettings, env: NodeJS.ProcessEnv, askPassword?: AskPassword): Promise<Login> {
  if (settings.auth === 'none') return { method: 'none' };
  if (settings.auth === 'oauth2') {
    const tokens = await AccessTokens.create(settings.user!, settings.oauth!, settings.timeoutMs, env);
    await tokens.first((text) => stripSecrets(text, secretsOf(settings, { method: 'oauth2', tokens })));
    return { method: 'oauth2', tokens };
  }
  if (settings.pass) return { method: 'password', pass: settings.pass };
  const oauthHint = settings.provider?.oauth
    ? `; ${settings.provider.description} also takes OAuth: \`invite login ${settings.provider.name === 'google' ? 'google' : 'microsoft'}\``
    : '';
  if (!settings.user) throw new UsageError('no SMTP user for the password login (smtp.auth: password)', `set SMTP_USER and SMTP_PASS${oauthHint}`);
  if (!askPassword) {
    throw new UsageError(
      `no SMTP password for ${settings.user}: SMTP_PASS is not set, and there is no terminal to ask on`,
      `set SMTP_PASS (in a scheduled job: a CI secret)${oauthHint}`,
    );
  }
  const pass = await askPassword(`SMTP password for ${settings.user} at ${settings.host}:`);
  if (!pass) throw new UsageError(`no SMTP password given for ${settings.user}`, `type it at the question, or set SMTP_PASS${oauthHint}`);
  return { method: 'password', pass };
}

/** What a connection found out about the server, for `invite check-smtp`. */
export interface ServerFacts {
  /** The first line of the server's EHLO answer: its name. */
  name: string;
  /** TLSv1.3 …, or undefined for a connection that stayed plain. */
  tls?: string;
  cipher?: string;
  /** STARTTLS (upgraded) or implicit (smtps://). */
  tlsBy?: 'STARTTLS' | 'implicit TLS';
  extensions: string[];
  authMethods: string[];
  /** SIZE the server announced, in bytes; 0 when none. */
  maxSize: number;
  /** The login method used (PLAIN, LOGIN, XOAUTH2, …); undefined when no login was made. */
  loggedInWith?: string;
}

/** nodemailer keeps these on the connection without declaring them. */
interface ConnectionInternals {
  _socket?: { getProtocol?(): string | null; getCipher?(): { name: string }; setTimeout?(ms: number): unknown };
  _supportedExtensions?: string[];
  _supportedAuth?: string[];
  _maxAllowedSize?: number;
  _authMethod?: string | false;
  lastServerResponse?: string | false;
  secure?: boolean;
}

export function factsOf(connection: SMTPConnection, settings: SmtpSettings, { loggedIn, ehlo }: Opened): ServerFacts {
  const c = connection as unknown as ConnectionInternals;
  const protocol = c._socket?.getProtocol?.() ?? undefined;
  return {
    name: ehlo
      .split('\n')[0]!
      .replace(/^250[- ]/, '')
      .trim(),
    tls: protocol || undefined,
    cipher: protocol ? c._socket?.getCipher?.().name : undefined,
    tlsBy: protocol ? (settings.secure ? 'implicit TLS' : 'STARTTLS') : undefined,
    extensions: [...(c._supportedExtensions ?? [])],
    authMethods: [...(c._supportedAuth ?? [])],
    maxSize: c._maxAllowedSize ?? 0,
    loggedInWith: loggedIn && c._authMethod ? String(c._authMethod) : undefined,
  };
}

/** A new connection, not yet open: the same options as nodemailer's pooled transport would give it. */
export async function newConnection(settings: SmtpSettings): Promise<SMTPConnection> {
  // nodemailer is loaded when the first connection is made (later imports find it loaded).
  const { default: Connection } = await import('nodemailer/lib/smtp-connection/index.js');
  return new Connection({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    tls: { rejectUnauthorized: !settings.insecureTls },
    // No credentials before TLS: with a login, smtp:// must be upgraded by STARTTLS or the
    // connection fails before AUTH (a server that "forgets" STARTTLS may be someone in between).
    requireTLS: plainAuthRefused(settings),
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
    // After our end of a connection closes, a server that never closes its own (a hung one) is
    // cut after a second, not nodemailer's five: the run would otherwise linger that long.
    socketCloseTimeout: 1000,
  });
}

/** A connection made ready: whether it logged in, and the server's answer to EHLO (its name first). */
export interface Opened {
  loggedIn: boolean;
  ehlo: string;
}

/**
 * Connects, upgrades to TLS, and logs in when the settings say so and the server offers AUTH.
 * `onGone` hears of the connection ending (an error, or the server closing it), at any time.
 */
export function openConnection(connection: SMTPConnection, settings: SmtpSettings, login: Login, onGone: () => void): Promise<Opened> {
  return new Promise<Opened>((resolve, reject) => {
    let settled = false;
    let ehlo = '';
    const settle = (error?: Error, loggedIn = false) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve({ loggedIn, ehlo });
    };
    // A connection-level error also fails the send in flight, through its own callback.
    connection.on('error', (error: Error) => {
      onGone();
      settle(error);
    });
    connection.once('end', () => {
      onGone();
      settle(Object.assign(new Error('the server closed the connection'), { code: 'ECONNECTION' }));
    });
    connection.connect(() => {
      ehlo = String((connection as unknown as ConnectionInternals).lastServerResponse || '');
      // As nodemailer's pool: log in when there is a login and the server offers AUTH.
      if (login.method === 'none' || !connection.allowsAuth) return settle();
      const auth =
        login.method === 'oauth2'
          ? { user: settings.user, oauth2: login.tokens!.xoauth2, method: 'XOAUTH2' }
          : { credentials: { user: settings.user ?? '', pass: login.pass ?? '' } };
      connection.login(auth, (error) => {
        // Settled first: closing emits 'end', which would report a closed connection instead.
        settle(error ?? undefined, !error);
        if (error) {
          onGone();
          connection.close();
        }
      });
    });
  });
}

/** One SMTP connection of the run's own pool, with the send it carries. */
interface PooledConnection {
  connection: SMTPConnection;
  /** Fails the message in flight when the run cuts the connection (abort). */
  fail?: (error: Error) => void;
}

/**
 * SMTP through nodemailer's SMTPConnection, one connection per message in flight (deliver()
 * never has more messages in flight than connections). The same connection options, login and
 * errors as nodemailer's pooled transport, without its mailer layer: the message is already
 * built, so its bytes are written as they are (a stream pipeline per message in the mailer
 * costs as much as building the message).
 */
export function smtpTransport(settings: SmtpSettings, env: NodeJS.ProcessEnv, askPassword?: AskPassword): Transport {
  // The run's MIME writer: one per transport, so nothing it keeps outlives the run.
  const mime = new MimeWriter();
  const pool = new ConnectionPool(settings);
  let login: Login | undefined;
  const ready = async () => {
    login ??= await settleLogin(settings, env, askPassword);
  };
  const description = `${settings.host}:${settings.port}`;
  return {
    description,
    mode: 'smtp',
    needs: { journal: true, retries: true, progress: true },
    connections: settings.connections,
    done: (what, sender) => `Sent ${what} through ${description} as ${sender}.`,
    ready,
    async send(message) {
      await ready();
      const raw = await mime.build(message);
      let pooled: PooledConnection | undefined;
      try {
        pooled = pool.idle.pop() ?? (await pool.connect(login!));
        const response = await pool.sendOn(pooled, message, raw);
        // The server has every byte (its reply follows the final dot): the buffer can take the next message.
        mime.recycle(raw);
        await pool.release(pooled);
        return { response };
      } catch (error) {
        if (pooled) await pool.release(pooled, error as NodemailerError);
        throw classifySmtpError(error, settings, login);
      }
    },
    async close() {
      pool.closeAll();
    },
    async abort() {
      // Ctrl-C's grace is over: every connection ends now, and the messages they carry fail (not sent, or not known to be).
      pool.closeAll(Object.assign(new Error('the connection was closed when the run was stopped'), { code: 'ECONNECTION' }));
    },
  };
}

/** The run's connections: those idle, and every one still usable (one closed by the server, a network error or us leaves it). */
class ConnectionPool {
  readonly idle: PooledConnection[] = [];
  private readonly open = new Set<PooledConnection>();

  constructor(private readonly settings: SmtpSettings) {}

  private drop(pooled: PooledConnection): void {
    this.open.delete(pooled);
    const at = this.idle.indexOf(pooled);
    if (at >= 0) this.idle.splice(at, 1);
  }

  private discard(pooled: PooledConnection): void {
    this.drop(pooled);
    pooled.connection.close();
  }

  async connect(login: Login): Promise<PooledConnection> {
    const pooled: PooledConnection = { connection: await newConnection(this.settings) };
    this.open.add(pooled);
    await openConnection(pooled.connection, this.settings, login, () => this.drop(pooled));
    return pooled;
  }

  /**
   * Sends one message. The wait for the reply to the final dot has its own timeout (RFC 5321
   * §4.5.3.2: 10 minutes), and an error after the dot without a reply is marked `afterData`: the
   * server may have the message. A reply that is not a well-formed 2xx is not an acceptance.
   */
  sendOn(pooled: PooledConnection, message: Message, raw: Buffer): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const socket = () => (pooled.connection as unknown as ConnectionInternals)._socket;
      let whole = false;
      const fail = (error: Error) => {
        pooled.fail = undefined;
        reject(whole ? Object.assign(error, { afterData: true }) : error);
      };
      pooled.fail = fail;
      const body = new MessageBody(raw, () => {
        whole = true;
        socket()?.setTimeout?.(this.settings.dataTimeoutMs);
      });
      pooled.connection.send(envelopeOf(message), body as unknown as Readable, (error, info) => {
        if (pooled.fail !== fail) return;
        if (error) return fail(error);
        pooled.fail = undefined;
        socket()?.setTimeout?.(this.settings.timeoutMs);
        const response = String(info.response ?? '');
        if (positiveReply(response)) resolve(response);
        else reject(Object.assign(new Error(`the server's reply to the message is not an SMTP reply: ${JSON.stringify(response)}`), { code: 'EREPLY' }));
      });
    });
  }

  /** After a refused address or message the connection goes on (RSET), as in nodemailer's pool; after anything else it is closed. */
  async release(pooled: PooledConnection, error?: NodemailerError): Promise<void> {
    if (!this.open.has(pooled)) return;
    const refused = error && (error.code === 'EENVELOPE' || error.code === 'EMESSAGE') && error.responseCode !== 421;
    const reusable = !error || (refused && (await new Promise<boolean>((resolve) => pooled.connection.reset((e) => resolve(!e)))));
    if (reusable && this.open.has(pooled)) this.idle.push(pooled);
    else this.discard(pooled);
  }

  /** Ends every connection now; with `failure`, the messages they carry fail with it. */
  closeAll(failure?: Error): void {
    for (const pooled of [...this.open]) {
      this.discard(pooled);
      if (failure) pooled.fail?.(failure);
    }
  }
}

/**
 * A message's bytes as nodemailer takes a stream (it pipes anything with `pipe` and `on`): piped
 * whole at once, as nodemailer writes a buffer, and then `whole` is told — the moment the final
 * dot follows and the wait for the reply begins. A Readable per message would tell the same by its
 * 'end', at about 4 % of the SMTP throughput (its pipe machinery per message).
 */
class MessageBody extends EventEmitter {
  constructor(
    private readonly raw: Buffer,
    private readonly whole: () => void,
  ) {
    super();
  }

  pipe<T extends NodeJS.WritableStream>(destination: T): T {
    destination.write(this.raw);
    destination.end();
    this.whole();
    return destination;
  }

  /** nodemailer releases a stream it will not send; there is nothing to release. */
  destroy(): void {}
}

/**
 * A well-formed positive completion reply (RFC 5321 §4.2): every line a 2yz code of digits, the
 * same code on each, "-" between the lines of a multi-line reply and a space (or nothing) after
 * the last. "2x0 ok" or "250ok" are not one.
 */
export function positiveReply(reply: string): boolean {
  const lines = reply.replace(/\r?\n$/, '').split(/\r?\n/);
  const code = /^2[0-5][0-9]/.exec(lines[0] ?? '')?.[0];
  if (!code) return false;
  return lines.every((line, i) => line.startsWith(code) && (i < lines.length - 1 ? line[3] === '-' : line.length === 3 || line[3] === ' '));
}

interface NodemailerError {
  /** nodemailer's own code: EAUTH, ETLS, ESOCKET, ECONNECTION, ETIMEDOUT, EDNS, EPROTOCOL, … */
  code?: string;
  /** The system error under it, kept by nodemailer: ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, EOAUTH2 … */
  originalCode?: string;
  responseCode?: number;
  /** nodemailer's verdict on the reply code: 5xx except 503. */
  permanent?: boolean;
  message?: string;
  /** Set by sendOn: the error came after the whole message was written (the final dot). */
  afterData?: boolean;
}

/** Credentials would go over smtp://: STARTTLS is then required, unless the organiser allowed plain AUTH. */
function plainAuthRefused(settings: SmtpSettings): boolean {
  return !settings.secure && settings.auth !== 'none' && !settings.allowPlainAuth;
}

/** Codes of a certificate that could not be verified (Node's TLS, OpenSSL). */
const CERTIFICATE =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT(_LOCALLY)?)|CERT_[A-Z_]+|ERR_TLS_CERT_ALTNAME_INVALID)$/;
/** The server cannot be reached at all. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** The connection failed, not the message: worth another try. */
const NETWORK = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EPROTOCOL', 'EDNS']);

/** The hint for a refused login, by how invite logged in. */
function loginHint(settings: SmtpSettings): string {
  if (settings.auth === 'oauth2') {
    return `the access token was refused: it must be for ${settings.user} and allow SMTP (Microsoft: SMTP.Send; Google: https://mail.google.com/); sign in again with \`invite login\``;
  }
  return 'check SMTP_USER and SMTP_PASS (or the user and password in the SMTP URL)';
}

/**
 * Sorts a nodemailer error into "stop the run", "this recipient, for good" or "try again" by
 * its codes (nodemailer's `code`, the system's `originalCode`, the reply's `responseCode`),
 * never by its wording; the wording only chooses the hint, and a provider's answer that every
 * message would get alike (a sender it may not send as) stops the run.
 */
export function classifySmtpError(error: unknown, settings: SmtpSettings, login?: Login): Error {
  const e = (error ?? {}) as NodemailerError;
  const text = stripSecrets(String(e.message ?? error), secretsOf(settings, login));
  const where = `${settings.host}:${settings.port}`;
  const explained = explainAnswer(text);
  // The token could not be renewed when the server said it expired: what the authorisation server said.
  if (e.originalCode === 'EOAUTH2' && settings.oauth) return oauthFailure(error, settings.oauth, (t) => stripSecrets(t, secretsOf(settings, login)));
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    return new DeliveryStop(`the SMTP server ${where} refused the login: ${text}`, explained?.hint ?? loginHint(settings));
  }
  // STARTTLS failures reach us as ETLS with only the text left of the certificate error.
  const certificate = CERTIFICATE.test(e.originalCode ?? '') || (e.code === 'ETLS' && /certificate|self[- ]signed|unable to verify/i.test(text));
  if (certificate) {
    return new DeliveryStop(
      `the TLS certificate of ${where} could not be verified: ${text}`,
      "use the server's real host name, add its CA with NODE_EXTRA_CA_CERTS, or (only for a test server) pass --insecure-tls",
    );
  }
  if (e.code === 'ETLS' && plainAuthRefused(settings) && /STARTTLS/.test(text)) {
    return new DeliveryStop(
      `the SMTP server ${where} offers no STARTTLS, so the ${settings.auth === 'oauth2' ? 'access token' : 'password'} was not sent (it would go unencrypted)`,
      'use smtps:// (usually port 465) or a server that offers STARTTLS; only for a relay on this machine or network, pass --allow-plain-auth',
    );
  }
  // smtps:// to a port that speaks plain SMTP: OpenSSL reads the greeting as a broken TLS record.
  if (settings.secure && (/^ERR_SSL_/.test(e.originalCode ?? '') || /wrong version number|packet length too long|unknown protocol/i.test(text))) {
    return new DeliveryStop(
      `TLS with ${where} failed: the server does not speak TLS on this port (${text})`,
      'smtps:// is for TLS from the first byte (usually port 465); for port 587 or 25 use smtp://, which upgrades with STARTTLS',
    );
  }
  if (e.code === 'ETLS' || e.code === 'EREQUIRETLS') {
    return new DeliveryStop(`TLS with ${where} failed: ${text}`, 'smtps:// is usually port 465, smtp:// with STARTTLS port 587');
  }
  // The whole message went out and no reply came: the server may have it (never a blind retry).
  if (e.afterData && e.responseCode === undefined) {
    return new OutcomeUnknown(
      e.code === 'ETIMEDOUT'
        ? `no reply from ${where} within ${settings.dataTimeoutMs / 1000} s of the whole message (${text}); the server may have it`
        : `the connection to ${where} ended after the whole message was sent, before its reply (${text}); the server may have it`,
    );
  }
  // Not an SMTP reply after the message: a failure, not retried in this run (the server may be confused, not slow).
  if (e.code === 'EREPLY') return new RecipientFailure(text, undefined, true, false);
  const code = e.responseCode;
  if (code !== undefined && code >= 400) {
    if (explained?.stops && code >= 500) return new DeliveryStop(`the SMTP server ${where} refused the message: ${text}`, explained.hint);
    const permanent = e.permanent ?? (code >= 500 && code !== 503);
    return new RecipientFailure(text, code, permanent, false);
  }
  const unreachable = e.code === 'EDNS' || UNREACHABLE.has(e.originalCode ?? '');
  if (unreachable) return new RecipientFailure(`cannot connect to the SMTP server ${where}: ${text}`, code, false, true, true);
  return new RecipientFailure(text, code, false, NETWORK.has(e.code ?? ''));
}
