// The built CLI against a real SMTP server: what arrives is what a recipient gets.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type Attachment, type ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, tmpJournal } from '../helpers/cli.js';
import { campaignCopy } from '../helpers/campaign.js';
import { physicalLines, readEvent } from '../helpers/ical.js';
import { runInTerminal } from '../helpers/terminal.js';
import { expectNothingArrived, startSmtp, TEST_PASS, TEST_USER, type TestSmtp } from '../helpers/smtp.js';

const NOW = '2026-11-27T12:00:00Z';
const CONTACTS = readFileSync(path.join(ROOT, 'contacts/competence-centres.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [email, name, organisation] = line.split(',');
    return { email: email!, name: name!, organisation: organisation! };
  });

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'invite-e2e-'));
}

/** The calendar as a client sees it: the text/calendar alternative and the invite.ics attachment. */
function calendarOf(mail: ParsedMail): { alternative: Attachment; file: Attachment; mimeMethod: string } {
  const alternative = mail.attachments.find((a) => a.contentType === 'text/calendar');
  const file = mail.attachments.find((a) => a.filename === 'invite.ics');
  if (!alternative || !file) throw new Error('the message has no calendar');
  const header = alternative.headers.get('content-type') as { params: Record<string, string> };
  return { alternative, file, mimeMethod: header.params.method ?? '' };
}

function toAddresses(mail: ParsedMail) {
  return mail.to && !Array.isArray(mail.to) ? mail.to.value : [];
}

describe('invite send --dry-run', () => {
  it('first a table of all 9 recipients with their local time, then the first message in full, then the totals; sends nothing', async () => {
    const result = await runCli(['send', '--dry-run', '--now', NOW]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Recipients (9):');
    CONTACTS.forEach((contact, i) =>
      expect(lines[i + 1]).toMatch(new RegExp(`^  ${i + 1}  ${contact.name} <${contact.email.replace(/\./g, '\\.')}> +\\d\\d:\\d\\d–`)),
    );
    expect(result.stdout).toMatch(/^ {2}6 {2}Žydrūnė Šalčiūtė <info@cc-lithuania\.example\.org> +10:00–13:00 in Vilnius$/m);
    expect(result.stdout).toMatch(/^ {2}1 {2}Søren Møller <info@cc-denmark\.example\.org> +09:00–12:00 CEST$/m);
    // One message in full: the first.
    expect(result.stdout.match(/^To: /gm)).toEqual(['To: ']);
    expect(result.stdout).toContain(`To: ${CONTACTS[0]!.name} <${CONTACTS[0]!.email}>`);
    expect(result.stdout.indexOf('Recipients (9):')).toBeLessThan(result.stdout.indexOf('── message 1'));
    expect(result.stdout).toContain('invite.ics (calendar, METHOD:REQUEST');
    expect(result.stdout).toMatch(
      /Dry run: 9 invitations rendered for bsr-social-innovation-2027; nothing sent\. The first is shown in full; --all shows every one/,
    );
  });

  it('--all prints every message in full; --limit 3 those three; --to the one', async () => {
    const all = await runCli(['send', '--dry-run', '--all', '--now', NOW]);
    expect(all.code).toBe(0);
    for (const contact of CONTACTS) expect(all.stdout).toContain(`To: ${contact.name} <${contact.email}>`);
    expect(all.stdout.match(/^To: /gm)).toHaveLength(9);
    expect(all.stdout).toContain('Thursday 6 May 2027, 09:00–12:00 CEST (10:00–13:00 in Vilnius)');
    expect(all.stdout).not.toContain('--all shows every one');
    const three = await runCli(['send', '--dry-run', '--limit', '3', '--now', NOW]);
    expect(three.stdout).toContain('Recipients (3):');
    expect(three.stdout.match(/^To: /gm)).toHaveLength(3);
    // --to, with --json: the chosen one in full on stderr, the recipients as data on stdout.
    const one = await runCli(['send', '--dry-run', '--json', '--to', CONTACTS[5]!.email, '--now', NOW]);
    expect(one.code).toBe(0);
    expect(one.stderr.match(/^To: /gm)).toHaveLength(1);
    expect(one.stderr).toContain(`To: ${CONTACTS[5]!.name} <${CONTACTS[5]!.email}>`);
    expect(one.stderr).toContain('Recipients (1):');
    expect(JSON.parse(one.stdout).recipients).toEqual([
      { email: 'info@cc-lithuania.example.org', name: 'Žydrūnė Šalčiūtė', localTime: '10:00–13:00 in Vilnius', warnings: [], language: 'en' },
    ]);
    const misuse = await runCli(['send', '--all', '--now', NOW]);
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toContain('--all is for --dry-run');
  });

  it('prints only JSON on stdout with --json', async () => {
    const result = await runCli(['send', '--dry-run', '--json', '--limit', '3', '--now', NOW]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ command: 'send', mode: 'dry-run', toSend: 3, accepted: 3, journal: null });
    expect(summary.messages.map((m: { email: string }) => m.email)).toEqual(CONTACTS.slice(0, 3).map((c) => c.email));
  });

  it('colours the preview only when asked to, and NO_COLOR always wins', async () => {
    const forced = await runCli(['send', '--dry-run', '--limit', '1', '--now', NOW], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\x1b[');
    const plain = await runCli(['send', '--dry-run', '--limit', '1', '--now', NOW], { env: { NO_COLOR: '1', FORCE_COLOR: '1' } });
    expect(plain.stdout).not.toContain('\x1b[');
    const piped = await runCli(['send', '--dry-run', '--limit', '1', '--now', NOW], { env: { NO_COLOR: undefined } });
    expect(piped.stdout).not.toContain('\x1b['); // not a terminal
  });

  it('--to selects one contact, case-insensitively', async () => {
    const result = await runCli(['send', '--dry-run', '--to', 'INFO@cc-poland.example.org', '--now', NOW]);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^To: /gm)).toHaveLength(1);
    expect(result.stdout).toContain('To: Małgorzata Wąsowska <info@cc-poland.example.org>');
  });
});

