import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SLOWDOWN, pause, SLOWDOWN_ENV, scaled, slowdown } from './timing.js';

const published = process.env[SLOWDOWN_ENV];
afterEach(() => {
  process.env[SLOWDOWN_ENV] = published;
});

describe('test deadlines', () => {
  it('stretch by the published slowdown, never below the base or beyond the cap', () => {
    process.env[SLOWDOWN_ENV] = '2.5';
    expect(scaled(1_000)).toBe(2_500);
    for (const [v, factor] of [
      ['0.3', 1],
      ['', 1],
      ['abc', 1],
      ['NaN', 1],
      ['1e9', MAX_SLOWDOWN],
    ] as const) {
      process.env[SLOWDOWN_ENV] = v;
      expect(slowdown(), v).toBe(factor);
    }
  });

  it('global setup published a measured factor to this worker', () => {
    expect(Number(published)).toBeGreaterThanOrEqual(1);
  });

  it('pause() waits at least the base time', async () => {
    process.env[SLOWDOWN_ENV] = '1';
    const t0 = performance.now();
    await pause(30);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });
});
