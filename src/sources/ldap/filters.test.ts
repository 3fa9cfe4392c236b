import { BerWriter, FilterParser } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { and, expiredFilter, fileTime, inChainClause, memberOfClause, not, or } from './filters.js';

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
