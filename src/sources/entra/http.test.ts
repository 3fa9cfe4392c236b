import { describe, expect, it } from 'vitest';
import { isTlsTrustError, networkCode } from './http.js';

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
