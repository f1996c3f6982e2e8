// Builds dist/ for `npm install`, `npm test` and `npm pack`: one bundle per command, made by
// esbuild. Node.js then reads a few files instead of some 400 modules at every start, which is
// most of what `invite` costs for a short run (see bench/README.md). Types are checked
// separately, by `npm run typecheck`.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
rmSync(new URL('dist/', root), { recursive: true, force: true });

await build({
  absWorkingDir: root.pathname,
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
await build({
  absWorkingDir: root.pathname,
  entryPoints: { juice: 'node_modules/juice/index.js' },
  outdir: 'dist/vendor',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
