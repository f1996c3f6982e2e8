// `npm test` after the build: the type check (tsc), the lint (typescript-eslint, type-checked
// rules), the format check (prettier) and the whole vitest suite. The three checks run one
// after the other beside the suite (each is one core for a few seconds; the suite is
// CPU-bound anyway). All must pass; the exit code is the first failure's.
import { spawn } from 'node:child_process';

const run = (command, args) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', shell: false });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

/** What prettier checks: the code (prose and test fixtures are in .prettierignore). */
export const FORMATTED = ['src', 'test', 'bin', 'scripts', 'bench', 'eslint.config.js', 'vitest.config.ts'];

const checks = async () => {
  const failed = [];
  if ((await run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'])) !== 0) failed.push('the type check (npx tsc -p tsconfig.json --noEmit)');
  if ((await run('npx', ['eslint', '--max-warnings=0', '.'])) !== 0) failed.push('the lint (npm run lint)');
  if ((await run('npx', ['prettier', '--check', '--log-level=warn', ...FORMATTED])) !== 0) failed.push('the format check (npm run format to fix)');
  return failed;
};

const [failed, suite] = await Promise.all([checks(), run('npx', ['vitest', 'run', ...process.argv.slice(2)])]);
for (const what of failed) console.error(`npm test: ${what} failed`);
process.exitCode = failed.length > 0 ? 1 : suite;
