// The suite's temporary folders all go into one folder per run (test/global/scratch.ts), which
// the run removes at its end: in the test files and in the processes they start.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the run’s temporary folder', () => {
  it('is os.tmpdir() in the test files and in the CLI processes they start', () => {
    expect(path.basename(os.tmpdir())).toMatch(/^invite-tests-/);
    const child = spawnSync(process.execPath, ['-p', "require('node:os').tmpdir()"], { encoding: 'utf8' });
    expect(child.stdout.trim()).toBe(os.tmpdir());
  });
});
