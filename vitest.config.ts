import { defineConfig } from 'vitest/config';

/**
 * Test files that start processes or servers: the CLI, `gatesim serve`, redis-server, Chromium.
 * Each one keeps both cores of a small machine busy on its own, so they run one file at a time,
 * after the in-process tests are done (chosen by name: files do not move between folders).
 */
const E2E = [
  'test/cli*.test.ts', // cli, cli-paths
  'test/real*.test.ts',
  'test/serve*.test.ts',
  'test/signals*.test.ts',
  'test/secrets*.test.ts',
  'test/redis-*.test.ts', // redis-store, redis-real
  'test/browser*.test.ts',
  'test/studies*.test.ts',
  'test/report-cli*.test.ts',
  'test/loader-fuzz*.test.ts',
];

export default defineConfig({
  test: {
    // The default report, plus one plain closing line ("N passed, N failed, N skipped") for CI logs.
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    // Brings chromium and redis-server where it can (or says in one line what to run), and fails the
    // run if a test wrote into the user's reports/.
    globalSetup: ['./test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    projects: [
      {
        // Everything fast and in process (golden included: ~3 s of simulations, no process), two
        // files at a time: one per core (vitest's default on two cores is one worker in all).
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: E2E, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        // One file at a time, once the unit files are done: no two of them fight for the two cores.
        extends: true,
        test: { name: 'e2e', include: E2E, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
