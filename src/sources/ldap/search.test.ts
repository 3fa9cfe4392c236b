import { describe, expect, it } from 'vitest';
import { suffixOf } from './groups.js';
import { baseType, nextRangeRequest, normalizeDn } from './search.js';

describe('nextRangeRequest (AD range retrieval, as recorded from AD responses)', () => {
  it('asks for the rest after a first slice of 1,500 values', () => {
    expect(nextRangeRequest(['objectClass', 'member;range=0-1499'], 'member')).toBe('member;range=1500-*');
  });
  it('keeps going after a middle slice', () => {
    expect(nextRangeRequest(['member;range=1500-2999'], 'member')).toBe('member;range=3000-*');
  });
  it('stops at the last slice ("*")', () => {
    expect(nextRangeRequest(['member;range=3000-*'], 'member')).toBeUndefined();
  });
  it('does nothing for a plain attribute (all values came at once) or an absent one', () => {
    expect(nextRangeRequest(['member', 'cn'], 'member')).toBeUndefined();
    expect(nextRangeRequest(['cn'], 'member')).toBeUndefined();
  });
  it('is case-insensitive and only looks at the asked attribute', () => {
    expect(nextRangeRequest(['Member;Range=0-2'], 'member')).toBe('member;range=3-*');
    expect(nextRangeRequest(['uniqueMember;range=0-9'], 'member')).toBeUndefined();
  });
  it('throws on a nonsensical range rather than stop early', () => {
    expect(() => nextRangeRequest(['member;range=10-2'], 'member')).toThrow(/ends before/);
    expect(() => nextRangeRequest(['member;range=a-b'], 'member')).toThrow(/Malformed/);
  });
  it('baseType drops options', () => {
    expect(baseType('member;range=0-1499')).toBe('member');
    expect(baseType('givenName')).toBe('givenname');
  });
});

describe('normalizeDn', () => {
  it('ignores case and spaces around separators', () => {
    expect(normalizeDn('CN=Team A , OU=Groups,DC=Example, DC=test')).toBe(
      normalizeDn('cn=team a,ou=groups,dc=example,dc=test'),
    );
  });
  it('treats hex and character escapes alike', () => {
    expect(normalizeDn('cn=a*b(c)\\5Cd,ou=groups')).toBe(normalizeDn('cn=a*b(c)\\\\d,ou=groups'));
    expect(normalizeDn('cn=Smith\\2C John,ou=x')).toBe(normalizeDn('cn=Smith\\, John,ou=x'));
    expect(normalizeDn('cn=Smith\\2C John,ou=x')).not.toBe(normalizeDn('cn=Smith,cn=John,ou=x'));
    expect(normalizeDn('cn=Z\\C3\\AB,ou=x')).toBe(normalizeDn('cn=Zë,ou=x'));
  });
  it('keeps a NUL byte and non-BMP characters distinct', () => {
    expect(normalizeDn('cn=nul\\00x,ou=g')).not.toBe(normalizeDn('cn=nulx,ou=g'));
    expect(normalizeDn('cn=😀,ou=g')).toBe(normalizeDn('cn=\\F0\\9F\\98\\80,ou=g'));
  });
  it('orders multi-valued RDNs', () => {
    expect(normalizeDn('cn=a+uid=b,dc=x')).toBe(normalizeDn('uid=b+cn=a,dc=x'));
  });
});

describe('suffixOf', () => {
  it('picks the longest naming context that holds the DN', () => {
    const ncs = ['DC=example,DC=test', 'CN=Configuration,DC=example,DC=test', 'DC=child,DC=example,DC=test'];
    expect(suffixOf('CN=Staff,OU=Groups,DC=child,DC=example,DC=test', ncs)).toBe(
      'DC=child,DC=example,DC=test',
    );
    expect(suffixOf('cn=staff,ou=groups,dc=example,dc=test', ncs)).toBe('DC=example,DC=test');
  });
  it('falls back to the dc= part without a root DSE', () => {
    expect(suffixOf('cn=staff,ou=groups,dc=example,dc=test', [])).toBe('dc=example,dc=test');
    expect(suffixOf('cn=staff,o=corp', [])).toBe('cn=staff,o=corp');
  });
});
