// Transports: where a composed message goes. SMTP, .eml files and the stdout preview share
// one small interface (nodemailer's sendMail seam), so deliver() does not care which it has.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { ChalkInstance } from 'chalk';
import { formatSize } from './attachments.js';
import type { Message } from './compose.js';
import { DEFAULTS } from './defaults.js';
import { DeliveryStop, printable, RecipientFailure, shownPath, stripSecrets, UsageError } from './errors.js';
import { buildRaw, envelopeOf } from './mime.js';
import { shownPerson } from './words.js';

export interface Receipt {
  /** The server's reply, or where the message was written. */
  response: string;
}

/** What a transport asks of the run around it, so no caller has to switch on which one it is. */
export interface TransportNeeds {
  /** Messages really leave: take the journal's lock, record every outcome, ask before starting. */
  journal: boolean;
  /** Temporary failures are worth retrying, at a kept rate, over several connections. */
  retries: boolean;
  /** A progress bar (on a terminal) or progress lines (in a log) while it works. */
  progress: boolean;
}

export interface Transport {
  /** What the organiser reads in prompts and summaries; never a secret. */
  readonly description: string;
  /** For the JSON summary only. */
  readonly mode: 'smtp' | 'eml' | 'dry-run' | 'preview';
  readonly needs: TransportNeeds;
  /** Messages at once (one per connection). */
  readonly connections: number;
  /** The summary's first line: "Sent 9 invitations through …", "Wrote 9 invitations as .eml files to out/". */
  done(what: string, sender: string): string;
  send(message: Message): Promise<Receipt>;
  close(): Promise<void>;
  /** Ends every connection now, even one carrying a message (after Ctrl-C's grace time). */
  abort(): Promise<void>;
}

export interface SmtpSettings {
  host: string;
  port: number;
  /** smtps:// (TLS from the first byte); smtp:// upgrades with STARTTLS when offered. */
  secure: boolean;
  user?: string;
  pass?: string;
  insecureTls: boolean;
  /** Log in even without TLS (smtp:// to a server without STARTTLS): only when asked for, loudly. */
  allowPlainAuth: boolean;
  timeoutMs: number;
  /** Parallel SMTP connections. */
  connections: number;
}

/**
 * Reads an smtp:// or smtps:// URL; SMTP_USER and SMTP_PASS override the URL's credentials.
 * Timeout and connections are invite's defaults here; the run sets invite.yaml's and the flags'.
 */
export function parseSmtpUrl(url: string, env: NodeJS.ProcessEnv): SmtpSettings {
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
  const user = env.SMTP_USER || decodeURIComponent(parsed.username) || undefined;
  const pass = env.SMTP_PASS || decodeURIComponent(parsed.password) || undefined;
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    user,
    pass,
    insecureTls: false,
    allowPlainAuth: false,
    timeoutMs: DEFAULTS.timeoutSeconds * 1000,
    connections: DEFAULTS.connections,
  };
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
export function smtpTransport(settings: SmtpSettings): Transport {
  let Connection: typeof SMTPConnection | undefined;
  const idle: PooledConnection[] = [];
  /** Every connection still usable; one closed by the server, a network error or us leaves it. */
  const open = new Set<PooledConnection>();
  const drop = (pooled: PooledConnection) => {
    open.delete(pooled);
    const at = idle.indexOf(pooled);
    if (at >= 0) idle.splice(at, 1);
  };
  const discard = (pooled: PooledConnection) => {
    drop(pooled);
    pooled.connection.close();
  };

  const connect = async (): Promise<PooledConnection> => {
    // nodemailer is loaded when the first message goes out.
    Connection ??= (await import('nodemailer/lib/smtp-connection/index.js')).default;
    const connection = new Connection({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      tls: { rejectUnauthorized: !settings.insecureTls },
      // No password before TLS: with credentials, smtp:// must be upgraded by STARTTLS or the
      // connection fails before AUTH (a server that "forgets" STARTTLS may be someone in between).
      requireTLS: plainAuthRefused(settings),
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs,
    });
    const pooled: PooledConnection = { connection };
    open.add(pooled);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      // A connection-level error also fails the send in flight, through its own callback.
      connection.on('error', (error: Error) => {
        drop(pooled);
        settle(error);
      });
      connection.once('end', () => {
        drop(pooled);
        settle(Object.assign(new Error('the server closed the connection'), { code: 'ECONNECTION' }));
      });
      connection.connect(() => {
        // As nodemailer's pool: log in when there are credentials and the server offers AUTH.
        if (!(settings.user || settings.pass) || !connection.allowsAuth) return settle();
        connection.login({ credentials: { user: settings.user ?? '', pass: settings.pass ?? '' } } as never, (error) => {
          settle(error ?? undefined);
          if (error) discard(pooled);
        });
      });
    });
    return pooled;
  };

  const sendOn = (pooled: PooledConnection, message: Message, raw: Buffer) =>
    new Promise<string>((resolve, reject) => {
      pooled.fail = reject;
      pooled.connection.send(envelopeOf(message), raw, (error, info) => {
        pooled.fail = undefined;
        if (error) reject(error);
        else resolve(String(info.response ?? ''));
      });
    });

  /** After a refused address or message the connection goes on (RSET), as in nodemailer's pool; after anything else it is closed. */
  const release = async (pooled: PooledConnection, error?: NodemailerError) => {
    if (!open.has(pooled)) return;
    const refused = error && (error.code === 'EENVELOPE' || error.code === 'EMESSAGE') && error.responseCode !== 421;
    const reusable = !error || (refused && (await new Promise<boolean>((resolve) => pooled.connection.reset((e) => resolve(!e)))));
    if (reusable && open.has(pooled)) idle.push(pooled);
    else discard(pooled);
  };

  /** Ends every connection now; with `failure`, the messages they carry fail with it. */
  const closeAll = (failure?: Error) => {
    for (const pooled of [...open]) {
      discard(pooled);
      if (failure) pooled.fail?.(failure);
    }
  };

  const description = `${settings.host}:${settings.port}`;
  return {
    description,
    mode: 'smtp',
    needs: { journal: true, retries: true, progress: true },
    connections: settings.connections,
    done: (what, sender) => `Sent ${what} through ${description} as ${sender}.`,
    async send(message) {
      const raw = await buildRaw(message);
      let pooled: PooledConnection | undefined;
      try {
        pooled = idle.pop() ?? (await connect());
        const response = await sendOn(pooled, message, raw);
        await release(pooled);
        return { response };
      } catch (error) {
        if (pooled) await release(pooled, error as NodemailerError);
        throw classifySmtpError(error, settings);
      }
    },
    async close() {
      closeAll();
    },
    async abort() {
      // Ctrl-C's grace is over: every connection ends now, and the messages they carry fail (not sent, or not known to be).
      closeAll(Object.assign(new Error('the connection was closed when the run was stopped'), { code: 'ECONNECTION' }));
    },
  };
}

