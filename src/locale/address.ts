// E-mail addresses as spreadsheets hold them: parsed with an RFC 5322 parser (display names,
// no quoted local parts: calendars cannot carry them), Unicode domains turned into punycode for SMTP and the calendar.
import { domainToASCII } from 'node:url';
import addresses from 'email-addresses';

export interface ParsedAddress {
  /** The address as SMTP and the calendar carry it: ASCII, IDN domain in punycode. */
  address: string;
  /** A display name written in the cell, e.g. "Ada Lovelace <ada@example.org>". */
  name?: string;
}

export type AddressResult = { ok: true; value: ParsedAddress } | { ok: false; reason: string; hint: string };

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A plain address, as nearly every cell holds one: a dot-atom, @, a host name. */
const PLAIN = /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@((?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63})$/;

export function parseAddress(input: string): AddressResult {
  // The RFC 5322 parser costs about 25 µs an address; a plain one gives the same result without it
  // (address.test.ts compares the two on plain and unusual addresses).
  const plain = PLAIN.exec(input.trim());
  if (plain) {
    const domain = plain[2]!.toLowerCase();
    if (domain.split('.').every((l) => LABEL.test(l))) return { ok: true, value: { address: `${plain[1]}@${domain}`, name: undefined } };
  }
  return parseAddressFully(input);
}

/** parseAddress through the RFC 5322 parser, for every address (the tests compare both). */
export function parseAddressFully(input: string): AddressResult {
  const text = input.trim();
  const parsed = addresses.parseOneAddress({ input: text, rfc6532: true });
  if (!parsed || parsed.type !== 'mailbox') {
    const hint =
      text.includes(',') || text.includes(';') ? 'one address per row; put the others on rows of their own' : 'an address looks like name@example.org';
    return { ok: false, reason: `"${input}" is not a valid e-mail address`, hint };
  }
  const local = parsed.local;
  if (/[^\x20-\x7e]/.test(local)) {
    return {
      ok: false,
      reason: `"${input}" has non-ASCII letters before the @`,
      hint: 'few mail servers accept that (SMTPUTF8); ask the contact for another address',
    };
  }
  if (!DOT_ATOM.test(local)) {
    // RFC 5322 allows "john doe"@example.org, but a calendar's ATTENDEE (a mailto: URI) and
    // most clients do not: refuse it here, where validate and send both see it.
    return {
      ok: false,
      reason: `"${input}" has a quoted part before the @`,
      hint: 'calendar invitations cannot be addressed to it; ask the contact for a plain address such as john.doe@example.org',
    };
  }
  const ascii = domainToASCII(parsed.domain.toLowerCase());
  const labels = ascii.split('.');
  if (!ascii || labels.length < 2 || !labels.every((l) => LABEL.test(l)) || !/^([a-z]{2,63}|xn--[a-z0-9-]+)$/.test(labels.at(-1) ?? '')) {
    return { ok: false, reason: `"${input}" has an invalid domain "${parsed.domain}"`, hint: 'check the part after the @ for typos, spaces or a missing dot' };
  }
  return { ok: true, value: { address: `${local}@${ascii}`, name: parsed.name ?? undefined } };
}

/**
 * An address as a mailto: URI (RFC 6068 §2): the characters a URI cannot carry, "%", the
 * gen-delims but "@" and ":" ("/", "?", "#", "[", "]"), and "&", ";", "=" and "," are
 * percent-encoded as UTF-8 bytes, so `a?cc=x@example.org` cannot add a header field or a
 * second recipient to the URI.
 */
export function mailtoUri(address: string): string {
  return `mailto:${address.replace(/[^A-Za-z0-9\-._~!$'()*+:@]/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))}`;
}

/** The address of a mailto: URI, percent-decoding undone; undefined when it does not decode. */
export function mailtoAddressOf(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/^mailto:/i, ''));
  } catch {
    return undefined;
  }
}
