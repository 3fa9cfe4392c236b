import fc from 'fast-check';
import { BerWriter, FilterParser } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import {
  and,
  checkedComposition,
  describeFilterProblem,
  equals,
  expiredFilter,
  type FilterNode,
  fileTime,
  inChainClause,
  memberOfClause,
  not,
  or,
  parseFilter,
  printFilter,
  toLdapFilter,
} from './filters.js';

const NASTY = 'cn=a*b(c)\\5cd\0x,ou=groups,dc=example,dc=test';

function ber(f: { write(w: BerWriter): void }): Buffer {
  const w = new BerWriter();
  f.write(w);
  return w.buffer;
}

describe('filters are objects, values escaped per RFC 4515', () => {
  it('in-chain clause carries the group DN verbatim and prints it escaped', () => {
    const f = inChainClause([NASTY]);
    expect(f.toString()).toBe(
      '(memberOf:1.2.840.113556.1.4.1941:=cn=a\\2ab\\28c\\29\\5c5cd\\00x,ou=groups,dc=example,dc=test)',
    );
    // the bytes on the wire hold the value unchanged: metacharacters cannot alter the filter
    expect(ber(f).includes(Buffer.from(NASTY, 'utf8'))).toBe(true);
    // and the printed form parses back to the same value
    const parsed = FilterParser.parseString(f.toString());
    expect(ber(parsed)).toEqual(ber(f));
  });

  it('memberOf clause for several groups is an OR of equality filters', () => {
    const f = memberOfClause(['cn=a*,ou=g', 'cn=b,ou=g']);
    expect(f.toString()).toBe('(|(memberOf=cn=a\\2a,ou=g)(memberOf=cn=b,ou=g))');
  });

  it('and/or/not flatten single items and combine the rest', () => {
    const user = FilterParser.parseString('(objectClass=user)');
    expect(and(user, undefined)).toBe(user);
    expect(or([user])).toBe(user);
    expect(
      and(user, not(FilterParser.parseString('(userAccountControl:1.2.840.113556.1.4.803:=2)'))).toString(),
    ).toBe('(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))');
  });

  it('expired accounts: accountExpires set and in the past, as FILETIME', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(fileTime(new Date('1601-01-01T00:00:00Z'))).toBe('0');
    expect(fileTime(now)).toBe('134116992000000000');
    expect(expiredFilter(now).toString()).toBe('(&(accountExpires>=1)(accountExpires<=134116992000000000))');
  });
});

