// `npm test` after the build: the type check (tsc) and the whole vitest suite, side by side
// rather than one after the other (tsc is one core for ~9 s; the suite is CPU-bound anyway).
// Both must pass; the exit code is the first failure's.
import { spawn } from 'node:child_process';

const run = (command, args) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', shell: false });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const [typecheck, suite] = await Promise.all([run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']), run('npx', ['vitest', 'run', ...process.argv.slice(2)])]);
if (typecheck !== 0) console.error('npm test: the type check failed');
process.exitCode = typecheck || suite;
