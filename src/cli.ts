// The command line: wires commander to the commands and maps every outcome to an exit code.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { icsCommand } from './commands/ics.js';
import { sendCommand } from './commands/send.js';
import { describeFailure, EXIT } from './errors.js';
import type { Io } from './io.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

function campaignOptions(command: Command): Command {
  return command
    .option('--campaign <file>', 'the campaign file', 'invite.yaml')
    .option('--now <iso8601>', 'the current time, for tests and replays (default: $INVITE_NOW or the clock; without an offset, in the event\'s zone)');
}

/** Builds the program. Exported so tests can check commands against the real parser. */
export function buildProgram(io: Io, run: (code: Promise<number>) => void): Command {
  const program = new Command('invite')
    .description('Mail-merge event invitations with a real calendar invitation, from a CSV of contacts, through SMTP.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  campaignOptions(
    program
      .command('send')
      .description('send the invitation to every contact (preview with --dry-run, write files with --out)')
      .option('--dry-run', 'render every message and print it; send nothing')
      .option('--out <dir>', 'write every message as an .eml file into DIR instead of sending')
      .option('--smtp <url>', 'SMTP server, e.g. smtp://smtp.example.org:587 or smtps://smtp.example.org:465 (default: $SMTP_URL)')
      .option('--yes', 'do not ask for confirmation (for scripts and scheduled jobs)')
      .option('--limit <n>', 'only the first N contacts', positiveInteger)
      .option('--to <email>', 'only the contact with this address')
      .option('--contacts <csv>', 'use this contacts file instead of the campaign\'s')
      .option('--json', 'print one JSON summary on stdout, nothing else')
      .addOption(new Option('--insecure-tls', 'do not verify the SMTP server\'s TLS certificate (test servers only)')),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ invite send --dry-run                      preview every message
  $ invite send --out out/                     write .eml files to open in a mail client
  $ SMTP_URL=smtp://smtp.example.org:587 SMTP_USER=events@example.org SMTP_PASS=… invite send
  $ invite send --to info@cc-lithuania.example.org --smtp smtps://smtp.example.org:465`,
    )
    .action((options) => run(sendCommand(options, io)));

  campaignOptions(
    program
      .command('ics')
      .description('write the event as an .ics file (METHOD:PUBLISH) for a web page or download')
      .option('--out <file>', 'where to write it; - for stdout (default: <campaign id>.ics)'),
  )
    .addHelpText('after', '\nExample:\n  $ invite ics --out workshop.ics')
    .action((options) => run(icsCommand(options, io)));

  return program;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = buildProgram(io, (code) => {
    pending = code;
  });
  io.confirm ??= async (question: string) => {
    const { default: inquirer } = await import('inquirer');
    const answer = await inquirer.prompt<{ ok: boolean }>([{ type: 'confirm', name: 'ok', message: question, default: false }]);
    return answer.ok;
  };
  try {
    await program.parseAsync(argv);
    if (!pending) {
      program.outputHelp();
      return EXIT.badInput;
    }
    return await pending;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      return EXIT.badInput;
    }
    const { lines, code } = describeFailure(error);
    io.stderr.write(lines.join('\n') + '\n');
    return code;
  }
}