describe('our RFC 4515 parser (issue #10 item 12: ldapts reads broken filters "somehow")', () => {
  const problem = (text: string) => {
    const r = parseFilter(text);
    if (r.ok) throw new Error(`accepted: ${text}`);
    return r.error;
  };

  it('refuses a filter missing its final ")", which ldapts silently completes', () => {
    const text = '(&(objectClass=inetOrgPerson)(department=Sales)';
    expect(FilterParser.parseString(text).toString()).toBe(`${text})`);
    expect(problem(text)).toEqual({
      position: text.length + 1,
      problem: expect.stringMatching(/missing "\)": the "\(&" opened at character 1 is never closed/),
    });
  });

  it('refuses a ")" missing inside an OR, where ldapts moves the later clause into the OR', () => {
    const text = '(&(|(departmentNumber=Sales)(departmentNumber=Support)(employeeType=staff))';
    // ldapts: everyone in Sales or Support or staff — not "(Sales or Support) and staff"
    expect(FilterParser.parseString(text).toString()).toBe(
      '(&(|(departmentNumber=Sales)(departmentNumber=Support)(employeeType=staff)))',
    );
    expect(problem(text).position).toBe(text.length + 1);
  });

  it.each([
    ['(a=b)(c=d)', 6, /a second filter starts/],
    ['(a=b))', 6, /text after the end of the filter/],
    ['objectClass=user', 1, /starts with "\("/],
    ['', 1, /empty/],
    ['(&)', 3, /needs at least one filter/],
    ['(|)', 3, /needs at least one filter/],
    ['(!(a=b)(c=d))', 8, /exactly one filter/],
    ['(!)', 3, /expected "\("/],
    ['(cn =x)', 4, /" " cannot be part of an attribute name "cn"/],
    ['(employee_id=3)', 10, /"_" cannot be part/],
    ['(=x)', 2, /expected an attribute name/],
    ['(1cn=x)', 2, /expected an attribute name/],
    ['(01.2=x)', 2, /expected an attribute name/],
    ['(cn;=x)', 5, /attribute option/],
    ['(cn!x)', 4, /"!" cannot be part of an attribute name "cn"/],
    ['(cn', 4, /expected =, ~=, >=, <= or :=/],
    ['(cn=a(b)', 6, /unescaped "\("/],
    ['(cn>=a*)', 7, /only a wildcard after "="/],
    ['(cn~=*)', 6, /only a wildcard/],
    ['(cn:=a*)', 7, /only a wildcard/],
    ['(cn=a**b)', 6, /two "\*" in a row/],
    ['(cn=**)', 5, /two "\*" in a row/],
    ['(cn=a\\2)', 6, /two hex digits/],
    ['(cn=a\\*)', 6, /two hex digits/],
    ['(cn=a\\zz)', 6, /two hex digits/],
    ['(cn=a\0b)', 6, /NUL/],
    ['(cn=\ud800)', 5, /lone surrogate/],
    ['(:=x)', 2, /needs a matching rule/],
    ['(cn:1.2.3=x)', 10, /matching rule .* followed by ":="/],
    ['(cn:dn=x)', 7, /matching rule/],
    ['(cn>=\\ff)', 6, /not UTF-8 text/],
    ['(cn=a*\\ff*b)', 7, /not UTF-8 text/],
    ['(cn=x', 6, /missing "\)"/],
    [`${'(!'.repeat(65)}(a=b)${')'.repeat(65)}`, 129, /nested deeper than 64/],
  ])('refuses %j at character %i', (text, position, reason) => {
    const e = problem(text);
    expect(e.problem).toMatch(reason);
    expect(e.position).toBe(position);
  });

  it.each([
    '(objectClass=inetOrgPerson)',
    '(&(objectCategory=person)(objectClass=user))',
    '(userAccountControl:1.2.840.113556.1.4.803:=2)',
    '(memberOf:1.2.840.113556.1.4.1941:=cn=a\\2ab\\28c\\29,ou=g)',
    '(cn:dn:2.5.13.5:=x)',
    '(:dn:2.5.13.5:=x)',
    '(:caseExactMatch:=x)',
    '(cn:=x)',
    '(cn;lang-de=Müller)',
    '(2.5.4.3=x)',
    '(cn=*)',
    '(cn=a*)',
    '(cn=*a)',
    '(cn=a*b*c)',
    '(cn=*\\2a*)',
    '(cn~=x)',
    '(accountExpires>=1)',
    '(accountExpires<=134116992000000000)',
    '(|(!(a=b))(&(c=d)(e=f)))',
    '(cn=)',
    '(cn=a=b, c:d ~ é)',
  ])('accepts %j', (text) => {
    expect(parseFilter(text).ok).toBe(true);
  });

  it('names the position in the text as written, surrounding whitespace included', () => {
    const text = '  (cn=x';
    const r = parseFilter(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(describeFilterProblem(text, r.error)).toMatch(/at character 8: {3}\(cn=x⟦here⟧\)$/);
  });

  it('sends escaped UTF-8 as those bytes (ldapts would send each escaped byte as a character)', () => {
    const r = parseFilter('(sn=M\\c3\\bcller)');
    if (!r.ok) throw new Error('rejected');
    expect(toLdapFilter(r.node).toString()).toBe('(sn=Müller)');
    expect(ber(toLdapFilter(r.node)).includes(Buffer.from('Müller'))).toBe(true);
    expect(ber(FilterParser.parseString('(sn=M\\c3\\bcller)')).includes(Buffer.from('Müller'))).toBe(false);
  });

  it('sends a binary equality value (objectGUID) as raw bytes', () => {
    const r = parseFilter('(objectGUID=\\67\\45\\23\\01\\ab\\89)');
    if (!r.ok) throw new Error('rejected');
    expect(ber(toLdapFilter(r.node)).includes(Buffer.from([0x67, 0x45, 0x23, 0x01, 0xab, 0x89]))).toBe(true);
    expect(printFilter(r.node)).toBe('(objectGUID=\\67\\45\\23\\01\\ab\\89)');
  });

  it('checks the composed filter: valid, and its text says what is sent', () => {
    const user = toLdapFilter((parseFilter('(objectClass=user)') as { node: FilterNode }).node);
    const composed = and(user, inChainClause([NASTY]), not(expiredFilter(new Date(0))));
    expect(checkedComposition(composed, 'sources[corp].filter')).toBe(composed);
    const broken = and(user, equals('memberOf', 'cn=\ud800,ou=g'));
    expect(() => checkedComposition(broken, 'sources[corp].filter')).toThrow(ConfigError);
  });
});

// --- property tests -------------------------------------------------------------------------

const keystring = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,8}$/);
const numericoid = fc
  .array(fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,4}$/)), { minLength: 2, maxLength: 6 })
  .map((parts) => parts.join('.'));

