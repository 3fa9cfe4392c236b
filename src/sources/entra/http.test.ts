import { describe, expect, it } from 'vitest';
import { backoffMs, isTlsTrustError, networkCode, parseRetryAfter } from './http.js';

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

describe('backoffMs', () => {
  const policy = { max: 5, baseDelayMs: 1_000, maxDelayMs: 5_000 };
  it('doubles per attempt with 50–100 % jitter and a cap', () => {
    expect(backoffMs(0, policy, () => 0)).toBe(500);
    expect(backoffMs(0, policy, () => 1)).toBe(1_000);
    expect(backoffMs(2, policy, () => 1)).toBe(4_000);
    expect(backoffMs(9, policy, () => 1)).toBe(5_000);
  });
});

describe('network errors', () => {
  it('finds the code in the cause chain and spots TLS trust problems', () => {
    const tls = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
    });
    const reset = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }),
    });
    expect(networkCode(tls)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(isTlsTrustError(tls)).toBe(true);
    expect(networkCode(reset)).toBe('ECONNRESET');
    expect(isTlsTrustError(reset)).toBe(false);
    expect(networkCode(new DOMException('t', 'TimeoutError'))).toBe('TimeoutError');
  });
});
