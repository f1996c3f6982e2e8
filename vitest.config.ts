import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails the run if any test touched the repository's own .invite/ (the real journal).
    globalSetup: ['test/global/campaign-untouched.ts'],
    setupFiles: ['test/global/after-each-file.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests spawn the CLI and often wait (rate limits, slow fake servers, timeouts):
    // on this 2-core machine 3 workers measured 108 s, 2 → 120 s, 4 → 132 s.
    maxWorkers: 3,
  },
});