interface NodemailerError {
  /** nodemailer's own code: EAUTH, ETLS, ESOCKET, ECONNECTION, ETIMEDOUT, EDNS, EPROTOCOL, … */
  code?: string;
  /** The system error under it, kept by nodemailer: ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, … */
  originalCode?: string;
  responseCode?: number;
  /** nodemailer's verdict on the reply code: 5xx except 503. */
  permanent?: boolean;
  message?: string;
}

/** Credentials would go over smtp://: STARTTLS is then required, unless the organiser allowed plain AUTH. */
function plainAuthRefused(settings: SmtpSettings): boolean {
  return !settings.secure && Boolean(settings.user || settings.pass) && !settings.allowPlainAuth;
}

/** Codes of a certificate that could not be verified (Node's TLS, OpenSSL). */
const CERTIFICATE = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT(_LOCALLY)?)|CERT_[A-Z_]+|ERR_TLS_CERT_ALTNAME_INVALID)$/;
/** The server cannot be reached at all. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** The connection failed, not the message: worth another try. */
const NETWORK = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EPROTOCOL', 'EDNS']);

/**
 * Sorts a nodemailer error into "stop the run", "this recipient, for good" or "try again" by
 * its codes (nodemailer's `code`, the system's `originalCode`, the reply's `responseCode`),
 * never by its wording; the wording only chooses the hint.
 */
