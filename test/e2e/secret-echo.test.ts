// Issue 23, point 7: a server that quotes the login back in its refusal never makes the password
// (or the user) appear in any form: raw, escaped as the terminal shows it, JSON-escaped,
// percent-encoded, in base64, or its UTF-8 read as Latin-1.
import { describe, expect, it } from 'vitest';
import { runCli, tmpJournal } from '../helpers/cli.js';
import { expectNothingArrived, startSmtp, TEST_USER } from '../helpers/smtp.js';

const PASSWORD = 'pä\\ss"wörd\u0007€-7c1';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Every form in which a text may show the password. */
function formsOf(secret: string): string[] {
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    secret.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`),
    encodeURIComponent(secret),
    b64(secret),
    Buffer.from(secret, 'utf8').toString('latin1'),
    // The tail alone, which no other text of the run contains.
    'wörd',
    'w\\u00f6rd',
    'w%C3%B6rd',
  ];
}

describe('a server that quotes the login back', () => {
  it('its refusal is shown without the password in any form; exit 2, nothing sent', async () => {
    const smtp = await startSmtp({
      refusal: (user, password) =>
        `5.7.8 login ${user} / ${password} / ${JSON.stringify(password)} / ${encodeURIComponent(password)} / ${b64(`\0${user}\0${password}`)} / ${Buffer.from(password, 'utf8').toString('latin1')} refused`,
    });
    try {
      for (const args of [['check-smtp'], ['send', '--yes', '--journal', tmpJournal(), '--now', '2026-11-27T12:00']]) {
        const result = await runCli([...args, '--smtp', smtp.url], {
          env: { NODE_EXTRA_CA_CERTS: smtp.caFile, SMTP_USER: TEST_USER, SMTP_PASS: PASSWORD },
        });
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toContain('refused');
        const shown = result.stdout + result.stderr;
        for (const form of formsOf(PASSWORD)) expect(shown, `${args[0]}: the form ${JSON.stringify(form)}`).not.toContain(form);
      }
      await expectNothingArrived(smtp);
    } finally {
      await smtp.close();
    }
  });
});
