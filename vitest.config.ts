import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/helpers/sequencer.js';

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
    // One file per core, plus one. Vitest's default leaves one core to itself (a single worker on
    // a 2-core machine), but most files wait on the processes and servers they start, which the
    // other cores then run: one worker per core kept 2 cores ~155 % busy, and the extra worker
    // fills most of the rest (176 %; on 2 cores, with P-256 test keys, a clean-clone Node 20 pass
    // with coverage went from 341 to 292 s).
    maxWorkers: os.availableParallelism() + 1,
    // A worker runs its files one after another in one process and keeps the modules they load,
    // instead of a new process per file that loads vitest and our sources again (145 files; on 2
    // cores a Node 20 pass went from 279 to 221 s and 488 to 377 s of CPU, or with coverage from
    // 271 to 248 s and 477 to 430 s). Each file still starts from a fresh process's settings:
    // test/helpers/test-setup.ts resets the few the product keeps per process (registered
    // secrets, lock timing, the daemon's run check).
    isolate: false,
    // Longest files first (the fault matrix, then e2e), also on a clean clone without vitest's cache.
    sequence: { sequencer: SlowFirstSequencer },
    // Only with --coverage (the first pass of scripts/test-all.sh, which CI reads): the shipped
    // code in src/, measured in-process (the e2e tests' CLI and daemon processes are not counted).
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.test.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // A failed test must not also hide the coverage figures (CI would report a missing summary).
      reportOnFailure: true,
      // The floor, rounded down from the last full Node-20 pass (`npm run test:all` on a0d9a33:
      // lines 80.88, statements 79.51, functions 77.49, branches 72.94; d4aff97, before issue 13's
      // contract suite, had 79.2 / 77.59 / 76.61 / 69.68). Raise these when coverage rises; never lower them.
      thresholds: { lines: 82, statements: 80, functions: 79, branches: 73 },
    },
  },
});