export function classifySmtpError(error: unknown, settings: SmtpSettings): Error {
  const e = (error ?? {}) as NodemailerError;
  const text = stripSecrets(String(e.message ?? error), settings);
  const where = `${settings.host}:${settings.port}`;
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    return new DeliveryStop(`the SMTP server ${where} refused the login: ${text}`, 'check SMTP_USER and SMTP_PASS (or the user and password in the SMTP URL)');
  }
  // STARTTLS failures reach us as ETLS with only the text left of the certificate error.
  const certificate = CERTIFICATE.test(e.originalCode ?? '') || (e.code === 'ETLS' && /certificate|self[- ]signed|unable to verify/i.test(text));
  if (certificate) {
    return new DeliveryStop(`the TLS certificate of ${where} could not be verified: ${text}`, "use the server's real host name, add its CA with NODE_EXTRA_CA_CERTS, or (only for a test server) pass --insecure-tls");
  }
  if (e.code === 'ETLS' && plainAuthRefused(settings) && /STARTTLS/.test(text)) {
    return new DeliveryStop(
      `the SMTP server ${where} offers no STARTTLS, so the password was not sent (it would go unencrypted)`,
      'use smtps:// (usually port 465) or a server that offers STARTTLS; only for a relay on this machine or network, pass --allow-plain-auth',
    );
  }
  // smtps:// to a port that speaks plain SMTP: OpenSSL reads the greeting as a broken TLS record.
  if (settings.secure && (/^ERR_SSL_/.test(e.originalCode ?? '') || /wrong version number|packet length too long|unknown protocol/i.test(text))) {
    return new DeliveryStop(`TLS with ${where} failed: the server does not speak TLS on this port (${text})`, 'smtps:// is for TLS from the first byte (usually port 465); for port 587 or 25 use smtp://, which upgrades with STARTTLS');
  }
  if (e.code === 'ETLS' || e.code === 'EREQUIRETLS') {
    return new DeliveryStop(`TLS with ${where} failed: ${text}`, 'smtps:// is usually port 465, smtp:// with STARTTLS port 587');
  }
  const code = e.responseCode;
  if (code !== undefined && code >= 400) {
    const permanent = e.permanent ?? (code >= 500 && code !== 503);
    return new RecipientFailure(text, code, permanent, false);
  }
  const unreachable = e.code === 'EDNS' || UNREACHABLE.has(e.originalCode ?? '');
  if (unreachable) return new RecipientFailure(`cannot connect to the SMTP server ${where}: ${text}`, code, false, true, true);
  return new RecipientFailure(text, code, false, NETWORK.has(e.code ?? ''));
}

/** An address as part of a file name: lower case, characters every file system takes. */
export function fileSafeAddress(email: string): string {
  return email.toLowerCase().replace(/[^a-z0-9@._-]+/g, '_');
}

/** Writes each message as a complete .eml file: the bytes SMTP would carry. */
export function emlTransport(dir: string): Transport {
  mkdirSync(dir, { recursive: true });
  let count = 0;
  return {
    description: dir,
    mode: 'eml',
    needs: { journal: false, retries: false, progress: false },
    connections: 1,
    done: (what) => `Wrote ${what} as .eml files to ${shownPath(dir)}.`,
    async send(message) {
      count += 1;
      const safe = fileSafeAddress(message.to.email);
      // Only characters every file system takes: reminder:week-before → reminder-week-before.
      const kind = message.kind.replace(/[^A-Za-z0-9.-]+/g, '-');
      const file = path.join(dir, `${String(count).padStart(3, '0')}-${kind}-${safe}.eml`);
      writeFileSync(file, await buildRaw(message));
      return { response: `written ${file}` };
    },
    async close() {},
    async abort() {},
  };
}

/**
 * Prints messages readably: headers, text body, attachments, the event. Sends nothing. Every
 * message is rendered (so every one is checked); the first is printed in full, or each one
 * with `everyMessage` (--all, --to, --limit). The run prints the table of recipients before.
 */
export function previewTransport(out: NodeJS.WritableStream, chalk: ChalkInstance, campaignId: string, everyMessage = true): Transport {
  let count = 0;
  return {
    description: 'preview (dry run)',
    mode: 'dry-run',
    needs: { journal: false, retries: false, progress: false },
    connections: 1,
    done: (what) => `Dry run: ${what} rendered for ${campaignId}; nothing sent.${!everyMessage && count > 1 ? ` The first is shown in full; --all shows every one, --to ADDRESS one of them.` : ''}`,
    async send(message) {
      count += 1;
      if (!everyMessage && count > 1) return { response: 'previewed' };
      // Contact data is shown, never obeyed: an escape sequence in a CSV cell prints as \x1B.
      const header = (name: string, value: string) => `${chalk.bold(`${name}:`)} ${printable(value)}`;
      const lines = [
        chalk.cyan(`── message ${count} ${'─'.repeat(50)}`),
        header('From', shownPerson(message.from)),
        ...(message.replyTo.length ? [header('Reply-To', message.replyTo.map(shownPerson).join(', '))] : []),
        header('To', shownPerson(message.to)),
        header('Subject', message.subject),
        header('Date', message.date.toUTCString()),
        header('Message-ID', message.messageId),
        '',
        printable(message.text.trimEnd()),
        '',
        chalk.bold('Attachments:'),
        ...message.attachments.map((a) => `  ${printable(a.filename)} (${formatSize(a.size)})`),
        ...(message.calendar.content === undefined ? [] : [`  invite.ics (calendar, METHOD:${message.calendar.method}, SEQUENCE:${message.calendar.sequence})`]),
        `${chalk.bold('Event:')} ${message.calendar.method === 'CANCEL' ? 'CANCELLED: ' : ''}${printable(message.eventSummary)}`,
        '',
      ];
      out.write(lines.join('\n') + '\n');
      return { response: 'previewed' };
    },
    async close() {},
    async abort() {},
  };
}
