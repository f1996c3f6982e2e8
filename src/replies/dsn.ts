// Bounces: delivery status notifications (RFC 3464) that quote one of our messages. A bounce
// counts only for the recipient its quoted Message-ID was made for: the ID must be one the
// journal records as sent, and it must verify — made with the campaign's secret for that very
// recipient, kind and event — so a bounce forged from another's invitation does not count.
import type { ParsedMail } from 'mailparser';
import type { CampaignKeys } from '../compose/keys.js';
import type { Campaign } from '../campaign/model.js';
import { bounded, BOUNDS } from '../journal/schema.js';

/** A message we sent, as the journal records it. */
export interface SentMessage {
  recipient: string;
  kind: string;
  uid?: string;
}

export type Bounce =
  | { type: 'bounce'; recipient: string; status: string; permanent: boolean; diagnostic?: string }
  | { type: 'not-counted'; recipient?: string; reason: string }
  | { type: 'skipped'; reason: string };

/** The parts of a (flat) multipart/report: each one's Content-Type and body, undecoded (the report parts are 7-bit text). */
function reportParts(raw: Buffer, boundary: string): { type: string; body: string }[] {
  if (!boundary) return [];
  const text = raw.toString('latin1').replace(/\r\n/g, '\n');
  return text
    .split(`\n--${boundary}`)
    .slice(1)
    .filter((part) => !part.startsWith('--'))
    .map((part) => {
      const split = part.indexOf('\n\n');
      const headers = split < 0 ? part : part.slice(0, split);
      const type = /^content-type:\s*([^;\s]+)/im.exec(headers)?.[1]?.toLowerCase() ?? 'text/plain';
      return { type, body: split < 0 ? '' : part.slice(split + 2) };
    });
}

/** A delivery status notification for one of our messages, or why it does not count, or why it is not one; undefined for any other mail. */
export function bounceOf(
  parsed: ParsedMail,
  raw: Buffer,
  campaign: Pick<Campaign, 'event' | 'secret'>,
  keys: CampaignKeys,
  sent: Map<string, SentMessage>,
): Bounce | undefined {
  const type = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (type?.value?.toLowerCase() !== 'multipart/report' || type.params?.['report-type']?.toLowerCase() !== 'delivery-status') return undefined;
  // mailparser reads message/delivery-status as text and merges it into the body: the parts
  // of the report are taken from the raw mail, by its boundary, instead.
  const parts = reportParts(raw, type.params?.boundary ?? '');
  const status = parts.find((p) => p.type === 'message/delivery-status');
  if (!status) return { type: 'skipped', reason: 'a delivery report without its delivery-status part' };
  const original = parts.find((p) => p.type === 'message/rfc822' || p.type === 'text/rfc822-headers');
  const originalId = original ? /^Message-ID:\s*(<[^>\s]{1,990}>)/im.exec(original.body)?.[1] : undefined;
  const message = originalId ? sent.get(originalId) : undefined;
  if (!message)
    return {
      type: 'skipped',
      reason: originalId ? `a bounce of ${originalId}, not a message of this campaign` : 'a bounce that does not quote the Message-ID of the message',
    };
  // The ID must be the one the secret makes for that recipient: the journal's word alone is not enough.
  if (!campaign.secret || keys.messageIdFor(message.kind, message.recipient, message.uid ?? campaign.event.uid) !== originalId) {
    return {
      type: 'not-counted',
      recipient: message.recipient,
      reason: `the quoted Message-ID ${originalId} does not verify (not made with this campaign's secret for ${message.recipient})`,
    };
  }
  // Per-recipient fields: the block with Final-Recipient; Status is class.subject.detail.
  const fields = status.body.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ');
  const code = /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(fields)?.[1];
  if (!code) return { type: 'not-counted', recipient: message.recipient, reason: 'a delivery report without a Status' };
  // Kept bounded: a forged report may carry megabytes here.
  const at = fields.search(/^Diagnostic-Code:/im);
  const diagnostic =
    at < 0
      ? undefined
      : fields
          .slice(at + 'Diagnostic-Code:'.length, at + 'Diagnostic-Code:'.length + 4 * BOUNDS.text)
          .split('\n')[0]!
          .trim() || undefined;
  return {
    type: 'bounce',
    recipient: message.recipient,
    status: code,
    permanent: code.startsWith('5'),
    ...(diagnostic ? { diagnostic: bounded(diagnostic, BOUNDS.text) } : {}),
  };
}
