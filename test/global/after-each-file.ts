// Runs in every test file: when the file ends, the repository's own .invite/ must be exactly as
// it was before the suite began (see campaign-untouched.ts).
import { afterAll, expect, inject } from 'vitest';
import { snapshot } from './campaign-untouched.js';

afterAll(() => {
  expect(snapshot(), "the repository's own campaign state (.invite/) changed: tests must work on a copy (test/helpers/campaign.ts)").toBe(
    inject('campaignState'),
  );
});
