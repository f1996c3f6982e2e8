#!/usr/bin/env node
// Launcher: the CLI lives in dist/ (built by `npm install` through the prepare script).
import v8 from 'node:v8';

// `invite … | head` closes the pipe early; that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Memory: left to itself, V8 lets a busy process's young generation grow to 2 × 16 MB and its old
// generation to several times what is live before collecting it, which is most of a long run's
// peak (bench/README.md). Both heuristics are read at each collection, so they can be set here,
// before the heap has grown: the young generation stays at its first size (objects that live
// longer move on sooner), and the old one is collected once it has grown by a quarter. Hard caps
// (--max-old-space-size) are not set: a re-run's journal needs room that grows with the list.
// Someone who sets the heap themselves (NODE_OPTIONS or node's own flags) keeps their setting.
// Node.js keeps V8's flags settable after start (it turns off --freeze-flags-after-init), but V8
// prints "unrecognized flag" for a flag it no longer has: only the V8 this was measured with
// (11, Node.js 20) gets them; elsewhere Node's defaults stand.
const heapFlags = /--(max|min)-semi-space-size|--semi-space-growth-factor|--heap-growing-percent|--max-old-space-size|--max-heap-size|--optimize-for-size/;
if (process.versions.v8.startsWith('11.') && !heapFlags.test([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '))) {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--heap-growing-percent=25');
}

let main;
try {
  ({ main } = await import('../dist/cli.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli.js')) throw error;
  process.stderr.write(`invite: the CLI is not built (${new URL('../dist/', import.meta.url).pathname} is missing)\nhint: run \`npm install\` (or \`npm run build\`) in ${new URL('..', import.meta.url).pathname}\n`);
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
