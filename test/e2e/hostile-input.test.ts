// Inputs that pass the checks must never crash later, and nothing from a file is obeyed by the
// terminal (issue 10): control characters in invite.yaml, a YAML alias bomb, a journal that is
// a folder, UTF-16 contacts, and escape sequences from a CSV printed by validate and --dry-run.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCopy } from '../helpers/campaign.js';
import { runCli } from '../helpers/cli.js';

const ESC = '\u001b';
// OSC 52: "write this (base64) to the clipboard", ended by BEL.
const OSC52 = `${ESC}]52;c;Y3VybCBldmlsLmV4YW1wbGUub3JnIHwgc2g=\u0007`;

describe('hostile input', () => {
  it('terminal escapes from the CSV are shown as \\x1B by --dry-run and validate, never sent raw to the terminal', async () => {
    const dir = campaignCopy();
    writeFileSync(
      path.join(dir, 'contacts', 'competence-centres.csv'),
      ['email,name,organisation,country,timezone', `ada@example.org,Ada,Centre ${OSC52}${ESC}[2J,Latvia,`, `bad${ESC}[31m@example,Bob,Org,Latvia,`].join('\n') +
        '\n',
    );
    const dry = await runCli(['send', '--dry-run', '--skip-invalid'], { cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Centre \\x1B]52;c;Y3VybCBldmlsLmV4YW1wbGUub3JnIHwgc2g=\\x07\\x1B[2J');
    expect(dry.stdout + dry.stderr).not.toContain(ESC);
    expect(dry.stdout + dry.stderr).not.toContain('\u0007');

    const validate = await runCli(['validate'], { cwd: dir });
    expect(validate.stdout).toContain('bad\\x1B[31m@example');
    expect(validate.stdout + validate.stderr).not.toContain(ESC);
  });

  it('a control character in an invite.yaml name or title is an error naming the key and line; a line break in a one-line value too', async () => {
    const dir = campaignCopy((y) =>
      y
        .replace('title: Social Innovation in BSR – 2nd workshop', 'title: "Social Innovation \\e]52;c;aGk=\\a"')
        .replace(
          '  name: BISER – Baltic Sea Region Social Innovation\n  email: biser@example.org',
          '  name: "BISER\\nBcc: everyone@example.org"\n  email: biser@example.org',
        ),
    );
    const result = await runCli(['send', '--dry-run'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invite\.yaml:6:event\.title: "event\.title" contains a control character \(U\+001B\); it must be one line \(remove it/);
    expect(result.stderr).toMatch(/invite\.yaml:\d+:organiser\.name: "organiser\.name" contains a line break; it must be one line/);
    expect(result.stderr).not.toContain(ESC);
  });

  it('a YAML alias bomb is an input error, not a stack trace or a full memory', async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    ].join('\n');
    const dir = campaignCopy((y) => `${bomb}\n${y}`);
    const result = await runCli(['send', '--dry-run'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^invite: invite\.yaml: YAML: Excessive alias count/m);
    expect(result.stderr).toContain('needs no anchors and aliases');
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('--journal naming a folder, or .invite/journal.jsonl being one: exit 2 with the reason, not a stack trace', async () => {
    const dir = campaignCopy();
    mkdirSync(path.join(dir, 'a-folder'));
    const named = await runCli(['send', '--out', path.join(dir, 'out'), '--journal', 'a-folder', '--now', '2027-04-01T09:00:00Z'], { cwd: dir });
    mkdirSync(path.join(dir, '.invite', 'journal.jsonl'), { recursive: true });
    const status = await runCli(['status'], { cwd: dir });
    expect(status.code).toBe(2);
    expect(status.stderr).toBe(
      'invite: .invite/journal.jsonl: the journal is a folder (the journal is a file of JSON lines; pass --journal FILE with a file name, or move what is there away)\n',
    );
    const send = await runCli(['send', '--smtp', 'smtp://127.0.0.1:9', '--yes', '--now', '2027-04-01T09:00:00Z'], { cwd: dir });
    expect(send.code).toBe(2);
    expect(send.stderr).toContain('the journal is a folder');
    expect(named.code).toBe(2);
    expect(named.stderr).toBe(
      'invite: a-folder: the journal is a folder (the journal is a file of JSON lines; pass --journal FILE with a file name, or move what is there away)\n',
    );
  });

  it('UTF-16 contacts: with a byte-order mark they are read; without one the file is named as UTF-16LE with the flag that reads it', async () => {
    const dir = campaignCopy();
    const text = 'email\tname\torganisation\r\nada@example.org\tĀda Ņemcova\tCentre\r\n';
    writeFileSync(path.join(dir, 'contacts', 'competence-centres.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const withBom = await runCli(['send', '--dry-run'], { cwd: dir });
    expect(withBom.stderr).toBe('');
    expect(withBom.stdout).toContain('To: Āda Ņemcova <ada@example.org>');

    writeFileSync(path.join(dir, 'contacts', 'competence-centres.csv'), Buffer.from(text, 'utf16le'));
    const noBom = await runCli(['send', '--dry-run'], { cwd: dir });
    expect(noBom.code).toBe(2);
    expect(noBom.stderr).toContain('contacts/competence-centres.csv: the file is UTF-16LE without a byte-order mark (pass --encoding utf-16le');
    const named = await runCli(['send', '--dry-run', '--encoding', 'utf-16le'], { cwd: dir });
    expect(named.stdout).toContain('To: Āda Ņemcova <ada@example.org>');
  });
});