describe('memory', () => {
  // The launcher changes no V8 flag at run time (issue 22): the heap is Node's own, and a cap in
  // NODE_OPTIONS (README, "Large lists") is what applies.
  it('the launcher leaves V8 alone; a heap cap in NODE_OPTIONS applies as given', async () => {
    expect(readFileSync(BIN, 'utf8')).not.toMatch(/setFlagsFromString|node:v8/);
    const probe = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-heap-')), 'heap.mjs');
    writeFileSync(
      probe,
      "import v8 from 'node:v8';\nprocess.on('exit', () => process.stderr.write(`heap limit: ${v8.getHeapStatistics().heap_size_limit}\\n`));\n",
    );
    const limit = (stderr: string) => Number(/heap limit: (\d+)/.exec(stderr)?.[1]);
    const own = await runCli(['send', '--dry-run', '--now', NOW], { env: { NODE_OPTIONS: `--import=${probe}` } });
    const capped = await runCli(['send', '--dry-run', '--now', NOW], {
      env: { NODE_OPTIONS: `--import=${probe} --max-old-space-size=96 --max-semi-space-size=1` },
    });
    expect([own.code, capped.code]).toEqual([0, 0]);
    expect(limit(capped.stderr)).toBeLessThan(110 * 1024 * 1024);
    expect(limit(own.stderr)).toBeGreaterThan(500 * 1024 * 1024);
  });
});

describe('start-up', () => {
  it.runIf(typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function')(
    "Node.js 22.1 and later: the compiled code is kept in the user's cache folder for the next run",
    async () => {
      const cache = mkdtempSync(path.join(os.tmpdir(), 'invite-cache-'));
      expect((await runCli(['--help'], { env: { XDG_CACHE_HOME: cache } })).code).toBe(0);
      expect(readdirSync(path.join(cache, 'invite', 'compile-cache')).length).toBeGreaterThan(0);
      // Turned off as for any Node.js program.
      const off = mkdtempSync(path.join(os.tmpdir(), 'invite-cache-'));
      expect((await runCli(['--help'], { env: { XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: '1' } })).code).toBe(0);
      expect(readdirSync(off)).toEqual([]);
    },
  );
});

