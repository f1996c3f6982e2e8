#!/usr/bin/env node
// Launcher: the CLI lives in dist/ (built by `npm install` through the prepare script).

// `invite … | head` closes the pipe early; that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Anything that escapes main() is a bug too: one line and exit 70, never 1 (1 means "some
// messages not delivered" to a CI job).
const crash = (error) => {
  const debug = process.argv.includes('--debug') || /(^|,)\s*invite\b/.test(process.env.DEBUG ?? '');
  process.stderr.write(`invite: internal error (a bug in invite): ${error?.message ?? error} — please report it with the command you ran${debug ? `\n${error?.stack ?? ''}` : '; run it again with --debug to see where it happened'}\n`);
  process.exit(70);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

let main;
try {
  ({ main } = await import('../dist/cli.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli.js')) throw error;
  process.stderr.write(`invite: the CLI is not built (${new URL('../dist/', import.meta.url).pathname} is missing)\nhint: run \`npm install\` (or \`npm run build\`) in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(70);
}

process.exitCode = await main(process.argv, {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
