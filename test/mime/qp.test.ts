// src/mime/qp.ts is a port of nodemailer's quoted-printable Encoder (issue 12: the same bytes, faster).
// It is compared here with the Encoder itself, run as the stream it is, on inputs made to reach
// every branch of its wrap(): long words, lines just over and under 76, escapes and UTF-8
// sequences at the window's edge, bare CR and LF, CRLF, trailing whitespace, binary mode.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Encoder, wrap } from 'nodemailer/lib/qp/index.js';
import { QP_SLICE, quotedPrintableChunk, wrapQuotedPrintable } from '../../src/mime/qp.js';

async function theirs(bytes: Buffer, binary: boolean): Promise<string> {
  let out = '';
  for await (const chunk of Readable.from([bytes]).pipe(new Encoder({ binary }))) out += String(chunk);
  return out;
}

// A seeded generator: the same cases on every run, so a failure can be repeated.
let seed = 20261128;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const PIECES = [
  'word',
  'a',
  'Ada',
  'Lovelace',
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  '.',
  ',',
  '!',
  '?',
  '=',
  '==',
  '3D',
  'ab',
  'Cf',
  'E2',
  '=E2',
  '–',
  'é',
  'Ž',
  'ūnė',
  '😀',
  '漢字',
  '\n',
  '\n',
  '\r\n',
  '\r\n',
  '\r',
  ' \n',
  '\t\r\n',
  '\n\n',
  'x'.repeat(80),
  'é'.repeat(30),
  'hello, world',
  'https://example.org/a?b=c&d=e',
  '\u0000',
  '\u007f',
  '\u00a0',
] as const;

function text(maxPieces: number): string {
  return Array.from({ length: Math.floor(random() * maxPieces) }, () => pick(PIECES)).join('');
}

function bytes(max: number): Buffer {
  return Buffer.from(Array.from({ length: Math.floor(random() * max) }, () => Math.floor(random() * 256)));
}

describe("quoted-printable: the port gives the Encoder's bytes", () => {
  it('3,000 random texts, as text and as binary', async () => {
    for (let i = 0; i < 3000; i++) {
      const input = Buffer.from(text(i < 2000 ? 40 : 400));
      const binary = i % 3 === 0;
      expect(quotedPrintableChunk(input, binary), JSON.stringify({ i, binary, input: input.toString() })).toBe(await theirs(input, binary));
    }
  });

  it('500 random byte strings, as text and as binary', async () => {
    for (let i = 0; i < 500; i++) {
      const input = bytes(600);
      const binary = i % 2 === 0;
      expect(quotedPrintableChunk(input, binary), JSON.stringify({ i, binary, input: input.toString('hex') })).toBe(await theirs(input, binary));
    }
  });

  it('edges: empty, only whitespace, an escape or a UTF-8 sequence at every position near column 76, one slice long', async () => {
    const cases = ['', ' ', '\t \t', 'a ', 'a\r', '\r', '\n', '\r\n', ' \r\n', '=', 'é'.repeat(40), '€'.repeat(40), '😀'.repeat(30)];
    for (let n = 60; n < 90; n++) for (const tail of ['é', '€', '😀', '=', ' x', '.x', '\nx', '\r\nx', 'é ']) cases.push('a'.repeat(n) + tail + 'b'.repeat(10));
    cases.push('Lorem ipsum dolor sit amet, é '.repeat(Math.floor(QP_SLICE / 31)));
    for (const input of cases) {
      for (const binary of [false, true]) {
        const buffer = Buffer.from(input);
        expect(quotedPrintableChunk(buffer, binary), JSON.stringify({ binary, input })).toBe(await theirs(buffer, binary));
      }
    }
  });

  it('wrap alone, on 3,000 random quoted-printable-like strings', () => {
    const parts = [
      'abc',
      'x',
      ' ',
      '\t',
      '.',
      ',',
      '!',
      '?',
      '=3D',
      '=C3',
      '=A9',
      '=E2=80=93',
      '=F0=9F=98=80',
      '=',
      '=4',
      '=a',
      '=c3=a9',
      '\n',
      '\r\n',
      '\r',
      'y'.repeat(70),
      '=20',
    ];
    for (let i = 0; i < 3000; i++) {
      const input = Array.from({ length: Math.floor(random() * 120) }, () => pick(parts)).join('');
      expect(wrapQuotedPrintable(input), JSON.stringify(input)).toBe(wrap(input, 76));
    }
  });
});
