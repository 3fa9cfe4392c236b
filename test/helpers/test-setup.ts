/**
 * Runs in every test worker before each test file: the default test and hook timeouts
 * (vitest.config.ts) stretched by the measured slowdown (timing.ts), and, in the fuzzers' long
 * mode, by the factor their case counts grow (test/fuzz/runs.ts).
 *
 * Test files share their worker's modules (`isolate: false` in vitest.config.ts), so the few
 * settings the product keeps per process are put back to what a fresh process has before each
 * file: a file that registered a secret, shortened the lock's stale time or left a daemon's "am I
 * still active?" check behind (say, a test that failed before its cleanup) cannot reach the next.
 */
import { vi } from 'vitest';
import { forgetSecrets } from '../../src/core/secrets.js';
import { setRunPrerequisite } from '../../src/state/lock.js';
import { configureLocks, DEFAULT_STALE_MS } from '../../src/state/lock-timing.js';
import { fuzzScale } from '../fuzz/runs.js';
import { scaled } from './timing.js';

/** The unscaled defaults; vitest.config.ts holds the same numbers for runs without this file. */
export const BASE_TEST_TIMEOUT_MS = 30_000;
export const BASE_HOOK_TIMEOUT_MS = 60_000;

vi.setConfig({
  testTimeout: scaled(BASE_TEST_TIMEOUT_MS) * fuzzScale(),
  hookTimeout: scaled(BASE_HOOK_TIMEOUT_MS),
});

forgetSecrets();
configureLocks(DEFAULT_STALE_MS);
setRunPrerequisite(null);
