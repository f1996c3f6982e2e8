// Who has registered: a `registered` column in the contacts, or any CSV with an email column
// (the registration form's export), for `invite remind`.
import { parseAddress } from '../locale/address.js';
import { InputError } from '../errors.js';
import { columnIdentifier, eachRow, emailColumnOf, readCsvChunks, type RawRow } from './csv.js';
import type { ContactOptions } from './rules.js';

/** Values of a `registered` column that mean yes (also in the region's languages, where cheap). */
const YES = new Set(['yes', 'y', 'true', '1', 'x', '✓', 'ja', 'jah', 'kyllä', 'jā', 'taip', 'tak']);

export function isRegisteredValue(value: string | undefined): boolean {
  return YES.has((value ?? '').trim().toLowerCase());
}

/**
 * Addresses (lower-case, as SMTP carries them) of the people who registered: any CSV with an
 * email column, e.g. the registration form's export. Rows without a valid address are skipped.
 */
export function readRegistered(file: string, options: Pick<ContactOptions, 'encoding' | 'delimiter'> = {}): Set<string> {
  const { shown, delimiter, chunks } = readCsvChunks(file, options, {
    message: 'registrations file not found',
    hint: "pass the registration form's export as --registered FILE",
  });
  const noEmailColumn = (header?: RawRow) =>
    new InputError({
      file: shown,
      line: header?.line,
      message: 'no email column in the registrations file',
      hint: 'any CSV with a column named "email" (or e-mail, mail, …) will do',
    });
  const registered = new Set<string>();
  let emailIndex: number | undefined;
  eachRow(
    chunks,
    delimiter,
    (row) => {
      if (emailIndex === undefined) {
        emailIndex = emailColumnOf(row.fields.map(columnIdentifier));
        if (emailIndex < 0) throw noEmailColumn(row);
        return;
      }
      const parsed = parseAddress(row.fields[emailIndex] ?? '');
      if (parsed.ok) registered.add(parsed.value.address.toLowerCase());
    },
    shown,
  );
  if (emailIndex === undefined) throw noEmailColumn();
  return registered;
}
