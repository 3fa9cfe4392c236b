import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount, plural, someOf } from './plural.js';

describe('plural and someOf', () => {
  it('says "1 file" and "2 files"', () => {
    expect(plural(1, 'older file')).toBe('1 older file');
    expect(plural(1200, 'row')).toBe('1,200 rows');
  });
  it('names a long list of superseded files in one line: the first ten and a count', () => {
    const names = Array.from({ length: 400 }, (_, i) => `s${400 - i}.csv`);
    const text = someOf(names);
    expect(text).toBe(`${names.slice(0, 10).join(', ')} and 390 more`);
    expect(someOf(names.slice(0, 3))).toBe('s400.csv, s399.csv, s398.csv');
  });
});

describe('formatCount', () => {
  it('groups every whole number exactly as toLocaleString("en-US") does', () => {
    fc.assert(
      fc.property(
        fc.maxSafeInteger().filter((n) => !Object.is(n, -0)),
        (n) => {
          expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
        },
      ),
    );
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(formatCount(-1000)).toBe('-1,000');
    expect(formatCount(999)).toBe('999');
  });
  it('leaves fractions and non-finite numbers to toLocaleString', () => {
    expect(formatCount(1234.5)).toBe('1,234.5');
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe('∞');
  });
});
