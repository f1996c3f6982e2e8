// The campaign's keys: each recipient's key is an HMAC of the campaign and the address with the
// campaign's secret; the recipient's Message-IDs and unsubscribe token are hashes of it with
// public data. Nobody without the secret can make another recipient's from one they have seen,
// so a bounce or an unsubscribe request can be checked (replies/) against what only we make.
import { hash } from 'node:crypto';
import type { Campaign } from '../campaign/model.js';
import { mailtoUri } from '../locale/address.js';

const BLOCK = 64;

/** The inner and outer HMAC blocks of a secret (RFC 2104). */
function padsOf(secret: string): { inner: Buffer; outer: Buffer } {
  let key = Buffer.from(secret, 'utf8');
  if (key.length > BLOCK) key = hash('sha256', key, 'buffer');
  const inner = Buffer.alloc(BLOCK, 0x36);
  const outer = Buffer.alloc(BLOCK, 0x5c);
  for (let i = 0; i < key.length; i++) {
    inner[i]! ^= key[i]!;
    outer[i]! ^= key[i]!;
  }
  return { inner, outer };
}

function hmacWith(pads: { inner: Buffer; outer: Buffer }, data: string): string {
  const innerDigest = hash('sha256', Buffer.concat([pads.inner, Buffer.from(data, 'utf8')]), 'buffer');
  return hash('sha256', Buffer.concat([pads.outer, innerDigest]), 'hex');
}

/**
 * HMAC-SHA256 (RFC 2104) on Node's one-shot hash(): the same digest as createHmac, whose object
 * costs on Node 20 about 8 µs a message in a send (OpenSSL looks the digest up anew for each),
 * a fifth of what invite adds to a message; hash() keeps its digest.
 * test/compose/keys.test.ts checks it against createHmac.
 */
export function hmacSha256(secret: string, data: string): string {
  return hmacWith(padsOf(secret), data);
}

/** The keys of one campaign, for a run: the secret's HMAC blocks are made once. */
export class CampaignKeys {
  private pads?: { secret: string; inner: Buffer; outer: Buffer };

  constructor(private readonly campaign: Pick<Campaign, 'id' | 'secret' | 'organiser' | 'from' | 'event'>) {}

  /**
   * A recipient's key: HMAC-SHA256 of the campaign and the address with the campaign's secret
   * (read when it is first needed: a real send makes it after the campaign is loaded), or a
   * plain hash before any secret exists, for a preview. The key itself never leaves the process.
   */
  recipientKey(address: string): string {
    const data = `${this.campaign.id}\u0000${address.toLowerCase()}`;
    const secret = this.campaign.secret;
    if (!secret) return hash('sha256', data, 'hex');
    if (this.pads?.secret !== secret) this.pads = { secret, ...padsOf(secret) };
    return hmacWith(this.pads, data);
  }

  /** The token that proves an unsubscribe request for `address` came from a link we sent. */
  unsubscribeToken(address: string, key = this.recipientKey(address)): string {
    return hash('sha256', `${key}\u0000unsubscribe`, 'hex').slice(0, 20);
  }

  /** List-Unsubscribe (RFC 2369): a mailto (RFC 6068, percent-encoded) to the organiser, subject "unsubscribe ADDRESS TOKEN". */
  listUnsubscribe(address: string, key = this.recipientKey(address)): string {
    const subject = `unsubscribe ${address.toLowerCase()} ${this.unsubscribeToken(address, key)}`;
    return `<${mailtoUri(this.campaign.organiser.email)}?subject=${encodeURIComponent(subject)}>`;
  }

  /**
   * The same for the same (campaign, event UID, kind, recipient): a resend is recognisable, and
   * a new event (a new UID) gets new ones.
   */
  messageIdFor(kind: string, email: string, uid = this.campaign.event.uid, key = this.recipientKey(email)): string {
    const digest = hash('sha256', `${key}\u0000${uid}\u0000${kind}`, 'hex').slice(0, 32);
    const domain = this.campaign.from.email.split('@')[1] ?? 'invite.invalid';
    return `<${kind.replace(/[^A-Za-z0-9.-]/g, '-')}.${digest}@${domain}>`;
  }
}
