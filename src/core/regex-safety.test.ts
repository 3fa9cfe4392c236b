import { describe, expect, it } from 'vitest';
import { nestedQuantifierAt } from './regex-safety.js';

describe('nestedQuantifierAt', () => {
  it('finds the classic catastrophic patterns', () => {
    expect(nestedQuantifierAt('(a+)+$')).toBe(0);
    expect(nestedQuantifierAt('^(\\w*,)*x')).toBe(1);
    expect(nestedQuantifierAt('x((ab)*c)+')).toBe(1);
    expect(nestedQuantifierAt('(?:\\d{2,})*')).toBe(0);
  });
  it('lets ordinary patterns through', () => {
    for (const ok of [
      '^0+',
      '^(inaktiv|ausgeschieden)$',
      '(\\d+)-(\\d+)',
      '[(+*)]+',
      '(ab)+',
      '(a+)?',
      '(a{1})*',
      'E-(\\d{4,8})',
      '\\(+\\)*',
    ]) {
      expect(nestedQuantifierAt(ok), ok).toBeUndefined();
    }
  });
});