/** Text values: any characters (escaped on printing where needed), as UTF-8 bytes. */
const textValue = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.constantFrom('*', '(', ')', '\\', '\0', 'a*b', 'x)(y', '\\2a', 'é', '\x01'),
  )
  .map((s) => Buffer.from(s, 'utf8'));
const nonEmpty = textValue.filter((b) => b.length > 0);

function filterArb(opts: { simpleNames: boolean; binary: boolean }): fc.Arbitrary<FilterNode> {
  const attribute = opts.simpleNames
    ? keystring
    : fc.oneof(
        keystring,
        numericoid,
        fc
          .tuple(
            keystring,
            fc.array(fc.stringMatching(/^[A-Za-z0-9-]{1,5}$/), { minLength: 1, maxLength: 2 }),
          )
          .map(([a, o]) => `${a};${o.join(';')}`),
      );
  const equalValue = opts.binary
    ? fc.oneof(
        textValue,
        fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
      )
    : textValue;
  const rule = fc.oneof(
    numericoid,
    keystring.filter((k) => k.toLowerCase() !== 'dn'),
  );
  const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
    fc.record({ kind: fc.constant('present' as const), attribute }),
    fc.record({ kind: fc.constant('equal' as const), attribute, value: equalValue }),
    fc.record({
      kind: fc.constantFrom('approx' as const, 'ge' as const, 'le' as const),
      attribute,
      value: textValue,
    }),
    fc
      .record({
        kind: fc.constant('substring' as const),
        attribute,
        initial: fc.option(nonEmpty, { nil: undefined }),
        any: fc.array(nonEmpty, { maxLength: 3 }),
        final: fc.option(nonEmpty, { nil: undefined }),
      })
      .filter((n) => n.initial !== undefined || n.any.length > 0 || n.final !== undefined),
    fc
      .record({
        kind: fc.constant('extensible' as const),
        attribute: fc.option(attribute, { nil: undefined }),
        dnAttributes: fc.boolean(),
        rule: fc.option(rule, { nil: undefined }),
        value: textValue,
      })
      .filter((n) => n.attribute !== undefined || n.rule !== undefined),
  );
  return fc.letrec<{ f: FilterNode }>((tie) => ({
    f: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({
        kind: fc.constantFrom('and' as const, 'or' as const),
        children: fc.array(tie('f'), { minLength: 1, maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant('not' as const), child: tie('f') }),
    ),
  })).f;
}

describe('our parser, property-tested', () => {
  it('accepts every generated valid filter and reads back the same tree', () => {
    fc.assert(
      fc.property(filterArb({ simpleNames: false, binary: true }), (node) => {
        const text = printFilter(node);
        const r = parseFilter(text);
        expect(r.ok ? r.node : r.error).toEqual(node);
        if (r.ok) expect(printFilter(r.node)).toBe(text);
      }),
      { numRuns: 3000, seed: 4515 },
    );
  });

  it('refuses every filter with one "(" or ")" dropped or inserted', () => {
    fc.assert(
      fc.property(
        filterArb({ simpleNames: false, binary: true }),
        fc.nat(),
        fc.constantFrom('drop', '(', ')'),
        (node, n, how) => {
          const text = printFilter(node);
          const parens = Array.from({ length: text.length }, (_, i) => i).filter(
            (i) => text[i] === '(' || text[i] === ')',
          );
          const at = how === 'drop' ? parens[n % parens.length]! : n % (text.length + 1);
          const mutated =
            how === 'drop'
              ? text.slice(0, at) + text.slice(at + 1)
              : text.slice(0, at) + how + text.slice(at);
          expect(parseFilter(mutated).ok).toBe(false);
        },
      ),
      { numRuns: 3000, seed: 4516 },
    );
  });

  it('where ldapts reads a valid filter, it builds the same request as ours', () => {
    fc.assert(
      fc.property(filterArb({ simpleNames: true, binary: false }), (node) => {
        const text = printFilter(node);
        expect(ber(FilterParser.parseString(text)).toString('hex')).toBe(
          ber(toLdapFilter(node)).toString('hex'),
        );
      }),
      { numRuns: 2000, seed: 4517 },
    );
  });
});