describe('invite send --out', () => {
  it('writes 9 .eml files that mailparser reads as the recipients will', async () => {
    const dir = tmp();
    const result = await runCli(['send', '--out', dir, '--now', NOW]);
    expect(result.code).toBe(0);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort();
    expect(files).toHaveLength(9);
    for (const [index, file] of files.entries()) {
      const contact = CONTACTS[index]!;
      const bytes = readFileSync(path.join(dir, file));
      expect(bytes.toString('latin1')).not.toMatch(/[^\r]\n/); // RFC 5322: every line ends in CRLF
      const mail = await simpleParser(bytes);
      expect(toAddresses(mail)).toEqual([{ address: contact.email, name: contact.name }]);
      expect(mail.subject).toBe('Invitation: Social Innovation in BSR – 2nd workshop, Thursday 6 May 2027');
      expect(mail.text).toContain(`Dear ${contact.name},`);
      expect(mail.text).toContain(contact.organisation);
      expect(mail.html).toContain(`<strong>${contact.organisation}</strong>`);
      expect(mail.replyTo?.value.map((a) => a.address)).toEqual(['biser@example.org', 'pa-coordinator@example.org']);
      const programme = mail.attachments.find((a) => a.contentType === 'application/pdf');
      expect(programme?.filename).toBe('Programme – Social Innovation in BSR 2nd workshop.pdf');
      expect(programme?.content.subarray(0, 5).toString()).toBe('%PDF-');
      const calendar = calendarOf(mail);
      expect(calendar.file.contentType).toBe('application/ics');
      // The attachment carries exactly the bytes of the text/calendar alternative.
      expect(calendar.file.content.equals(calendar.alternative.content)).toBe(true);
      expect(readEvent(calendar.file.content.toString('utf8')).attendee?.value).toBe(`mailto:${contact.email}`);
    }
  });
});

