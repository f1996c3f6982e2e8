import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest test files, longest first (as measured here, 2026-12-05: the sum of their tests' times). A fresh clone (CI) has no timings
 * cached and vitest would start them in name order, leaving one worker alone with a long file
 * at the end; started first, they share the workers evenly.
 */
const LONGEST = [
  'e2e/scheduled-job',
  'e2e/replies-trust',
  'e2e/delivery',
  'e2e/smtp-login',
  'e2e/first-week',
  'e2e/send',
  'e2e/replies',
  'e2e/journal',
  'e2e/oauth',
  'e2e/final-dot',
  'e2e/schedule',
  'e2e/package',
  'e2e/init',
  'e2e/git-cycle',
  'e2e/multilingual',
  'e2e/contacts',
  'e2e/warnings',
  'commands/init-questions',
  'e2e/one-check',
  'e2e/preview',
  'e2e/contact-reads',
  'e2e/readme',
  'e2e/hostile-input',
  'e2e/race',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = LONGEST.findIndex((name) => file.moduleId.endsWith(`/test/${name}.test.ts`));
      return at < 0 ? LONGEST.length : at;
    };
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails the run if any test touched the repository's own .invite/ (the real journal); one
    // temporary folder for the whole run, removed at its end.
    globalSetup: ['test/global/campaign-untouched.ts', 'test/global/scratch.ts'],
    setupFiles: ['test/global/after-each-file.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests spawn the CLI and often wait (rate limits, slow fake servers, timeouts):
    // on this 2-core machine 3 workers measured 108 s, 2 → 120 s, 4 → 132 s.
    maxWorkers: 3,
    // Test files share a worker's module cache instead of importing src/, mailparser, ical.js,
    // smtp-server … again for each of 40 files (vitest's "import" time: 30 s → 9 s, the whole
    // suite 115 s → 79 s here). No test file mocks a module; spies are restored after each test.
    isolate: false,
    sequence: { sequencer: LongestFirst },
  },
});
