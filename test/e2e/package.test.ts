// invite as a user installs it: packed from a clean checkout (no dist/), installed from the
// tarball into a prefix of its own, and used from an empty folder for a campaign of the
// user's own — no file of this repository in reach.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from '../helpers/cli.js';
import { startOAuthServer } from '../helpers/oauth-server.js';
import { startSmtp, whenReceived } from '../helpers/smtp.js';

const run = promisify(execFile);
const tmp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `invite-${name}-`));

describe('the packed package', () => {
  it('packs with its built code, installs from the tarball, runs init and a dry run anywhere, and sends with only the OAuth variables', async () => {
    // A clean checkout: the sources only, the dependencies already installed beside them.
    const checkout = tmp('checkout');
    for (const part of ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts', 'README.md', 'docs', 'LICENSE', 'bin', 'src', 'starter']) {
      cpSync(path.join(ROOT, part), path.join(checkout, part), { recursive: true });
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
    expect(existsSync(path.join(checkout, 'dist'))).toBe(false);

    const packs = tmp('pack');
    const env = cleanEnv();
    await run('npm', ['pack', '--pack-destination', packs], { cwd: checkout, env });
    const tarballs = readdirSync(packs);
    expect(tarballs).toHaveLength(1);
    // The name npx cannot mistake for the unrelated `invite` on the registry; the command is still `invite`.
    expect(tarballs[0]).toMatch(/^invite-mailmerge-\d+\.\d+\.\d+\.tgz$/);

    const prefix = tmp('prefix');
    await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(packs, tarballs[0]!)], {
      cwd: packs,
      env,
    });
    const invite = path.join(prefix, 'bin', 'invite');
    expect(existsSync(invite)).toBe(true);
    // Its own licence and those of the packages bundled into it go with it.
    const installed = path.join(prefix, 'lib', 'node_modules', 'invite-mailmerge');
    expect(readFileSync(path.join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(readFileSync(path.join(installed, 'dist', 'THIRD-PARTY-NOTICES.md'), 'utf8')).toContain('## handlebars ');
    // The guide and the reference it links to.
    expect(readFileSync(path.join(installed, 'docs', 'reference.md'), 'utf8')).toContain('## Exit codes');

    const work = tmp('user');
    const init = await run(invite, ['init', 'my-event', '--yes'], { cwd: work, env });
    expect(init.stdout).toContain('Created the campaign');
    const dry = await run(invite, ['send', '--dry-run', '--campaign', 'my-event'], { cwd: work, env });
    expect(dry.stdout).toContain('To: Ada Lovelace <ada.lovelace@example.org>');
    expect(dry.stdout).toMatch(/Dry run: 3 invitations rendered for annual-members-meeting-\d{4}; nothing sent\./);
    // The campaign file itself is accepted too.
    const validate = await run(invite, ['validate', '--campaign', path.join('my-event', 'invite.yaml')], { cwd: work, env });
    expect(validate.stdout).toContain('✓ 3 contacts ready');

    // Sending from a mailbox that takes no password: only the OAuth variables a CI job would hold.
    const auth = await startOAuthServer({ refreshTokens: ['rt-ci'] });
    const smtp = await startSmtp({ xoauth2: (user, token) => (user === 'events@example.org' && token === auth.minted.at(-1) ? 'ok' : 'expired') });
    try {
      const sent = await run(invite, ['send', '--yes', '--campaign', 'my-event'], {
        cwd: work,
        env: cleanEnv({
          NODE_EXTRA_CA_CERTS: smtp.caFile,
          SMTP_URL: smtp.url,
          SMTP_USER: 'events@example.org',
          SMTP_OAUTH_REFRESH_TOKEN: 'rt-ci',
          SMTP_OAUTH_CLIENT_ID: 'client-ci',
          SMTP_OAUTH_TOKEN_URL: auth.tokenUrl,
        }),
      });
      expect(sent.stdout).toMatch(/^Sent 3 invitations through 127\.0\.0\.1:\d+ as /m);
      await whenReceived(smtp, 3);
      expect(smtp.received.map((m) => m.token)).toEqual(['at-1', 'at-1', 'at-1']);
    } finally {
      await smtp.close();
      await auth.close();
    }
  });
});
