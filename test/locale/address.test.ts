import { describe, expect, it } from 'vitest';
import { parseAddress, parseAddressFully } from '../../src/locale/address.js';

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

describe('the fast path for plain addresses', () => {
  it('gives exactly what the RFC 5322 parser gives, for plain and unusual addresses alike', () => {
    const inputs = [
      'ada@example.org',
      ' Ada@Example.ORG ',
      'first.last+tag@sub.example.co.uk',
      "o'brien@example.ie",
      'x_y-z=w?q^r`s{t|u}v~@example.com',
      'a..b@example.org',
      '.a@example.org',
      'a.@example.org',
      'a@-example.org',
      'a@example-.org',
      'a@example',
      'a@example.c',
      'a@example.123',
      'a@xn--bcher-kva.example',
      'a@bücher.example',
      'Ada <ada@example.org>',
      '"a b"@example.org',
      'a@b@example.org',
      'a@example..org',
      `${'l'.repeat(70)}@${'d'.repeat(63)}.example`,
      `a@${'d'.repeat(64)}.example`,
      'ą@example.org',
      'a@example.org.',
      'a@[127.0.0.1]',
      'a(b)@example.org',
      'a@EXAMPLE.ORG',
      'a@ex_ample.org',
      'A@x.io',
      '',
      ' ',
      'a@example.xn--p1ai',
    ];
    for (const input of inputs) expect(parseAddress(input), input).toEqual(parseAddressFully(input));
  });
});
