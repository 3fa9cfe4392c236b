/** Row scope: rules checked at config time, tied to a file's header, judging rows. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { normalizeHeader } from './columns.js';
import {
  bindScope,
  leftOutBy,
  resolveScope,
  type ScopeConfig,
  scopeNoticeText,
  scopeRuleList,
} from './scope.js';

const PLACE = 'jobs[main].sources[hr].scope';

function thrown(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const scope = (config: Partial<ScopeConfig>) => resolveScope({ include: [], exclude: [], ...config }, PLACE);
const HEADER = ['Vorname', 'Nachname', 'E-Mail', 'Ausweis', 'Mobile ID', 'Status'];
const bind = (config: Partial<ScopeConfig>, header: string[] | 'no header' = HEADER) =>
  bindScope(scope(config)!, header === 'no header' ? undefined : header, 6, 'staff.csv', normalizeHeader);

describe('resolveScope', () => {
  it('is undefined without rules, so the reader keeps its fast path', () => {
    expect(scope({})).toBeUndefined();
  });

  it('names the key of a pattern that is not a regular expression, or has a stateful flag', () => {
    const bad = thrown(() => scope({ exclude: [{ column: 'Status', matches: '/^(inaktiv/i' }] }));
    expect(bad.place).toBe(`${PLACE}.exclude[0].matches`);
    expect(bad.message).toMatch(/not a valid regular expression/);
    expect(thrown(() => scope({ include: [{ column: 'Status', matches: '/x/g' }] })).place).toBe(
      `${PLACE}.include[0].matches`,
    );
    const slow = thrown(() => scope({ exclude: [{ column: 'Status', matches: '/^(a+)+$/' }] }));
    expect(slow.place).toBe(`${PLACE}.exclude[0].matches`);
    expect(slow.message).toMatch(/repeats a group that itself repeats/);
    expect(thrown(() => scope({ include: [{ column: '0', equals: 'x' }] })).place).toBe(
      `${PLACE}.include[0].column`,
    );
  });

  it('checks the shape of each rule as the config loads', () => {
    expect(() =>
      scopeRuleList([
        { column: 'Mobile ID', equals: 'ja' },
        { column: '6', matches: 'x' },
      ]),
    ).not.toThrow();
    for (const bad of [
      {},
      [{ column: 'A' }],
      [{ column: 'A', equals: 'x', matches: 'y' }],
      [{ column: '', equals: 'x' }],
      [{ column: 'A', equals: 1 }],
      [{ column: 'A', equal: 'x' }],
      ['A'],
    ]) {
      expect(() => scopeRuleList(bad)).toThrow();
    }
  });
});

describe('bindScope', () => {
  it('finds a column by header name (ignoring case, spaces, punctuation) or by position', () => {
    expect(
      bind({ include: [{ column: 'mobile-id', equals: 'ja' }], exclude: [{ column: '6', equals: 'x' }] })
        .columns,
    ).toEqual([4, 5]);
  });

  it('names the column and the header found when the file lacks it', () => {
    const e = thrown(() => bind({ include: [{ column: 'Mobil ID', equals: 'ja' }] }));
    expect(e.place).toBe(`${PLACE}.include[0].column`);
    expect(e.message).toBe(
      'scope names the column "Mobil ID", but the header of staff.csv has none: "Vorname", "Nachname", "E-Mail", "Ausweis", "Mobile ID", "Status"',
    );
    expect(
      thrown(() => bind({ include: [{ column: 'Mobile ID', equals: 'ja' }] }, 'no header')).message,
    ).toMatch(/no header row/);
    expect(thrown(() => bind({ include: [{ column: '7', equals: 'ja' }] })).message).toMatch(
      /beyond the 6 column/,
    );
  });
});

describe('leftOutBy and the notice', () => {
  const b = bind({
    include: [{ column: 'Mobile ID', equals: 'ja' }],
    exclude: [{ column: 'Status', matches: '/^(inaktiv|ausgeschieden)$/i' }],
  });
  const row = (mobile: string, status: string): string[] => ['A', 'B', 'a@x', '1', mobile, status];

  it('keeps a row that meets every include rule and no exclude rule', () => {
    expect(leftOutBy(b, row('ja', 'aktiv'))).toBe(-1);
    expect(leftOutBy(b, row(' JA ', ''))).toBe(-1);
    expect(leftOutBy(b, row('nein', 'aktiv'))).toBe(0);
    expect(leftOutBy(b, row('ja', 'Ausgeschieden'))).toBe(1);
    // A short row lacks the flag: out of scope, not a rejection.
    expect(leftOutBy(b, ['A', 'B'])).toBe(0);
  });

  it('counts per rule', () => {
    expect(scopeNoticeText(b, [])).toBeUndefined();
    expect(scopeNoticeText(b, [1])).toBe('1 row left out by scope (Mobile ID is not "ja")');
    expect(scopeNoticeText(b, [1200, 2])).toBe(
      '1,202 rows left out by scope (Mobile ID is not "ja": 1,200; Status matches /^(inaktiv|ausgeschieden)$/i: 2)',
    );
  });
});
