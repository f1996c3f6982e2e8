// Who may answer. A mail's From: is a claim: a REPLY counts only from its attendee (or the
// ATTENDEE's SENT-BY), and, when invite.yaml names the organiser's receiving server
// (replies.trusted_authserv_id), only when the Authentication-Results that server added show
// DMARC, or DKIM aligned with the From: domain, passing (RFC 8601, RFC 7489).

/** The From: address of a mail, lower-cased; undefined when there is not exactly one. */
export function fromAddress(from: { value?: { address?: string }[] } | undefined): string | undefined {
  const addresses = (from?.value ?? []).map((a) => a.address?.trim().toLowerCase()).filter((a): a is string => Boolean(a));
  return addresses.length === 1 ? addresses[0] : undefined;
}

/** Why a REPLY for `attendee` from this From: does not count, or undefined when it may. */
export function notTheAttendee(from: string | undefined, attendee: string, sentBy?: string): string | undefined {
  if (!from) return 'a reply without a single From: address';
  if (from === attendee || (sentBy !== undefined && from === sentBy)) return undefined;
  return `From: ${from} is not the attendee ${attendee}${sentBy ? ` nor SENT-BY ${sentBy}` : ''}`;
}

/** The domain of an address. */
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** DKIM's relaxed alignment (RFC 7489 §3.1.1): the same domain, or one is a subdomain of the other's organisational domain — approximated by a parent on a label boundary. */
function aligned(signing: string, from: string): boolean {
  const d = signing.toLowerCase().replace(/^@/, '').replace(/\.$/, '');
  return d === from || from.endsWith(`.${d}`) || d.endsWith(`.${from}`);
}

/** The results (method=result with their properties) of one Authentication-Results header. */
interface Result {
  method: string;
  result: string;
  properties: Record<string, string>;
}

/** Parses one Authentication-Results value: its authserv-id and its results (comments dropped). */
export function parseAuthenticationResults(value: string): { authserv: string; results: Result[] } {
  const text = value
    .replace(/\([^()]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const [head, ...rest] = text.split(';');
  const authserv = (head ?? '').trim().split(' ')[0]!.toLowerCase();
  const results: Result[] = [];
  for (const clause of rest) {
    const words = clause.trim().split(' ').filter(Boolean);
    const first = /^([a-z0-9-]+)=([a-z]+)$/i.exec(words[0] ?? '');
    if (!first) continue;
    const properties: Record<string, string> = {};
    for (const word of words.slice(1)) {
      const p = /^([a-z0-9.-]+)=(.+)$/i.exec(word);
      if (p) properties[p[1]!.toLowerCase()] = p[2]!.replace(/^"|"$/g, '');
    }
    results.push({ method: first[1]!.toLowerCase(), result: first[2]!.toLowerCase(), properties });
  }
  return { authserv, results };
}

/**
 * Why the trusted server's verdict does not let the mail count, or undefined when it does:
 * the topmost Authentication-Results of `authserv` (the one it added last on arrival) must
 * show dmarc=pass for the From: domain, or dkim=pass with a signing domain aligned with it.
 */
export function notAuthenticated(headers: string[], authserv: string, from: string | undefined): string | undefined {
  if (!from) return 'no single From: address to authenticate';
  const mine = headers.map(parseAuthenticationResults).find((h) => h.authserv === authserv.toLowerCase());
  if (!mine) return `no Authentication-Results from ${authserv} (the receiving server invite.yaml trusts)`;
  const domain = domainOf(from);
  const dmarc = mine.results.find((r) => r.method === 'dmarc');
  if (dmarc?.result === 'pass' && (!dmarc.properties['header.from'] || dmarc.properties['header.from'].toLowerCase() === domain)) return undefined;
  const dkim = mine.results.find(
    (r) => r.method === 'dkim' && r.result === 'pass' && aligned(r.properties['header.d'] ?? r.properties['header.i']?.split('@').pop() ?? '', domain),
  );
  if (dkim) return undefined;
  return `${authserv} did not authenticate ${domain}: ${dmarc ? `dmarc=${dmarc.result}` : 'no DMARC result'}${mine.results.some((r) => r.method === 'dkim') ? ', no aligned DKIM pass' : ''}`;
}