describe('invite send through SMTP', () => {
  let smtp: TestSmtp;
  beforeEach(async () => {
    smtp = await startSmtp();
  });
  afterEach(async () => {
    await smtp.close();
  });

  const env = () => ({ NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS });

  it.each(['America/Los_Angeles', 'Asia/Tokyo'])('delivers 9 invitations over STARTTLS with AUTH PLAIN, TZ=%s', async (tz) => {
    const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--journal', tmpJournal(), '--now', NOW], { env: { ...env(), TZ: tz } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Sent 9 invitations through 127.0.0.1:${smtp.port} as biser@example.org.`);
    expect(result.stdout + result.stderr).not.toContain(TEST_PASS);
    await smtp.close();

    expect(smtp.received).toHaveLength(9);
    const recipients = smtp.received
      .map((m) => m.envelope.to)
      .flat()
      .sort();
    expect(recipients).toEqual(CONTACTS.map((c) => c.email).sort());
    for (const message of smtp.received) {
      expect(message.secure).toBe(true); // STARTTLS happened before AUTH and DATA
      expect(message.user).toBe(TEST_USER);
      expect(message.envelope.from).toBe('biser@example.org');
      const calendar = calendarOf(message.parsed);
      const text = calendar.alternative.content.toString('utf8');
      const event = readEvent(text);
      expect(event.start).toBe('2027-05-06T07:00:00.000Z');
      expect(event.end).toBe('2027-05-06T10:00:00.000Z');
      expect(event.method).toBe('REQUEST');
      expect(calendar.mimeMethod).toBe(event.method);
      expect(event.uid).toBe('bsr-social-innovation-2027@example.org');
      expect(event.sequence).toBe(0);
      expect(event.stamp).toBe('2026-11-27T12:00:00.000Z');
      // URI schemes are case-insensitive (RFC 3986): compare the address.
      expect(event.organizer?.value.toLowerCase()).toBe('mailto:biser@example.org');
      expect(event.organizer?.cn).toBe('BISER – Baltic Sea Region Social Innovation');
      expect(event.attendee?.value).toBe(`mailto:${message.envelope.to[0]}`);
      expect(event.attendee?.rsvp).toBe('TRUE');
      const contact = CONTACTS.find((c) => c.email === message.envelope.to[0])!;
      expect(event.attendee?.cn).toBe(contact.name);
      for (const line of physicalLines(text)) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
      expect(text).not.toMatch(/[^\r]\n/); // CRLF only
    }
  });

  it('--out writes exactly the bytes SMTP carries', async () => {
    const dir = tmp();
    expect((await runCli(['send', '--out', dir, '--now', NOW])).code).toBe(0);
    const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--journal', tmpJournal(), '--now', NOW], { env: env() });
    expect(result.code).toBe(0);
    await smtp.close();
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(9);
    for (const [index, file] of files.entries()) {
      const arrived = smtp.received.find((m) => m.envelope.to[0] === CONTACTS[index]!.email)!;
      expect(arrived.raw.equals(readFileSync(path.join(dir, file))), file).toBe(true);
    }
  });

  it('gives every message the same Message-ID on a second run', async () => {
    // --resend: the journal would otherwise (rightly) send nothing the second time.
    const journal = tmpJournal();
    const first = await runCli(['send', '--smtp', smtp.url, '--yes', '--journal', journal, '--now', NOW], { env: env() });
    const second = await runCli(['send', '--smtp', smtp.url, '--yes', '--resend', '--journal', journal, '--now', '2026-11-28T08:00:00Z'], { env: env() });
    expect([first.code, second.code]).toEqual([0, 0]);
    await smtp.close();
    expect(smtp.received).toHaveLength(18);
    // The two runs differ in their Date header (--now); group by it, not by arrival order.
    const ids = (date: string) =>
      new Map(smtp.received.filter((m) => m.parsed.date?.toISOString() === date).map((m) => [m.envelope.to[0], m.parsed.messageId]));
    const a = ids('2026-11-27T12:00:00.000Z');
    const b = ids('2026-11-28T08:00:00.000Z');
    expect(b.size).toBe(9);
    expect(new Set(a.values()).size).toBe(9);
    for (const [email, id] of a) expect(b.get(email)).toBe(id);
  });

  it('refuses to send without a terminal and without --yes: exit 2, nothing sent', async () => {
    const result = await runCli(['send', '--smtp', smtp.url, '--journal', tmpJournal(), '--now', NOW], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('without confirmation');
    expect(result.stderr).toContain('--yes');
    await expectNothingArrived(smtp);
  });

  it('refuses also under CI, even on a real terminal: exit 2, no question, nothing sent', async () => {
    // Without CI the same terminal gets the question (terminal.test.ts), so this can fail.
    const t = runInTerminal(['send', '--journal', tmpJournal(), '--now', NOW], { cwd: campaignCopy(), env: { ...env(), SMTP_URL: smtp.url, CI: 'true' } });
    const result = await t.done;
    expect(result.code).toBe(2);
    const screen = (await t.screen()).join('\n');
    expect(screen).toContain('not sending 9 invitations without confirmation');
    expect(screen).not.toContain('Send 9 invitations');
    await expectNothingArrived(smtp);
  });

  it('verifies the certificate: an untrusted server stops the run with exit 2 and nothing sent', async () => {
    const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--journal', tmpJournal(), '--now', NOW], {
      env: { SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/certificate/);
    expect(result.stderr).toContain('--insecure-tls');
    await expectNothingArrived(smtp);
  });

  it('--insecure-tls sends to an untrusted server, with a warning', async () => {
    const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--insecure-tls', '--limit', '1', '--journal', tmpJournal(), '--now', NOW], {
      env: { SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning: --insecure-tls');
    await smtp.close();
    expect(smtp.received).toHaveLength(1);
  });

  it('a wrong password stops the run: exit 2, nothing sent, the password never echoed', async () => {
    const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--journal', tmpJournal(), '--now', NOW], {
      env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: 'wrong-secret-123' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refused the login');
    expect(result.stdout + result.stderr).not.toContain('wrong-secret-123');
    await expectNothingArrived(smtp);
  });

  it('takes the credentials from the URL when SMTP_USER and SMTP_PASS are not set', async () => {
    const url = `smtp://${encodeURIComponent(TEST_USER)}:${encodeURIComponent(TEST_PASS)}@127.0.0.1:${smtp.port}`;
    const result = await runCli(['send', '--yes', '--limit', '2', '--journal', tmpJournal(), '--now', NOW], {
      env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_URL: url },
    });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(encodeURIComponent(TEST_PASS));
    await smtp.close();
    expect(smtp.received.map((m) => m.user)).toEqual([TEST_USER, TEST_USER]);
  });
});

describe('invite send through smtps:// (TLS from the first byte)', () => {
  it('delivers over implicit TLS with the certificate verified', async () => {
    const smtp = await startSmtp({ implicitTls: true });
    try {
      expect(smtp.url.startsWith('smtps://')).toBe(true);
      const result = await runCli(['send', '--smtp', smtp.url, '--yes', '--limit', '3', '--journal', tmpJournal(), '--now', NOW], {
        env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS },
      });
      expect(result.code).toBe(0);
      await smtp.close();
      expect(smtp.received.map((m) => [m.secure, m.user])).toEqual(Array(3).fill([true, TEST_USER]));
    } finally {
      await smtp.close();
    }
  });
});

describe('invite send without SMTP', () => {
  it('exits 2 and explains how to configure SMTP or preview', async () => {
    const result = await runCli(['send', '--yes', '--now', NOW], { env: { SMTP_URL: undefined } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no SMTP server configured');
    expect(result.stderr).toContain('--dry-run');
  });
});
