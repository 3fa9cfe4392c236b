import { describe, expect, it } from 'vitest';
import { isDnShaped } from './groups.js';

describe('isDnShaped (memberUid values)', () => {
  it('takes DNs as OpenLDAP shops write them into memberUid', () => {
    expect(isDnShaped('uid=erin,ou=people,dc=example,dc=test')).toBe(true);
    expect(isDnShaped('UID=Hank, OU=People,DC=example,DC=test')).toBe(true);
    expect(isDnShaped(' cn = Erin Posix ,ou=people')).toBe(true);
    expect(isDnShaped('0.9.2342.19200300.100.1.1=erin,dc=example')).toBe(true);
  });

  it('leaves plain uids as uids', () => {
    for (const uid of ['erin', 'erin.posix', 'e-posix', 'erin@example.test', '1001', '']) {
      expect(isDnShaped(uid)).toBe(false);
    }
  });
});
