// The packages bundled into dist/ ship inside invite: each one's licence must be in
// dist/THIRD-PARTY-NOTICES.md. Which packages are bundled is read here from the bundles
// themselves (esbuild marks each module it inlines with a `// node_modules/…` comment), not from
// the build script that writes the notices.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const DIST = path.join(ROOT, 'dist');

function bundles(dir = DIST): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? bundles(path.join(dir, e.name)) : /\.c?js$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

/** Every package directory a bundle inlines a module of, from esbuild's path comments. */
function bundledPackages(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of bundles()) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^\/\/ ((?:[^\s]*\/)?node_modules\/((?:@[^/\s]+\/)?[^/\s]+))\//gm)) {
      found.set(path.join(ROOT, m[1]!), m[2]!);
    }
  }
  return found;
}

describe('third-party notices', () => {
  it('name every bundled package, at its version, with its licence text', () => {
    const notices = readFileSync(path.join(DIST, 'THIRD-PARTY-NOTICES.md'), 'utf8');
    const packages = bundledPackages();
    // The ones invite cannot be without are among them (the reading of the bundles is not blind).
    expect([...packages.values()]).toEqual(expect.arrayContaining(['handlebars', 'nodemailer', 'papaparse', 'yaml', 'zod', 'luxon', 'commander', 'juice']));
    const missing: string[] = [];
    for (const [dir, name] of packages) {
      const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
      const at = notices.indexOf(`\n## ${name} ${version} (`);
      if (at < 0) missing.push(`${name} ${version}`);
      else expect(notices.slice(at, at + 400), name).toMatch(/```\n\S/);
    }
    expect(missing).toEqual([]);
  });
});
