// The command line: wires commander to the commands and maps every outcome to an exit code.
// A command's modules are loaded only when it runs: `invite --help` loads none of them.
import { Command, CommanderError, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import { DEFAULTS } from './defaults.js';
import { debugWanted, describeFailure, EXIT } from './errors.js';
import type { Io } from './io.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

function delimiter(value: string): string {
  const named: Record<string, string> = { ',': ',', ';': ';', '|': '|', tab: '\t', '\\t': '\t', '\t': '\t' };
  const d = named[value];
  if (!d) throw new InvalidArgumentError('expected one of: , ; | tab');
  return d;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of 0 or more');
  return n;
}

/** The flags of every command that sends (send, remind, update, cancel). */
function sendingOptions<A extends unknown[], O extends OptionValues>(command: Command<A, O>) {
  return command
    .option('--dry-run', 'render every message; print the table of recipients and the first message in full (all with --all); send nothing, write no journal')
    .option('--out <dir>', 'write every message as an .eml file into DIR instead of sending')
    .option('--smtp <url>', 'SMTP server, e.g. smtp://smtp.example.org:587 or smtps://smtp.example.org:465 (default: $SMTP_URL)')
    .option('--yes', 'do not ask for confirmation (for scripts and scheduled jobs)')
    .option('--limit <n>', 'only the first N contacts still to send', positiveInteger)
    .option('--all', 'with --dry-run: print every message in full (default: the table of recipients and the first message)')
    .option('--to <email>', 'only the contact with this address')
    .option('--json', 'print one JSON summary on stdout, nothing else')
    .option('--skip-invalid', 'send to the valid rows and list every skipped row with its reason')
    .option('--journal <file>', 'the journal of what was sent (default: .invite/journal.jsonl beside invite.yaml)')
    .option('--resend', 'send again to those the journal shows as already sent (asks first)')
    .option('--connections <n>', `parallel SMTP connections (default: sending.connections, else ${DEFAULTS.connections})`, positiveInteger)
    .option('--rate <n/unit>', 'at most N messages accepted in any window: 20/s, 100/min, 500/h (default: sending.rate, else no limit)')
    .option('--max <n>', 'send at most N in this run; the rest waits for the next run (default: sending.max)', positiveInteger)
    .option('--retries <n>', `further attempts after a temporary failure (default: sending.retries, else ${DEFAULTS.retries})`, wholeNumber)
    .option(
      '--retry-delay <seconds>',
      `wait before the first retry, doubled each time, with jitter (default: sending.retry_delay, else ${DEFAULTS.retryDelaySeconds})`,
      positiveNumber,
    )
    .option('--timeout <seconds>', `SMTP connection and socket timeout (default: sending.timeout, else ${DEFAULTS.timeoutSeconds})`, positiveNumber)
    .option(
      '--data-timeout <seconds>',
      `wait this long for the server's reply once a whole message went out; no reply marks it "unknown", never retried (default: sending.data_timeout, else ${DEFAULTS.dataTimeoutSeconds})`,
      positiveNumber,
    )
    .option('--resend-unknown', 'send again to those whose message went out but got no reply (journal status "unknown"): check first that it did not arrive')
    .option(
      '--proof <address>',
      'send the real messages of the contacts chosen with --as (default: the first valid row) to ADDRESS alone, the subject marked [Proof], a calendar UID of their own; nothing recorded, nothing counted',
    )
    .option('--as <contact...>', "with --proof: whose messages (contacts' addresses; several allowed)")
    .addOption(new Option('--insecure-tls', "do not verify the SMTP server's TLS certificate (test servers only)"))
    .addOption(new Option('--allow-plain-auth', 'log in even when the server offers no STARTTLS (a local relay only: the password or token goes unencrypted)'));
}

/** The flags that reach an SMTP server without a campaign's sending command: check-smtp. */
function serverOptions<A extends unknown[], O extends OptionValues>(command: Command<A, O>) {
  return command
    .option('--smtp <url>', "SMTP server, e.g. smtp://smtp.example.org:587 or smtps://smtp.example.org:465 (default: $SMTP_URL, else invite.yaml's smtp:)")
    .option('--timeout <seconds>', `connection and socket timeout (default: sending.timeout, else ${DEFAULTS.timeoutSeconds})`, positiveNumber)
    .addOption(new Option('--insecure-tls', "do not verify the SMTP server's TLS certificate (test servers only)"))
    .addOption(new Option('--allow-plain-auth', 'log in even when the server offers no STARTTLS (a local relay only)'));
}

/** A command that sends (send, remind, update, cancel): every flag of the shared table. */
function sendingCommand(program: Command, name: string, description: string) {
  return sendingOptions(campaignOptions(contactOptions(program.command(name).description(description))));
}

function campaignOptions<A extends unknown[], O extends OptionValues>(command: Command<A, O>) {
  return command
    .option('--campaign <dir or file>', 'the campaign: a folder (its invite.yaml) or the file itself', 'invite.yaml')
    .option('--now <iso8601>', "the current time, for tests and replays (default: $INVITE_NOW or the clock; without an offset, in the event's zone)");
}

function contactOptions<A extends unknown[], O extends OptionValues>(command: Command<A, O>) {
  return command
    .option('--contacts <csv>', "use this contacts file instead of the campaign's")
    .option('--delimiter <char>', 'the CSV delimiter: , ; | or tab (default: contacts.delimiter, else detected from the header line)', delimiter)
    .option(
      '--encoding <name>',
      "the contacts file's code page, e.g. windows-1257 (Baltic), windows-1250 (Polish), windows-1252 (default: contacts.encoding, else UTF-8)",
    );
}

/**
 * Builds the program. `run` receives each chosen command as a thunk: main() runs it, and a
 * test can check that a command line parses without running anything.
 */
export function buildProgram(io: Io, run: Run): Command {
  const program = new Command('invite')
    .description('Mail-merge event invitations with a real calendar invitation, from a CSV of contacts, through SMTP.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .option('--debug', 'on an internal error, print where it happened (also DEBUG=invite)')
    .addHelpText(
      'after',
      `
Start here:
  $ invite init my-event         a new campaign folder with sample values to edit
  $ cd my-event                  (or pass --campaign my-event to any command)
  $ invite validate              check campaign, contacts and templates
  $ invite send --dry-run        preview: who gets what, and the first message
  $ invite check-smtp            log in to the SMTP server, send nothing
  $ invite send --proof you@example.org    the first contact's real message, to you
  $ invite send                  send through $SMTP_URL or invite.yaml's smtp: (asks first)
  $ invite replies               record the answers and bounces (IMAP_URL, --dir or --mbox)
  $ invite status                who was sent what, who accepted or declined

Environment: SMTP_URL, SMTP_USER, SMTP_PASS; for OAuth instead of a password
SMTP_OAUTH_REFRESH_TOKEN, SMTP_OAUTH_CLIENT_ID, SMTP_OAUTH_CLIENT_SECRET, SMTP_OAUTH_TOKEN_URL
or SMTP_OAUTH_ACCESS_TOKEN; IMAP_URL, IMAP_USER, IMAP_PASS (secrets are never printed);
INVITE_NOW, NO_COLOR, FORCE_COLOR, CI (never prompt), DEBUG=invite (same as --debug).
Exit codes: 0 done or nothing due · 1 some messages not delivered (validate: errors
found) · 2 bad usage or input, nothing sent · 70 internal error (a bug: please report
it) · 130 interrupted.`,
    );

  addInit(program, io, run);
  addSend(program, io, run);
  addRemind(program, io, run);
  addUpdate(program, io, run);
  addCancel(program, io, run);
  addValidate(program, io, run);
  addStatus(program, io, run);
  addIcs(program, io, run);
  addPreview(program, io, run);
  addLogin(program, io, run);
  addCheckSmtp(program, io, run);
  addReplies(program, io, run);
  return program;
}

/** Runs the command a command line chose (main() does; a test that only parses does not). */
type Run = (command: () => Promise<number>) => void;

function addInit(program: Command, io: Io, run: Run): void {
  program
    .command('init')
    .description('write a new campaign folder (invite.yaml, contacts, templates, .gitignore, the reminder workflow) that dry-runs at once')
    .argument('[dir]', 'the folder to create or fill (default: the current folder)', '.')
    .option('--yes', 'ask nothing: take sample values and say what to edit (also when there is no terminal)')
    .option('--now <iso8601>', 'the current time, from which the sample dates are chosen (default: $INVITE_NOW or the clock)')
    .addHelpText(
      'after',
      `
On a terminal it asks for the event (title, date, start and end, time zone, place or link),
the organiser and the registration (link and deadline). It never overwrites a file: if any
it would write exists, it stops and names them.

Examples:
  $ invite init spring-meetup                  answer the questions
  $ invite init spring-meetup --yes            sample values, to edit afterwards
  $ invite send --dry-run --campaign spring-meetup`,
    )
    .action((dir: string, options) => run(async () => (await import('./commands/init.js')).initCommand(dir, options, io)));
}

function addSend(program: Command, io: Io, run: Run): void {
  sendingCommand(program, 'send', 'send the invitation to every contact not yet sent it (preview with --dry-run, write files with --out)')
    .addHelpText(
      'after',
      `
Examples:
  $ invite send --dry-run                      the recipients, then the first message in full
  $ invite send --dry-run --all                every message in full
  $ invite send --out out/                     write .eml files to open in a mail client
  $ SMTP_URL=smtp://smtp.example.org:587 SMTP_USER=events@example.org invite send   (asks for the password)
  $ invite send --proof you@example.org --as info@cc-latvia.example.org --as info@cc-poland.example.org
  $ invite send --to info@cc-lithuania.example.org --smtp smtps://smtp.example.org:465
  $ invite send --yes --rate 20/min --max 400          a provider's limits`,
    )
    .action((options) => run(async () => (await import('./commands/send.js')).sendCommand(options, io)));
}

function addRemind(program: Command, io: Io, run: Run): void {
  sendingCommand(program, 'remind', 'send the reminder that is due now to every invited contact who has not registered and has not had it')
    .option(
      '--registered <csv...>',
      "people who have registered: any CSV with an email column, e.g. the registration form's export (a `registered` column in the contacts counts too)",
    )
    .addHelpText(
      'after',
      `
The schedule is reminders: in invite.yaml (stages relative to the registration deadline). On
each run the latest stage whose time has come is due, until the deadline; a stage missed
because no run happened is sent on the next run, a stage superseded by a later one is not.

Examples:
  $ invite remind --dry-run --registered registrations.csv
  $ invite remind --yes --registered registrations.csv        (a daily scheduled job)
  $ invite remind --dry-run --now 2027-04-18T09:00            (replay the schedule)`,
    )
    .action((options) => run(async () => (await import('./commands/remind.js')).remindCommand(options, io)));
}

function addUpdate(program: Command, io: Io, run: Run): void {
  sendingCommand(program, 'update', 'after the event changed in invite.yaml: the updated invitation (same UID, next SEQUENCE) to everyone invited')
    .addHelpText('after', '\nExample:\n  $ invite update --dry-run          see what changed and who gets it\n  $ invite update --yes')
    .action((options) => run(async () => (await import('./commands/update.js')).updateCommand(options, io)));
}

function addCancel(program: Command, io: Io, run: Run): void {
  sendingCommand(program, 'cancel', 'the cancellation (METHOD:CANCEL) to everyone invited; afterwards send, remind and update refuse')
    .addHelpText('after', '\nExample:\n  $ invite cancel --dry-run\n  $ invite cancel --yes')
    .action((options) => run(async () => (await import('./commands/cancel.js')).cancelCommand(options, io)));
}

function addValidate(program: Command, io: Io, run: Run): void {
  campaignOptions(
    contactOptions(
      program
        .command('validate')
        .description('check campaign, contacts and templates; send nothing (exit 1 if there are errors)')
        .option('--json', 'print the problems as one JSON object'),
    ),
  )
    .addHelpText('after', '\nExamples:\n  $ invite validate\n  $ invite validate --contacts export.csv --encoding windows-1257')
    .action((options) => run(async () => (await import('./commands/validate.js')).validateCommand(options, io)));
}

function addStatus(program: Command, io: Io, run: Run): void {
  campaignOptions(
    contactOptions(
      program
        .command('status')
        .description(
          'what the journal says of the event, per mail kind (accepted by the server, failed with reasons, left out on purpose, not yet sent), and who said yes, maybe or no, or bounced',
        )
        .option('--journal <file>', 'the journal (default: .invite/journal.jsonl beside invite.yaml)')
        .option('--tz <zone>', "show times in this IANA zone, e.g. Europe/Riga (default: the event's zone)")
        .option(
          '--registered <csv...>',
          'people who have registered, as remind is told: any CSV with an email column (registration.export and a registered column count too)',
        )
        .option('--json', 'print it as one JSON object (times in ISO UTC)'),
    ),
  )
    .addHelpText('after', '\nExample:\n  $ invite status')
    .action((options) => run(async () => (await import('./commands/status.js')).statusCommand(options, io)));
}

function addIcs(program: Command, io: Io, run: Run): void {
  campaignOptions(
    program
      .command('ics')
      .description('write the event as an .ics file (METHOD:PUBLISH) for a web page or download')
      .option('--out <file>', 'where to write it; - for stdout (default: <campaign id>.ics)')
      .option('--journal <file>', 'the journal, for the current SEQUENCE (default: .invite/journal.jsonl beside invite.yaml)'),
  )
    .addHelpText('after', '\nExample:\n  $ invite ics --out workshop.ics')
    .action((options) => run(async () => (await import('./commands/ics.js')).icsCommand(options, io)));
}

function addPreview(program: Command, io: Io, run: Run): void {
  contactOptions(
    campaignOptions(
      program
        .command('preview')
        .description(
          'write a gallery of the messages as recipients will see them (HTML pages, offline): every recipient, each message with its HTML part, text part and calendar entry',
        )
        .option('--kind <kind>', 'invitation (default), reminder, update or cancel')
        .option('--out <dir>', 'the folder to write the gallery to (default: a new temporary folder); empty, new, or an earlier gallery')
        .option('--force', 'write into --out even when it holds other files')
        .option('--open', 'open the gallery in the default browser')
        .option('--to <email>', 'only the contact with this address')
        .option('--limit <n>', 'at most N pages: the first N contacts (default 500)', positiveInteger)
        .option('--registered <csv...>', '(reminder) people who have registered: any CSV with an email column')
        .option('--journal <file>', 'the journal, for who was invited and the SEQUENCE (default: .invite/journal.jsonl beside invite.yaml)'),
    ),
  )
    .addHelpText(
      'after',
      `
Nothing is sent and no journal is written. Each page shows the headers, the HTML part in a
sandboxed frame (remote content off, a switch turns it on), the text part and the calendar
entry as a card; index.html lists every recipient with the local time and any warning.

Examples:
  $ invite preview --open
  $ invite preview --kind reminder --now 2027-04-18T09:00 --out preview/`,
    )
    .action((options) => run(async () => (await import('./commands/preview.js')).previewCommand(options, io)));
}

function addLogin(program: Command, io: Io, run: Run): void {
  program
    .command('login')
    .description(
      "sign in to the organiser's Microsoft 365 or Google mailbox with OAuth 2.0, for sending; keeps the refresh token in your configuration folder (mode 0600)",
    )
    .argument('<provider>', "microsoft (device code: a code you type in any browser) or google (this computer's browser, PKCE)")
    .option('--client-id <id>', 'the application (client) ID of the app registered for your organisation (default: $SMTP_OAUTH_CLIENT_ID)')
    .option('--client-secret <secret>', "Google: the desktop app client's secret (default: $SMTP_OAUTH_CLIENT_SECRET)")
    .option('--tenant <tenant>', 'Microsoft: the tenant ID or domain, for an app registered for one organisation (default: common)')
    .option('--user <address>', 'the mailbox, when the provider does not say it')
    .option('--print', 'also print the values a scheduled job needs (SMTP_OAUTH_REFRESH_TOKEN …) on stdout, this once')
    .option('--no-browser', 'Google: print the address instead of opening the browser')
    .option('--token-url <url>', "another authorisation server's token endpoint (default: the provider's; also $SMTP_OAUTH_TOKEN_URL)")
    .option('--device-url <url>', "Microsoft: another device authorisation endpoint (default: the provider's)")
    .option('--authorize-url <url>', "Google: another authorisation endpoint (default: the provider's)")
    .option('--wait <seconds>', 'how long to wait for the sign-in (default 600)', positiveNumber)
    .addHelpText(
      'after',
      `
The refresh token goes to $XDG_CONFIG_HOME/invite/logins/ADDRESS.json (else ~/.config/invite/…),
never into the campaign folder. After it, with invite.yaml's smtp: naming the provider, user
and auth: oauth2, every send logs in with a fresh access token.

Examples:
  $ invite login microsoft --client-id 11111111-2222-3333-4444-555555555555 --tenant example.org
  $ invite login google --client-id ….apps.googleusercontent.com --client-secret …
  $ invite login microsoft --client-id … --print      the values for a CI job's secrets`,
    )
    .action((provider: string, options) => run(async () => (await import('./commands/login.js')).loginCommand(provider, options, io)));
}

function addCheckSmtp(program: Command, io: Io, run: Run): void {
  serverOptions(
    program
      .command('check-smtp')
      .description('connect to the SMTP server, upgrade to TLS and log in as a send would; print what the server offers; send nothing')
      .option('--campaign <dir or file>', 'the campaign whose smtp: section to use (default: ./invite.yaml when there is one)')
      .option('--json', 'print it as one JSON object'),
  )
    .addHelpText(
      'after',
      '\nExit 0 when the login works (or none is needed), 2 with the reason when not.\n\nExamples:\n  $ invite check-smtp\n  $ SMTP_URL=smtps://smtp.example.org:465 SMTP_USER=events@example.org invite check-smtp',
    )
    .action((options) => run(async () => (await import('./commands/check-smtp.js')).checkSmtpCommand(options, io)));
}

function addReplies(program: Command, io: Io, run: Run): void {
  campaignOptions(
    program
      .command('replies')
      .description('read the Accept / Tentative / Decline replies and the bounces that came back (IMAP_URL, --dir or --mbox), and record them in the journal')
      .option('--dir <dir>', ".eml files saved from the organiser's mailbox (read recursively)")
      .option('--mbox <file>', 'an mbox file (as Thunderbird or `mail` keeps a mailbox)')
      .option('--mailbox <name>', 'with IMAP_URL: the mailbox to read (default INBOX); it is only examined, nothing is moved or flagged')
      .option('--journal <file>', 'the journal (default: .invite/journal.jsonl beside invite.yaml)')
      .option('--json', 'print one JSON summary on stdout, nothing else'),
  )
    .addHelpText(
      'after',
      `
A reply counts when its calendar is an iTIP REPLY for this campaign's event (its UID) from an
invited address: its PARTSTAT (ACCEPTED, TENTATIVE, DECLINED) is recorded, the latest answer
per attendee winning. A delivery report (RFC 3464) with a permanent status (5.x.x) for one of
the campaign's messages records the address as bounced. Each is recorded once, by its
Message-ID: reading the same mailbox again adds nothing. \`invite status\` shows the answers;
\`invite remind\` leaves out who declined or bounced; update and cancel leave out who bounced.

Examples:
  $ IMAP_URL=imaps://imap.example.org IMAP_USER=events@example.org IMAP_PASS=… invite replies
  $ invite replies --dir ~/replies/             .eml files saved from the mail client
  $ invite replies --mbox ~/.thunderbird/…/Inbox
  $ invite status`,
    )
    .action((options) => run(async () => (await import('./commands/replies.js')).repliesCommand(options, io)));
}

export async function main(argv: string[], io: Io): Promise<number> {
  let chosen: (() => Promise<number>) | undefined;
  const program = buildProgram(io, (command) => {
    chosen = command;
  });
  io.signals ??= process;
  io.exit ??= (code) => process.exit(code);
  io.confirm ??= async (question: string) => {
    const { default: inquirer } = await import('inquirer');
    const answer = await inquirer.prompt<{ ok: boolean }>([{ type: 'confirm', name: 'ok', message: question, default: false }]);
    return answer.ok;
  };
  io.askSecret ??= async (question: string) => {
    const { default: inquirer } = await import('inquirer');
    // No mask: nothing at all is echoed, not even the length.
    const answer = await inquirer.prompt<{ secret: string }>([{ type: 'password', name: 'secret', message: question }]);
    return answer.secret;
  };
  try {
    await program.parseAsync(argv);
    if (!chosen) {
      program.outputHelp();
      return EXIT.badInput;
    }
    return await chosen();
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      return EXIT.badInput;
    }
    const { lines, code } = describeFailure(error, debugWanted(argv, io.env));
    io.stderr.write(lines.join('\n') + '\n');
    return code;
  }
}
