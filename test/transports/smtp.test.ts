// SMTP errors sorted by nodemailer's codes (code, originalCode, responseCode), never by wording:
// stop the run, this recipient for good, or try again.
import { describe, expect, it } from 'vitest';
import { DeliveryStop, RecipientFailure } from '../../src/errors.js';
import { parseSmtpUrl } from '../../src/transports/settings.js';
import { classifySmtpError, positiveReply } from '../../src/transports/smtp.js';

const settings = parseSmtpUrl('smtp://smtp.example.org:587', { SMTP_USER: 'events@example.org', SMTP_PASS: 's3cret-pass' });
const nodemailerError = (fields: Record<string, unknown>, message = 'something went wrong') => Object.assign(new Error(message), fields);

describe('classifySmtpError', () => {
  it.each([
    ['EAUTH', { code: 'EAUTH', responseCode: 535 }, 'refused the login'],
    ['ENOAUTH', { code: 'ENOAUTH' }, 'refused the login'],
    ['a self-signed certificate (smtps://)', { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'could not be verified'],
    ['a certificate for another host', { code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'could not be verified'],
    ['an expired certificate', { code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED' }, 'could not be verified'],
    ['STARTTLS failing', { code: 'ETLS' }, 'TLS with smtp.example.org:587 failed'],
  ])('%s stops the run', (_, fields, text) => {
    const error = classifySmtpError(nodemailerError(fields), settings);
    expect(error).toBeInstanceOf(DeliveryStop);
    expect(error.message).toContain(text);
  });

  it.each([
    ['550', { code: 'EENVELOPE', responseCode: 550 }, true],
    ['554', { code: 'EMESSAGE', responseCode: 554 }, true],
    ['503 (a session state, not the message: nodemailer says not permanent)', { code: 'EPROTOCOL', responseCode: 503, permanent: false }, false],
    ['451', { code: 'EMESSAGE', responseCode: 451 }, false],
    ['421', { code: 'ECONNECTION', responseCode: 421 }, false],
  ])('reply %s: a failure for this recipient, permanent=%s', (_, fields, permanent) => {
    const error = classifySmtpError(nodemailerError(fields), settings) as RecipientFailure;
    expect(error).toBeInstanceOf(RecipientFailure);
    expect(error.permanent).toBe(permanent);
    expect(error.responseCode).toBe(fields.responseCode);
  });

  it.each([
    ['a dropped connection', { code: 'ECONNECTION' }],
    ['a socket error', { code: 'ESOCKET', originalCode: 'ECONNRESET' }],
    ['a timeout', { code: 'ETIMEDOUT' }],
    ['a garbled reply', { code: 'EPROTOCOL' }],
  ])('%s: temporary, and a network loss', (_, fields) => {
    const error = classifySmtpError(nodemailerError(fields, 'Timeout'), settings) as RecipientFailure;
    expect(error).toMatchObject({ permanent: false, network: true, connectFailure: false });
  });

  it.each([
    ['refused', { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }],
    ['no such host', { code: 'EDNS', originalCode: 'ENOTFOUND' }],
  ])('a server that cannot be reached (%s) is a connect failure', (_, fields) => {
    const error = classifySmtpError(nodemailerError(fields, 'connect failed'), settings) as RecipientFailure;
    expect(error).toMatchObject({ connectFailure: true, network: true, permanent: false });
    expect(error.message).toMatch(/^cannot connect to the SMTP server smtp\.example\.org:587/);
  });

  it('the wording does not decide: "timeout" in a 550 text is still permanent, "certificate" in a 451 still temporary', () => {
    expect(classifySmtpError(nodemailerError({ responseCode: 550 }, 'Mailbox closed after timeout'), settings)).toMatchObject({
      permanent: true,
      network: false,
    });
    expect(classifySmtpError(nodemailerError({ responseCode: 451 }, 'certificate store busy'), settings)).toBeInstanceOf(RecipientFailure);
  });

  it('the password never appears in what it says', () => {
    const error = classifySmtpError(nodemailerError({ code: 'EAUTH' }, 'Invalid login: events@example.org / s3cret-pass'), settings);
    expect(error.message).not.toContain('s3cret-pass');
    expect(error.message).toContain('***');
  });
});

describe('positiveReply (RFC 5321 §4.2 reply syntax)', () => {
  it.each(['250 OK', '250', '250 2.0.0 Ok: queued as 4Zx', '250-first\n250 last', '250-a\r\n250-b\r\n250 c', '251 forwarded'])('accepts %j', (reply) => {
    expect(positiveReply(reply)).toBe(true);
  });
  it.each(['2x0 ok', '250ok', '25 ok', '260 ok', '450 later', '550 no', '', 'OK', '250-a\n251 b', '250-a\n250-b', '250 a\n250 b', ' 250 ok'])(
    'refuses %j',
    (reply) => {
      expect(positiveReply(reply)).toBe(false);
    },
  );
});
