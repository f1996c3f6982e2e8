// What Microsoft 365 and Gmail mean by their refusals, and what fixes each. The server's own
// words are shown too; these only choose the hint, and whether every further message would be
// refused the same way (then the run stops instead of failing each recipient in turn).

export interface Explained {
  hint: string;
  /** Every message of the run would be refused alike: stop at once. */
  stops: boolean;
}

interface Answer extends Explained {
  /** Matched against the server's reply (enhanced status code and the provider's own words). */
  pattern: RegExp;
}

const LOGIN_MICROSOFT = '`invite login microsoft`, then `auth: oauth2` under smtp: in invite.yaml';

const ANSWERS: Answer[] = [
  {
    // Exchange Online once password logins are retired for the tenant (from December 2026).
    pattern: /5\.7\.30\b.*Basic authentication is not supported/i,
    hint: `Microsoft 365 no longer takes a password for SMTP: sign in with OAuth (${LOGIN_MICROSOFT})`,
    stops: true,
  },
  {
    pattern: /5\.7\.139\b.*SmtpClientAuthentication is disabled/i,
    hint: `SMTP AUTH is turned off for this Microsoft 365 organisation: sign in with OAuth (${LOGIN_MICROSOFT}); an admin must also allow authenticated SMTP for the mailbox (Set-CASMailbox -SmtpClientAuthenticationDisabled $false)`,
    stops: true,
  },
  {
    pattern: /5\.7\.139\b.*security defaults/i,
    hint: `the organisation's security defaults block password logins to SMTP: sign in with OAuth (${LOGIN_MICROSOFT})`,
    stops: true,
  },
  {
    pattern: /5\.7\.139\b.*(did not meet the criteria|credentials were incorrect)/i,
    hint: `Microsoft 365 refused the user and password: check SMTP_USER and SMTP_PASS, that authenticated SMTP is on for the mailbox, or sign in with OAuth (${LOGIN_MICROSOFT})`,
    stops: true,
  },
  {
    // Exchange Online's answer to a token it does not accept for SMTP.
    pattern: /535 5\.7\.3 Authentication unsuccessful/i,
    hint: 'Microsoft 365 refused the login: the app needs the delegated permission SMTP.Send, the token must be for this mailbox (SMTP_USER), and authenticated SMTP must be on for it (an admin: Set-CASMailbox -SmtpClientAuthenticationDisabled $false)',
    stops: true,
  },
  {
    pattern: /SendAsDenied/i,
    hint: 'the mailbox invite logs in as may not send as the From address: set from: (or organiser:) in invite.yaml to that mailbox, or ask the Microsoft 365 admin to give it "Send As" permission for the address',
    stops: true,
  },
  {
    pattern: /5\.7\.60\b|not have permissions? to send as this sender/i,
    hint: 'the mailbox invite logs in as may not send as the From address: set from: in invite.yaml to the address of SMTP_USER, or ask the admin for "Send As" permission',
    stops: true,
  },
  {
    pattern: /5\.7\.57\b.*not authenticated to send/i,
    hint: 'the server wants a login before it takes mail: set SMTP_USER (and SMTP_PASS), or sign in with OAuth (`invite login microsoft|google`)',
    stops: true,
  },
  {
    pattern: /5\.7\.9\b.*Application-specific password required/i,
    hint: 'Google wants an app password, not the account password (2-Step Verification is on): make one at https://myaccount.google.com/apppasswords and use it as SMTP_PASS, or sign in with `invite login google` and `auth: oauth2`',
    stops: true,
  },
  {
    pattern: /5\.7\.8\b.*Username and Password not accepted/i,
    hint: 'Google refused the login: use an app password (https://myaccount.google.com/apppasswords) as SMTP_PASS, or sign in with `invite login google`; with OAuth, the token must be for SMTP_USER and carry the https://mail.google.com/ scope',
    stops: true,
  },
  {
    pattern: /5\.7\.14\b.*log ?in (via|with) your web browser/i,
    hint: 'Google blocked this sign-in as unusual: sign in to the account in a browser once, then use an app password or `invite login google`',
    stops: true,
  },
  {
    pattern: /5\.7\.[01]\b.*Invalid credentials for relay/i,
    hint: "Google's SMTP relay does not accept this sender: the From address must belong to the Google Workspace domain and the relay must allow this login or IP (Admin console, Gmail, Routing, SMTP relay service)",
    stops: true,
  },
];

/** The hint for a provider's answer, when it is one we know. */
export function explainAnswer(text: string): Explained | undefined {
  const flat = text.replace(/\s+/g, ' ');
  const found = ANSWERS.find((a) => a.pattern.test(flat));
  return found && { hint: found.hint, stops: found.stops };
}
