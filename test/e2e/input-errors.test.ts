// Bad input: one clear message naming where, exit 2, and nothing reaches the server.
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { campaignCopy, edit } from '../helpers/campaign.js';
import { runCli, tmpJournal } from '../helpers/cli.js';
import { expectNothingArrived, startSmtp, TEST_PASS, TEST_USER, type TestSmtp } from '../helpers/smtp.js';

const NOW = '2026-11-27T12:00:00Z';

describe('bad input stops the run before anything is sent', () => {
  let smtp: TestSmtp;
  beforeEach(async () => {
    smtp = await startSmtp();
  });
  afterEach(async () => {
    await smtp.close();
  });

  const send = (dir: string) =>
    runCli(['send', '--smtp', smtp.url, '--yes', '--journal', tmpJournal(), '--now', NOW], {
      cwd: dir,
      env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: TEST_PASS },
    });

  it('a template variable that no column provides: file, line, variable; exit 2', async () => {
    const dir = campaignCopy();
    edit(path.join(dir, 'templates/invitation.txt.hbs'), (t) => t.replace('Dear {{name}},', 'Dear {{title}} {{name}},'));
    const result = await send(dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('templates/invitation.txt.hbs:1:8: the template uses "{{title}}"');
    expect(result.stderr).toContain('columns of contacts/competence-centres.csv: email, name, organisation, country, timezone');
    await expectNothingArrived(smtp);
  });

  it('a bad address in the contacts: file, line, column; exit 2', async () => {
    const dir = campaignCopy();
    edit(path.join(dir, 'contacts/competence-centres.csv'), (t) => t.replace('info@cc-latvia.example.org', 'info@cc-latvia'));
    const result = await send(dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('contacts/competence-centres.csv:6:email: "info@cc-latvia" has an invalid domain "cc-latvia"');
    await expectNothingArrived(smtp);
  });

  it('an unknown key in invite.yaml: its name and line; exit 2', async () => {
    const dir = campaignCopy();
    edit(path.join(dir, 'invite.yaml'), (t) => t.replace('contacts: contacts/', 'contact_file: x.csv\ncontacts: contacts/'));
    const result = await send(dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invite\.yaml:\d+:contact_file: unknown key "contact_file"/);
    await expectNothingArrived(smtp);
  });

  it('an event already over: exit 2', async () => {
    const result = await runCli(['send', '--dry-run', '--now', '2027-06-01T00:00:00Z']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the event is already over');
  });
});

describe('usage', () => {
  it('--help lists the flags', async () => {
    const result = await runCli(['send', '--help']);
    expect(result.code).toBe(0);
    for (const flag of ['--dry-run', '--out', '--smtp', '--yes', '--limit', '--to', '--campaign', '--contacts', '--json', '--now', '--insecure-tls']) {
      expect(result.stdout).toContain(flag);
    }
  });

  it('an unknown flag is exit 2', async () => {
    const result = await runCli(['send', '--dryrun']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--dryrun'");
  });

  it('--limit must be a positive whole number', async () => {
    const result = await runCli(['send', '--dry-run', '--limit', 'zero']);
    expect(result.code).toBe(2);
  });

  it('a missing campaign file says how to get one', async () => {
    const result = await runCli(['send', '--dry-run'], { cwd: os.tmpdir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invite.yaml: campaign file not found');
  });
});
