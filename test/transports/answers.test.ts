// Microsoft 365's and Gmail's refusals, in their own words (as the servers send them: Exchange
// Online's submission endpoint smtp.office365.com and Gmail's smtp.gmail.com, enhanced status
// codes and trailing session ids included), each given the hint that names its fix; a refusal
// every message would get alike stops the run instead of failing each recipient in turn.
import { describe, expect, it } from 'vitest';
import { DeliveryStop, RecipientFailure } from '../../src/errors.js';
import { explainAnswer } from '../../src/transports/answers.js';
import { parseSmtpUrl } from '../../src/transports/settings.js';
import { classifySmtpError } from '../../src/transports/smtp.js';

/** The replies, verbatim. */
const REPLIES = {
  // Exchange Online once Basic authentication for client submission is retired (the Exchange team's announcement).
  basicAuthRetired: '550 5.7.30 Basic authentication is not supported for Client Submission.',
  tenantDisabled:
    '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [AM0PR02CA0012.eurprd02.prod.outlook.com 2026-12-01T09:12:44.123Z 08DD1B2C3D4E5F60]',
  securityDefaults:
    "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator. [FR3P281CA0071.DEUP281.PROD.OUTLOOK.COM]",
  criteria:
    '535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator. [VI1PR0102CA0021.eurprd01.prod.exchangelabs.com]',
  tokenRefused: '535 5.7.3 Authentication unsuccessful [LO6P265CA0005.GBRP265.PROD.OUTLOOK.COM]',
  sendAsDenied:
    '554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message. 0.35250:0A003C85, 1.36674:0A000000 [Hostname=AM9PR02MB7353.eurprd02.prod.outlook.com]',
  noSendAsPermission: '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
  notAuthenticated: '530 5.7.57 Client not authenticated to send mail. [DB8PR04CA0010.eurprd04.prod.outlook.com 2026-12-01T09:15:02.000Z]',
  appPassword:
    '534-5.7.9 Application-specific password required. For more information, go to\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor a640c23a62f3a-a9a0c9c2b5esm123456766b.12 - gsmtp',
  badCredentials:
    '535-5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials 5b1f17b1804b1-4316f2c8f4asm12345675e9.12 - gsmtp',
  webLogin:
    '534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbs1>\n534-5.7.14 Please log in via your web browser and\n534-5.7.14 then try again.\n534-5.7.14  Learn more at\n534 5.7.14  https://support.google.com/mail/answer/78754 t1sm123456wrb.12 - gsmtp',
  relayDenied:
    "550-5.7.1 Invalid credentials for relay [203.0.113.5]. The IP address you've\n550-5.7.1 registered in your Workspace SMTP Relay service doesn't match domain of\n550-5.7.1 the account this email is being sent from. If you are trying to relay\n550 5.7.1 mail from a domain that isn't registered under your Workspace account - gsmtp",
};

describe('provider answers explained', () => {
  it.each([
    ['basicAuthRetired', /no longer takes a password.*invite login microsoft/],
    ['tenantDisabled', /SMTP AUTH is turned off.*invite login microsoft.*SmtpClientAuthenticationDisabled/],
    ['securityDefaults', /security defaults.*invite login microsoft/],
    ['criteria', /check SMTP_USER and SMTP_PASS.*invite login microsoft/],
    ['tokenRefused', /SMTP\.Send/],
    ['sendAsDenied', /may not send as the From address: set from:/],
    ['noSendAsPermission', /may not send as the From address/],
    ['notAuthenticated', /wants a login/],
    ['appPassword', /app password.*myaccount\.google\.com\/apppasswords.*invite login google/],
    ['badCredentials', /app password.*invite login google/],
    ['webLogin', /blocked this sign-in/],
    ['relayDenied', /SMTP relay does not accept this sender/],
  ] as const)('%s', (name, hint) => {
    expect(explainAnswer(REPLIES[name])?.hint).toMatch(hint);
  });

  it('a reply no provider list knows gets no special hint', () => {
    expect(explainAnswer('535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6')).toBeUndefined();
    expect(explainAnswer('550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown')).toBeUndefined();
  });
});

describe('classifySmtpError with the providers’ answers', () => {
  const settings = parseSmtpUrl('smtp://smtp.office365.com:587', { SMTP_USER: 'events@example.org', SMTP_PASS: 'pw-1' });
  const nodemailerError = (fields: Record<string, unknown>, message: string) => Object.assign(new Error(message), fields);

  it('a refused login carries the provider’s hint instead of "check SMTP_PASS"', () => {
    const error = classifySmtpError(
      nodemailerError({ code: 'EAUTH', responseCode: 550 }, `Invalid login: ${REPLIES.basicAuthRetired}`),
      settings,
    ) as DeliveryStop;
    expect(error).toBeInstanceOf(DeliveryStop);
    expect(error.message).toBe(`the SMTP server smtp.office365.com:587 refused the login: Invalid login: ${REPLIES.basicAuthRetired}`);
    expect(error.hint).toMatch(/^Microsoft 365 no longer takes a password for SMTP/);
  });

  it('"send as denied" at the message stops the run: every message has the same From', () => {
    const error = classifySmtpError(
      nodemailerError({ code: 'EMESSAGE', responseCode: 554 }, `Message failed: ${REPLIES.sendAsDenied}`),
      settings,
    ) as DeliveryStop;
    expect(error).toBeInstanceOf(DeliveryStop);
    expect(error.hint).toMatch(/set from:/);
  });

  it('a recipient the server does not know is still that recipient’s failure alone', () => {
    const error = classifySmtpError(
      nodemailerError(
        { code: 'EENVELOPE', responseCode: 550 },
        'Recipient command failed: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
      ),
      settings,
    );
    expect(error).toBeInstanceOf(RecipientFailure);
  });
});
