// The exact bytes of every mail kind (issue 12: "the same bytes per message as today for the
// same inputs"). A frozen campaign (test/fixtures/golden) is composed and built for each kind
// at a fixed time and compared byte for byte with test/fixtures/golden/<kind>.eml, so a
// faster MIME path can prove it changes nothing. After a deliberate change of the output,
// regenerate with UPDATE_GOLDEN=1 npx vitest run test/mime-golden.test.ts and review the diff.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../../src/campaign/load.js';
import { Composer, type ComposeOptions } from '../../src/compose/compose.js';
import { loadContacts } from '../../src/contacts/rules.js';
import type { Campaign, MailKind } from '../../src/campaign/model.js';
import type { Contact } from '../../src/contacts/rules.js';
import { buildRaw, mailOptions, MimeWriter } from '../../src/mime/mime.js';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

/** A message as a run composes it (one Composer per call: the tests share no state). */
const compose = (campaign: Campaign, ...rest: Parameters<Composer['compose']>) => new Composer(campaign).compose(...rest);

const dir = path.join(import.meta.dirname, '../fixtures/golden');
const campaign = loadCampaign(path.join(dir, 'invite.yaml'));
const [ada] = loadContacts(path.join(dir, 'contacts/people.csv')).contacts;
const now = new Date('2027-04-18T07:00:00Z');

const kinds: [string, MailKind, ComposeOptions][] = [
  ['invitation', 'invitation', { sequence: 0 }],
  ['reminder', 'reminder:week-before', { sequence: 0, extra: { stage: { name: 'week-before', days_before: 7, days_left: 7 }, days_left: 7 } }],
  [
    'update',
    'update',
    { sequence: 1, journalKind: 'update:1', extra: { changes: ['Time: Thursday 6 May 2027, 09:00–12:00 CEST → Thursday 6 May 2027, 10:00–13:00 CEST'] } },
  ],
  ['cancel', 'cancel', { sequence: 2 }],
];

describe('the bytes of every mail kind', () => {
  it.each(kinds)('%s: byte for byte as recorded, and the same when built twice', async (name, kind, options) => {
    const raw = await buildRaw(compose(campaign, ada!, kind, now, options));
    // Built again by a writer that has built another message first (its plan, lines and buffers in use).
    const writer = new MimeWriter();
    await writer.build(compose(campaign, person('first@example.com', 'First'), kind, now, options));
    expect(await writer.build(compose(campaign, ada!, kind, now, options))).toEqual(raw);
    const file = path.join(dir, `${name}.eml`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, raw);
    expect(existsSync(file), `${file} is missing: UPDATE_GOLDEN=1 records it`).toBe(true);
    expect(raw.toString('latin1')).toBe(readFileSync(file).toString('latin1'));
  });
});

// nodemailer's own stream-based build, the path invite used before its in-place one: the bytes
// of every message must be the same, whatever the names, scripts, line lengths and sizes.
const streamed = (message: Parameters<typeof mailOptions>[0]) => new MailComposer(mailOptions(message)).compile().build();

const person = (email: string, name: string, fields: Record<string, string> = {}, attachments: Contact['attachments'] = []): Contact => ({
  line: 2,
  email,
  name,
  attachments,
  fields: { email, name, organisation: 'Org', country: '', timezone: '', ...fields },
});

const samples: Contact[] = [
  ada!,
  person('plain@example.com', 'Plain Name'),
  person('empty@example.com', ''),
  person('quote@example.com', 'O"Brien, Seán (Dublin)', { organisation: 'A;B:C, "D"' }),
  person('cyr@example.com', 'Анна Иванова', { organisation: 'Общество с ограниченной ответственностью «Рога и копыта»' }),
  person('cjk@example.com', '山田太郎', { organisation: '株式会社'.repeat(20) }),
  person('long@example.com', 'N'.repeat(256), { organisation: `${'word '.repeat(60)}end` }),
  person('trail@example.com', 'Trailing Space ', { organisation: 'tab\tand  spaces  ' }),
  person('emoji@example.com', 'Zoë 🎉 Ünal', { organisation: '=?utf-8?q?not_an_encoded_word?= =3D' }),
  person('dots@example.com', 'Dot.Starts', { organisation: '.\n.line starting with a dot\r\nbare CR\rend' }),
  person('tz@example.com', 'Ada Zone', { country: 'Japan', timezone: 'Asia/Tokyo' }),
];

