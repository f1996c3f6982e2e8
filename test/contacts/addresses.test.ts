// The addresses a check has met, kept compactly: the same address twice is found, with the line
// it was first met on, however many there are and whatever their hashes do.
import { describe, expect, it } from 'vitest';
import { AddressIndex } from '../../src/contacts/addresses.js';

describe('AddressIndex', () => {
  it('100,000 addresses: each new one is new, each repeated one gives the line it was first met on', () => {
    const index = new AddressIndex();
    for (let i = 0; i < 100_000; i++) expect(index.firstLine(`person${i}@example.org`, i + 2)).toBeUndefined();
    for (const i of [0, 1, 4_095, 65_536, 99_999]) expect(index.firstLine(`person${i}@example.org`, 200_000)).toBe(i + 2);
    expect(index.firstLine('person100000@example.org', 3)).toBeUndefined();
  });

  it('non-ASCII and long addresses, and ones that differ by a byte, are told apart', () => {
    const index = new AddressIndex();
    const long = `${'a'.repeat(2000)}@example.org`;
    const addresses = ['jānis@żółw.example.pl', 'janis@żółw.example.pl', 'a@b.test', 'a@b.tesu', long, `${long}x`, ''];
    addresses.forEach((a, i) => expect(index.firstLine(a, i + 10), a).toBeUndefined());
    addresses.forEach((a, i) => expect(index.firstLine(a, 99), a).toBe(i + 10));
  });
});
