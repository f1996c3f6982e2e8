// `invite validate`: every check of campaign, contacts and templates, printed as
// file:line:column: message (hint), errors and warnings apart; sends nothing.
import { EXIT, formatProblem, InputError, type Problem } from '../errors.js';
import { colourFor, type Io } from '../io.js';
import { plural } from '../locale/words.js';
import { check, type CampaignOptions } from '../sending/prepare.js';

export interface ValidateOptions extends CampaignOptions {
  json?: boolean;
}

export async function validateCommand(options: ValidateOptions, io: Io): Promise<number> {
  let errors: Problem[];
  let warnings: Problem[] = [];
  let ready = 0;
  let rejected = 0;
  try {
    const checked = check(options, io, 'count');
    // contacts.skip_invalid settles it: invalid rows are left out of every send, so they are warnings here.
    const skipped = checked.campaign.contacts.skipInvalid
      ? checked.rowErrors.map((p) => ({ ...p, message: `${p.message} (left out: contacts.skip_invalid)`, severity: 'warning' as const }))
      : [];
    errors = [...checked.errors, ...(skipped.length ? [] : checked.rowErrors)];
    warnings = [...checked.warnings, ...skipped];
    ready = checked.contacts.ready;
    rejected = checked.contacts.rejected.length;
  } catch (error) {
    // The campaign or the contacts file could not be read at all: those are the errors.
    if (!(error instanceof InputError)) throw error;
    errors = error.problems;
  }

  if (options.json) {
    const plain = (p: Problem) => ({ file: p.file ?? null, line: p.line ?? null, column: p.column ?? null, message: p.message, hint: p.hint ?? null });
    io.stdout.write(
      JSON.stringify({ ok: errors.length === 0, errors: errors.map(plain), warnings: warnings.map(plain), contacts: { ready, rejected } }, null, 2) + '\n',
    );
    return errors.length > 0 ? EXIT.someFailed : EXIT.ok;
  }

  const colour = colourFor(io.stdout, io.env);
  const lines: string[] = [];
  if (errors.length > 0) {
    lines.push(colour.red.bold(`Errors (${errors.length}):`));
    for (const p of errors) lines.push(`  ${formatProblem(p)}`);
  }
  if (warnings.length > 0) {
    lines.push(colour.yellow.bold(`Warnings (${warnings.length}):`));
    for (const p of warnings) lines.push(`  ${formatProblem(p)}`);
  }
  if (errors.length > 0) {
    lines.push(
      colour.red(
        `✗ ${plural(errors.length, 'error')}, ${plural(warnings.length, 'warning')}: nothing can be sent until the errors are fixed${rejected > 0 ? ` (or with --skip-invalid, which leaves out ${plural(rejected, 'row')})` : ''}.`,
      ),
    );
  } else {
    lines.push(colour.green(`✓ ${plural(ready, 'contact')} ready, ${plural(warnings.length, 'warning')}.`));
  }
  io.stdout.write(lines.join('\n') + '\n');
  return errors.length > 0 ? EXIT.someFailed : EXIT.ok;
}
