import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const { FUZZ_SCALE: scale, FUZZ_REPORT: report } = process.env;
const restore = (key: string, value: string | undefined): void => {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
};
// These properties test the wrapper (one fails on purpose): keep them out of fuzz:long's totals.
beforeAll(() => {
  delete process.env.FUZZ_REPORT;
});
afterAll(() => restore('FUZZ_REPORT', report));
afterEach(() => restore('FUZZ_SCALE', scale));

describe('fast-check under vitest (test/fuzz/runs.ts)', () => {
  it('runs each property FUZZ_SCALE times its own numRuns, and exactly numRuns without it', () => {
    const prop = fc.property(fc.nat(), (n) => n >= 0);
    delete process.env.FUZZ_SCALE;
    expect(fc.check(prop, { numRuns: 7 }).numRuns).toBe(7);
    process.env.FUZZ_SCALE = '3';
    expect(fc.check(prop, { numRuns: 7 }).numRuns).toBe(21);
    let runs = 0;
    fc.assert(
      fc.property(fc.nat(), () => {
        runs++;
      }),
      { numRuns: 5 },
    );
    expect(runs).toBe(15);
  });

  it('still reports a counter-example', () => {
    expect(() =>
      fc.assert(
        fc.property(fc.nat(), (n) => n < 10),
        { seed: 1 },
      ),
    ).toThrow(/Counterexample/);
  });
});
