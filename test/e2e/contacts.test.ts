// Contacts from real spreadsheet exports, end to end: what reaches the SMTP server, and what
// `invite validate` and `--skip-invalid` tell the organiser.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { campaignCopy, edit } from '../helpers/campaign.js';
import { ROOT, runCli, tmpJournal } from '../helpers/cli.js';
import { readEvent } from '../helpers/ical.js';
import { expectNothingArrived, startSmtp, TEST_PASS, TEST_USER, type TestSmtp } from '../helpers/smtp.js';

const NOW = '2026-11-27T12:00:00Z';
const FIXTURES = path.join(ROOT, 'test/fixtures');

function tmpFile(name: string, content: string | Buffer): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'invite-contacts-')), name);
  writeFileSync(file, content);
  return file;
}

function calendarText(mail: TestSmtp['received'][number]): string {
  const part = mail.parsed.attachments.find((a) => a.filename === 'invite.ics');
  if (!part) throw new Error('no invite.ics');
  return part.content.toString('utf8');
}

describe('contacts end to end', () => {
  let smtp: TestSmtp;
  beforeEach(async () => {
    smtp = await startSmtp();
  });
  afterEach(async () => {
    await smtp.close();
  });
  const send = (args: string[], cwd = ROOT) =>
    runCli(['send', '--smtp', smtp.url, '--yes', '--journal', tmpJournal(), '--now', NOW, ...args], {
      cwd,
      env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS },
    });

  it('a windows-1257 semicolon export: names arrive exactly in To, the greeting and the calendar', async () => {
    const names = ['Žydrūnė Šalčiūtė', 'Māra Bērziņa', 'Tõnu Põld'];
    const csv = ['email;name;organisation;country', ...names.map((n, i) => `p${i}@example.org;${n};Centre ${i};Lithuania`)].join('\r\n');
    const file = tmpFile('export.csv', iconv.encode(csv, 'windows-1257'));

    const refused = await send(['--contacts', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(':2:name: the file is not UTF-8');
    expect(refused.stderr).toContain('--encoding windows-1257');

    const result = await send(['--contacts', file, '--encoding', 'windows-1257']);
    expect(result.code).toBe(0);
    await smtp.close();
    expect(smtp.received).toHaveLength(3);
    for (const [i, name] of names.entries()) {
      const mail = smtp.received.find((m) => m.envelope.to[0] === `p${i}@example.org`)!;
      expect(mail.parsed.to && !Array.isArray(mail.parsed.to) ? mail.parsed.to.value[0]?.name : '').toBe(name);
      expect(mail.parsed.text).toContain(`Dear ${name},`);
      expect(readEvent(calendarText(mail)).attendee?.cn).toBe(name);
    }
  });

  it('a name with quotes and a comma gives a valid To header and calendar CN', async () => {
    const result = await send(['--contacts', path.join(FIXTURES, 'contacts/name-quotes.csv')]);
    expect(result.code).toBe(0);
    await smtp.close();
    const [mail] = smtp.received;
    const to = mail!.parsed.to && !Array.isArray(mail!.parsed.to) ? mail!.parsed.to.value : [];
    expect(to).toEqual([{ address: 'anna@example.org', name: 'Nowak, Anna "Ania"' }]);
    expect(readEvent(calendarText(mail!)).attendee).toMatchObject({ value: 'mailto:anna@example.org', cn: 'Nowak, Anna "Ania"' }); // RFC 6868: the quotes survive
  });

  it('an IDN domain goes out as punycode in the envelope, To and the calendar', async () => {
    const result = await send(['--contacts', path.join(FIXTURES, 'contacts/idn.csv')]);
    expect(result.code).toBe(0);
    await smtp.close();
    // smtp-server shows envelope domains decoded back to Unicode; the headers keep what we sent.
    expect(smtp.received.map((m) => m.envelope.to[0]).sort()).toEqual(['info@żółw.example.pl', 'juri@õun.example.ee']);
    const jan = smtp.received.find((m) => m.envelope.to[0] === 'info@żółw.example.pl')!;
    expect(jan.raw.toString()).toMatch(/^To: .*<info@xn--w-uga1v8h\.example\.pl>/m);
    expect(readEvent(calendarText(jan)).attendee?.value).toBe('mailto:info@xn--w-uga1v8h.example.pl');
    expect(jan.parsed.text).toContain('Dear Jan Żółw,');
  });

  it('CR/LF + "Bcc:" in a name: exit 2 and nothing sent; --skip-invalid sends the rest and lists the row', async () => {
    const file = path.join(FIXTURES, 'contacts/header-injection.csv');
    const refused = await send(['--contacts', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('header-injection.csv:2:name: "name" contains a line break or control character');

    const result = await send(['--contacts', file, '--skip-invalid', '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.accepted).toBe(1);
    expect(summary.skipped).toEqual([{ line: 2, email: 'ada@example.org', reasons: ['"name" contains a line break or control character'] }]);
    await smtp.close();
    expect(smtp.received.map((m) => m.envelope.to)).toEqual([['bob@example.org']]);
    expect(smtp.received[0]!.raw.toString()).not.toMatch(/^Bcc:/im);
  });

  it('per-row attachments are sent with their own content types', async () => {
    const dir = campaignCopy((y) =>
      y.replace('contacts: contacts/competence-centres.csv', 'contacts:\n  file: contacts/with-files.csv\n  attachment_column: Personal file'),
    );
    cpSync(path.join(FIXTURES, 'attachments'), path.join(dir, 'files'), { recursive: true });
    writeFileSync(
      path.join(dir, 'contacts/with-files.csv'),
      'email,name,organisation,Personal file\ndk@example.org,Søren,DK,files/agenda-dk.pdf\nee@example.org,Tõnu,EE,files/notes-ee.docx\nfi@example.org,Päivi,FI,\n',
    );
    const result = await send([], dir);
    expect(result.code).toBe(0);
    await smtp.close();
    const files = (to: string) =>
      smtp.received
        .find((m) => m.envelope.to[0] === to)!
        .parsed.attachments.filter((a) => a.contentDisposition === 'attachment')
        .map((a) => [a.filename, a.contentType]);
    expect(files('dk@example.org')).toContainEqual(['agenda-dk.pdf', 'application/pdf']);
    expect(files('ee@example.org')).toContainEqual(['notes-ee.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document']);
    expect(files('fi@example.org').map(([name]) => name)).toEqual(['Programme – Social Innovation in BSR 2nd workshop.pdf', 'invite.ics']);
  });

  it('a per-row attachment that does not exist is an error naming the row', async () => {
    const dir = campaignCopy((y) =>
      y.replace('contacts: contacts/competence-centres.csv', 'contacts:\n  file: contacts/with-files.csv\n  attachment_column: file'),
    );
    writeFileSync(path.join(dir, 'contacts/with-files.csv'), 'email,name,organisation,file\ndk@example.org,Søren,DK,files/missing.pdf\n');
    const result = await send([], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('contacts/with-files.csv:2:file: attachment "files/missing.pdf" not found');
    await expectNothingArrived(smtp);
  });
});

describe('invite validate', () => {
  it('passes the shipped campaign', async () => {
    const result = await runCli(['validate', '--now', NOW]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('✓ 9 contacts ready, 0 warnings.\n');
  });

  it('prints every problem as file:line:column: message (hint), errors and warnings apart, and exits 1', async () => {
    const dir = campaignCopy((y) =>
      y.replace('deadline: 2027-04-25', 'deadline: 2027-05-20').replace('contacts: contacts/competence-centres.csv', 'contacts: contacts/bad.csv'),
    );
    writeFileSync(
      path.join(dir, 'contacts/bad.csv'),
      'email,name,organisation\nbiser@example.org,Organiser,BISER\nada@example.org,Ada,\nADA@example.org,Ada twice,A\nnot-an-address,X,Y\n',
    );
    const result = await runCli(['validate', '--now', NOW], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')).toEqual([
      'Errors (4):',
      '  invite.yaml:21:registration.deadline: the registration deadline is after the event (set it on or before the event day)',
      '  contacts/bad.csv:2:email: biser@example.org is the organiser of the event (calendars reject an invitation to its own organiser; remove the row)',
      '  contacts/bad.csv:4:email: duplicate address ADA@example.org (also on line 3) (addresses are compared ignoring case; delete one of the rows)',
      '  contacts/bad.csv:5:email: "not-an-address" is not a valid e-mail address (an address looks like name@example.org)',
      'Warnings (1):',
      '  contacts/bad.csv:organisation: "organisation" is used by the templates but empty on line 3 (those letters will show nothing there; fill it in or use {{#if}} in the template)',
      '✗ 4 errors, 1 warning: nothing can be sent until the errors are fixed (or with --skip-invalid, which leaves out 3 rows).',
      '',
    ]);
  });

  it('--json gives the same problems to machines', async () => {
    const file = path.join(FIXTURES, 'contacts/ragged.csv');
    const result = await runCli(['validate', '--json', '--contacts', file, '--now', NOW]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(false);
    expect(report.contacts).toEqual({ ready: 1, rejected: 2 });
    expect(report.errors.map((e: { line: number; message: string }) => [e.line, e.message])).toEqual([
      [3, 'this row has 4 fields, the header has 3'],
      [4, 'this row has 2 fields, the header has 3'],
    ]);
  });

  it('reports a broken campaign file without a stack trace', async () => {
    const dir = campaignCopy((y) => y.replace('timezone: Europe/Stockholm', 'timezone: Europe/Stockholm\n  colour: blue'));
    const result = await runCli(['validate', '--now', NOW], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/invite\.yaml:\d+:event\.colour: unknown key "colour"/);
    expect(result.stderr).toBe('');
  });
});

describe('a contact whose country has no known time zone', () => {
  it('is a warning naming the country and the line, once for the file; the letter keeps the event time', async () => {
    const dir = campaignCopy();
    edit(path.join(dir, 'contacts/competence-centres.csv'), (csv) =>
      csv.replace(
        'info@cc-estonia.example.org,Tõnu Põld,Estonian Competence Centre for Social Innovation,Estonia,',
        'info@cc-estonia.example.org,Tõnu Põld,Estonian Competence Centre for Social Innovation,Narnia,',
      ),
    );
    const validate = await runCli(['validate'], { cwd: dir });
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain(
      'contacts/competence-centres.csv:country: no time zone known for "Narnia" (line 3): those letters show only the event\'s own time (add a timezone column',
    );
    const dry = await runCli(['send', '--dry-run', '--to', 'info@cc-estonia.example.org'], { cwd: dir });
    expect(dry.stderr).toContain('warning: contacts/competence-centres.csv:country: no time zone known for "Narnia"');
    // The table of recipients marks the row, beside the event's own time.
    expect(dry.stdout).toMatch(/^ {2}1 {2}Tõnu Põld <info@cc-estonia\.example\.org> +09:00–12:00 CEST {2}⚠ no time zone known for "Narnia": event time only$/m);
    expect(dry.code).toBe(0);
  });
});

describe('a Latvian export', () => {
  it('E-pasts;Vārds;Organizācija: validate passes and the letters use the name and organisation', async () => {
    const dir = campaignCopy();
    writeFileSync(
      path.join(dir, 'contacts/competence-centres.csv'),
      'E-pasts;Vārds;Organizācija\ninfo@cc-latvia.example.org;Māra Bērziņa;Latvijas Sociālās inovācijas centrs\n',
    );
    const validate = await runCli(['validate'], { cwd: dir });
    expect(validate.stdout).toContain('✓ 1 contact ready');
    const dry = await runCli(['send', '--dry-run'], { cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('To: Māra Bērziņa <info@cc-latvia.example.org>');
    expect(dry.stdout).toContain('Latvijas Sociālās inovācijas centrs');
  });
});
