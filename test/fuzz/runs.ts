/**
 * fast-check as every property test sees it under vitest: vitest.config.ts resolves the bare
 * specifier `fast-check` to this file. It is the real library, except that `assert` and `check`
 * multiply each property's `numRuns` by FUZZ_SCALE (default 1: CI's fast slice, exactly the
 * numbers written in the tests), so the fuzzers' long mode (`npm run fuzz:long`) reaches every
 * property test, under test/fuzz/ and beside the code, without any of them knowing. With
 * FUZZ_REPORT set to a file, each property's outcome (cases run, counter-example) is appended to
 * it as one JSON line, for scripts/fuzz-long.mjs to total.
 */
import { appendFileSync } from 'node:fs';
import { expect } from 'vitest';
// The real module by path: the bare specifier would resolve back to this file.
import * as fc from '../../node_modules/fast-check/lib/fast-check.js';

export * from '../../node_modules/fast-check/lib/fast-check.js';

/** How many times each property's own numRuns to run: FUZZ_SCALE, a number ≥ 1. */
export function fuzzScale(): number {
  const v = Number(process.env.FUZZ_SCALE ?? '1');
  return Number.isFinite(v) && v >= 1 ? v : 1;
}

function scaledParams<Ts>(params: fc.Parameters<Ts> | undefined): fc.Parameters<Ts> | undefined {
  const scale = fuzzScale();
  // A replay (`path`) runs the one recorded case, whatever the scale.
  if (scale === 1 || params?.path) return params;
  const base = params?.numRuns ?? fc.readConfigureGlobal().numRuns ?? 100;
  return { ...params, numRuns: Math.ceil(base * scale) };
}

/** One property's outcome, as written to FUZZ_REPORT. */
export interface PropertyOutcome {
  readonly test: string;
  readonly file: string;
  readonly numRuns: number;
  readonly numSkips: number;
  readonly failed: boolean;
  readonly seed: number;
  readonly counterexample?: string;
  readonly error?: string;
}

function record(details: fc.RunDetails<unknown>): void {
  const file = process.env.FUZZ_REPORT;
  if (!file) return;
  const state = expect.getState();
  const outcome: PropertyOutcome = {
    test: state.currentTestName ?? '?',
    file: state.testPath ?? '?',
    numRuns: details.numRuns,
    numSkips: details.numSkips,
    failed: details.failed,
    seed: details.seed,
    ...(details.failed
      ? {
          counterexample: fc.stringify(details.counterexample),
          error: String(details.errorInstance).slice(0, 2000),
        }
      : {}),
  };
  appendFileSync(file, `${JSON.stringify(outcome)}\n`);
}

// Once per process: a worker may evaluate this file again for each test file it runs.
const INSTALLED = Symbol.for('mobileid-sync.fuzz-recorder');
const registry = globalThis as { [INSTALLED]?: true };
if (!registry[INSTALLED]) {
  registry[INSTALLED] = true;
  fc.installGlobalPlugin(() => ({ onAllRunsComplete: record }));
}

export const assert = ((property: fc.IRawProperty<unknown>, params?: fc.Parameters<unknown>) =>
  fc.assert(property, scaledParams(params))) as typeof fc.assert;

export const check = ((property: fc.IRawProperty<unknown>, params?: fc.Parameters<unknown>) =>
  fc.check(property, scaledParams(params))) as typeof fc.check;

export default { ...fc.default, assert, check };
