import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Every property test gets fast-check through test/fuzz/runs.ts, which scales its case
    // counts for the fuzzers' long mode (FUZZ_SCALE) and records what ran (FUZZ_REPORT).
    alias: [{ find: /^fast-check$/, replacement: path.resolve('test/fuzz/runs.ts') }],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Stretches these defaults by the slowdown global setup measured (test/helpers/timing.ts).
    setupFiles: ['test/helpers/test-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
