import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The default report, plus one plain closing line ("N passed, N failed, N skipped") for CI logs.
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 60_000,
  },
});
