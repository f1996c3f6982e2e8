// The campaign's keys: HMAC-SHA256 made on Node's one-shot hash(), checked against createHmac;
// and what the keys make with and without a secret.
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CampaignKeys, hmacSha256 } from '../../src/compose/keys.js';

describe('hmacSha256', () => {
  it('is HMAC-SHA256: the digest of createHmac for secrets shorter than, as long as and longer than a block, in any script, and for changing secrets', () => {
    const secrets = ['k', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(65), randomBytes(40).toString('base64url'), 'ключ-秘密-🔑'.repeat(9), 'k'];
    for (const secret of secrets) {
      for (const data of ['', 'campaign\u0000ada@example.org', 'ä'.repeat(300)]) {
        expect(hmacSha256(secret, data), `${secret.length} ${data.length}`).toBe(createHmac('sha256', secret).update(data).digest('hex'));
      }
    }
  });
});

describe('CampaignKeys', () => {
  const campaign = {
    id: 'c',
    organiser: { name: 'O', email: 'o@example.org' },
    from: { name: 'O', email: 'o@example.org' },
    event: { uid: 'u@example.org' },
  } as ConstructorParameters<typeof CampaignKeys>[0];
  it('a secret set after the keys were made is used from then on; another secret makes other Message-IDs and tokens', () => {
    const keys = new CampaignKeys(campaign);
    const unkeyed = keys.messageIdFor('invitation', 'ada@example.com');
    campaign.secret = 'a'.repeat(32);
    const keyed = keys.messageIdFor('invitation', 'ADA@example.com');
    expect(keyed).not.toBe(unkeyed);
    expect(keyed).toBe(new CampaignKeys(campaign).messageIdFor('invitation', 'ada@example.com'));
    const token = keys.unsubscribeToken('ada@example.com');
    campaign.secret = 'b'.repeat(32);
    expect(keys.messageIdFor('invitation', 'ada@example.com')).not.toBe(keyed);
    expect(keys.unsubscribeToken('ada@example.com')).not.toBe(token);
    expect(keys.listUnsubscribe('Ada@Example.com')).toBe(
      `<mailto:o@example.org?subject=unsubscribe%20ada%40example.com%20${keys.unsubscribeToken('ada@example.com')}>`,
    );
  });
});
