#!/usr/bin/env node
// Launcher: the CLI lives in dist/ (built by `npm install` through the prepare script).
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';

// Node.js 22.1 and later keep the compiled code of dist/ between runs (module.enableCompileCache):
// a shorter start-up from the second run on. The cache lives in the user's cache folder
// ($XDG_CACHE_HOME/invite, else ~/.cache/invite); NODE_COMPILE_CACHE chooses another folder and
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, as for any Node.js program. Where the folder cannot
// be made, Node.js goes on without it.
if (typeof module.enableCompileCache === 'function' && !process.env.NODE_COMPILE_CACHE) {
  module.enableCompileCache(path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'invite', 'compile-cache'));
}

// `invite … | head` closes the pipe early; that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

let main;
try {
  ({ main } = await import('../dist/cli.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli.js')) throw error;
  process.stderr.write(
    `invite: the CLI is not built (${new URL('../dist/', import.meta.url).pathname} is missing)\nhint: run \`npm install\` (or \`npm run build\`) in ${new URL('..', import.meta.url).pathname}\n`,
  );
  process.exit(70);
}

// Anything that escapes main() is a bug too: the same one line and exit 70 as inside it, never 1
// (1 means "some messages not delivered" to a CI job).
const { debugWanted, describeFailure } = await import('../dist/errors.js');
const crash = (error) => {
  const { lines, code } = describeFailure(error, debugWanted(process.argv, process.env));
  process.stderr.write(lines.join('\n') + '\n');
  process.exit(code);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

process.exitCode = await main(process.argv, {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
