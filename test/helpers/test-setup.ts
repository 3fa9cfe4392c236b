/**
 * Runs in every test worker before each test file: the default test and hook timeouts
 * (vitest.config.ts) stretched by the measured slowdown (timing.ts), and, in the fuzzers' long
 * mode, by the factor their case counts grow (test/fuzz/runs.ts).
 */
import { vi } from 'vitest';
import { fuzzScale } from '../fuzz/runs.js';
import { scaled } from './timing.js';

/** The unscaled defaults; vitest.config.ts holds the same numbers for runs without this file. */
export const BASE_TEST_TIMEOUT_MS = 30_000;
export const BASE_HOOK_TIMEOUT_MS = 60_000;

vi.setConfig({
  testTimeout: scaled(BASE_TEST_TIMEOUT_MS) * fuzzScale(),
  hookTimeout: scaled(BASE_HOOK_TIMEOUT_MS),
});
