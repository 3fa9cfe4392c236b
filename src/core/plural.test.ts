import { describe, expect, it } from 'vitest';
import { plural, someOf } from './plural.js';

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
