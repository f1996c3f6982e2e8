import { describe, expect, it } from 'vitest';
import { parseAddress } from '../src/address.js';

describe('parseAddress', () => {
  it.each([
    ['ada@example.org', 'ada@example.org', undefined],
    ['  Ada@Example.ORG ', 'Ada@example.org', undefined],
    ['Ada Lovelace <ada@example.org>', 'ada@example.org', 'Ada Lovelace'],
    ['"Lovelace, Ada" <ada@example.org>', 'ada@example.org', 'Lovelace, Ada'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk', undefined],
    ['info@żółw.example.pl', 'info@xn--w-uga1v8h.example.pl', undefined],
  ])('%s → %s', (input, address, name) => {
    const result = parseAddress(input);
    expect(result).toEqual({ ok: true, value: { address, name } });
  });

  it.each([
    ['', 'is not a valid e-mail address'],
    ['ada', 'is not a valid e-mail address'],
    ['ada@', 'is not a valid e-mail address'],
    ['ada@example', 'has an invalid domain'],
    ['ada@-example.org', 'has an invalid domain'],
    ['ada@example..org', 'is not a valid e-mail address'],
    ['jürgen@example.org', 'non-ASCII letters before the @'],
    ['a@example.org, b@example.org', 'is not a valid e-mail address'],
    ['"john doe"@example.org', 'has a quoted part before the @'],
  ])('rejects %j', (input, reason) => {
    const result = parseAddress(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('hints at one address per row when a cell holds several', () => {
    const result = parseAddress('a@example.org; b@example.org');
    expect(result.ok ? '' : result.hint).toContain('one address per row');
  });
});