describe("the in-place MIME build gives the bytes nodemailer's stream build gives", () => {
  it.each(kinds)('%s, for contacts with every kind of name and text', async (_name, kind, options) => {
    for (const contact of samples) {
      const message = compose(campaign, contact, kind, now, options);
      const [ours, theirs] = [await buildRaw(message), await streamed(message)];
      expect(ours.toString('latin1'), contact.email).toBe(theirs.toString('latin1'));
    }
  });

  it('with a personal attachment, a binary one, an empty one, and text long enough for base64', async () => {
    const binary = Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 7919) % 256));
    const variants = [
      { ...compose(campaign, ada!, 'invitation', now), attachments: [] },
      { ...compose(campaign, ada!, 'invitation', now), text: 'Ж'.repeat(5000), html: '<p>' + 'ж'.repeat(3000) + '</p>' },
      { ...compose(campaign, ada!, 'invitation', now), text: 'x'.repeat(200) + '\n' + ' '.repeat(100) + '\n\nend  ', html: '' },
      { ...compose(campaign, ada!, 'invitation', now), text: '', html: '<p>only html</p>' },
    ];
    const ascii = {
      ...compose(campaign, person('plain@example.com', 'Plain Name'), 'invitation', now),
      subject: 'Plain',
      text: 'Only ASCII here.\n',
      html: '<p>Only ASCII</p>',
    };
    variants.push(ascii, { ...ascii, subject: '   ' }, { ...ascii, text: `${'a'.repeat(80)}\n` }, { ...ascii, text: 'tab\there\u0001' });
    // Quoted-printable over 64 kB (nodemailer's Encoder itself), and just under it (the port).
    variants.push({ ...ascii, text: 'Lorem ipsum dolor sit amet, é\n'.repeat(2300) }, { ...ascii, text: 'Lorem ipsum dolor sit amet, é\n'.repeat(2100) });
    for (const message of variants) {
      expect((await buildRaw(message)).toString('latin1')).toBe((await streamed(message)).toString('latin1'));
    }
    // Quoted-printable or base64 turns on Latin letters against other characters, counted in
    // UTF-16 code units (an emoji is two): texts on either side of the line, and on it.
    for (const [letters, others] of [
      [10, 4],
      [10, 5],
      [10, 6],
      [9, 9],
      [21, 10],
      [20, 10],
    ] as const) {
      for (const other of ['🎉', 'é', '山', '\u0001', '\ud800']) {
        const body = 'a'.repeat(letters) + other.repeat(other.length === 2 ? Math.ceil(others / 2) : others) + ' 12.\n';
        const message = { ...ascii, text: body, html: `<b>${body}</b>` };
        expect((await buildRaw(message)).toString('latin1'), JSON.stringify(body)).toBe((await streamed(message)).toString('latin1'));
      }
    }
    const withFiles = compose(campaign, ada!, 'invitation', now);
    const files = withFiles.attachments;
    expect(files.length).toBeGreaterThan(0);
    // Attachments are read when the message is built: compare with stand-in bytes through the same options.
    const options = mailOptions(withFiles);
    options.attachments = [
      { filename: 'data.bin', content: binary },
      { filename: 'empty.txt', content: Buffer.alloc(0) },
      { filename: 'Āāā ünïcode name that is rather long indeed, longer than a line.pdf', content: binary.subarray(0, 3) },
    ];
    expect((await new MimeWriter().buildFromOptions(options)).toString('latin1')).toBe((await new MailComposer(options).compile().build()).toString('latin1'));
  });
});

describe('the in-place MIME build, on 150 random names, subjects and bodies', () => {
  // A seeded generator: the same cases on every run, so a failure can be repeated.
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pieces = [
    'a',
    'Z',
    ' ',
    '  ',
    ',',
    '"',
    "'",
    ';',
    ':',
    '=',
    '?',
    '_',
    '.',
    '\n',
    '\r\n',
    '\t',
    'ą',
    'ß',
    'é',
    'Ж',
    '山',
    '🎉',
    '=?',
    '?=',
    '<',
    '>',
    '@',
    '(',
    ')',
    '\\',
    'word ',
    'Lorem ipsum dolor sit amet ',
    'x'.repeat(90),
  ];
  const text = (max: number) => Array.from({ length: Math.floor(random() * max) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
  const cases = Array.from({ length: 150 }, (_, i) => {
    const name = text(12).replace(/[\r\n]/g, ' ');
    const kind = kinds[i % kinds.length]!;
    const message = compose(campaign, person(`r${i}@example.com`, name), kind[1], now, kind[2]);
    return { ...message, subject: text(20).replace(/[\r\n]/g, ' ') || 'S', text: text(200) || 't', html: random() < 0.1 ? '' : `<p>${text(200)}</p>` };
  });

  it("gives byte for byte what nodemailer's stream build gives, one writer for them all (as in a run: its plans, lines and buffers reused, each message's bytes given back)", async () => {
    const writer = new MimeWriter();
    for (const message of cases) {
      const [ours, theirs] = [
        await writer.build(message).catch((e: Error) => e.message),
        await streamed(message)
          .then((b) => b)
          .catch((e: Error) => e.message),
      ];
      // A header line over 998 octets is refused by invite (bounded.test.ts); compare the others.
      if (typeof ours === 'string') {
        expect(ours).toMatch(/more than the 998 SMTP allows/);
        continue;
      }
      expect(ours.toString('latin1'), `${message.to.name} / ${message.subject}`).toBe((theirs as Buffer).toString('latin1'));
      // As the transports do once a message is written or accepted: the next one, longer or shorter, is built into its buffer.
      writer.recycle(ours);
    }
  });

  it('takes back only bytes it built: its own buffer takes the next message, any other is left as it was', async () => {
    const writer = new MimeWriter();
    const a = cases[0]!;
    const first = await writer.build(a);
    writer.recycle(first);
    const second = await writer.build(a);
    expect(second.buffer).toBe(first.buffer);
    const foreign = Buffer.alloc(1 << 20, 0x2a);
    writer.recycle(second);
    writer.recycle(foreign);
    const third = await writer.build(a);
    expect(third.buffer).not.toBe(foreign.buffer);
    expect(foreign.every((byte) => byte === 0x2a)).toBe(true);
    expect(third.toString('latin1')).toBe((await new MimeWriter().build(a)).toString('latin1'));
  });
});
