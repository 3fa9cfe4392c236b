import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from './retry-after.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');
  it.each([
    ['0', 0],
    ['10', 10_000],
    ['2.128', 2_128],
    [' 1.5 ', 1_500],
    ['Wed, 25 Nov 2026 10:00:07 GMT', 7_000],
    ['Wed, 25 Nov 2026 09:59:00 GMT', 0],
  ])('%s → %d ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
  it.each([null, undefined, '', 'soon', '-3'])('%s → undefined (fall back to backoff)', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt with 50–100 % jitter and a cap', () => {
    expect(backoffDelay(0, 1_000, 5_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1_000, 5_000, () => 1)).toBe(1_000);
    expect(backoffDelay(2, 1_000, 5_000, () => 1)).toBe(4_000);
    expect(backoffDelay(9, 1_000, 5_000, () => 1)).toBe(5_000);
  });
});
