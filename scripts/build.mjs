// Builds dist/ for `npm install`, `npm test` and `npm pack`: one bundle per command, made by
// esbuild. Node.js then reads a few files instead of some 400 modules at every start, which is
// most of what `invite` costs for a short run (see bench/README.md). Types are checked
// separately, by `npm run typecheck`.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
rmSync(new URL('dist/', root), { recursive: true, force: true });

const main = await build({
  absWorkingDir: root.pathname,
  metafile: true,
  // The launcher imports these two; every command is a dynamic import from cli.ts, so it gets a
  // chunk of its own and a command loads only what it uses.
  entryPoints: ['src/cli.ts', 'src/errors.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Readable stack traces under --debug: names and layout kept, nothing minified.
  minify: false,
  // The CommonJS packages inside the bundle ask for Node.js's own modules with require().
  banner: { js: "import { createRequire as __inviteRequire } from 'node:module';\nconst require = __inviteRequire(import.meta.url);" },
  logLevel: 'warning',
});

// juice (the CSS inliner) is needed only for templates with a <style> block, and synchronously
// while a campaign loads: one CommonJS file of its own, required on demand (src/campaign/templates.ts).
const vendor = await build({
  absWorkingDir: root.pathname,
  metafile: true,
  entryPoints: { juice: 'node_modules/juice/index.js' },
  outdir: 'dist/vendor',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});

// The packages bundled into dist/ ship inside invite: their licences go with it, in one file
// (test/licences.test.ts checks that every bundled package is in it).
const bundled = new Map();
for (const input of [...Object.keys(main.metafile.inputs), ...Object.keys(vendor.metafile.inputs)]) {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) continue;
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  const dir = path.join(root.pathname, input.slice(0, at), 'node_modules', name);
  bundled.set(dir, name);
}
const sections = [...bundled].map(([dir, name]) => {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const licence = typeof manifest.license === 'string' ? manifest.license : (manifest.license?.type ?? 'see the package');
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|-|$)/i.test(f));
  const author = typeof manifest.author === 'string' ? manifest.author : manifest.author?.name;
  const text = file
    ? readFileSync(path.join(dir, file), 'utf8').trim()
    : `(the package ships no licence file; its package.json says ${licence}${author ? `, by ${author}` : ''})`;
  return { name: manifest.name ?? name, version: manifest.version, licence, text };
});
sections.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
const unique = sections.filter((s, i) => i === 0 || s.name !== sections[i - 1].name || s.version !== sections[i - 1].version);
writeFileSync(
  new URL('dist/THIRD-PARTY-NOTICES.md', root),
  [
    '# Third-party notices',
    '',
    'invite bundles these packages into dist/; their licences follow, each as the package ships it.',
    '',
    ...unique.flatMap((s) => [`## ${s.name} ${s.version} (${s.licence})`, '', '```', s.text, '```', '']),
  ].join('\n'),
);
if (!existsSync(new URL('dist/THIRD-PARTY-NOTICES.md', root))) throw new Error('the notices were not written');
