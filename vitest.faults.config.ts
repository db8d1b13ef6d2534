import { defineConfig } from 'vitest/config';

// The long crash sweep (`npm run test:faults`): kept out of the default `vitest run`, run by CI.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 30_000,
    maxWorkers: 1,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
