import { describe, expect, it } from 'vitest';
import { rec, snap } from '../../test/helpers/records.js';
import { buildPlan } from './index.js';

const now = new Date('2026-11-25T10:00:00Z');

describe('rejections are listed in file order', () => {
  it('a duplicate found by merge sits at its line among the rows the validator rejected', () => {
    const r = buildPlan({
      snapshots: [
        snap([
          rec(1, { syncId: 'Z9' }),
          rec(2, { syncId: 'Z9', email: 'other@example.com' }),
          rec(3, { email: 'broken' }),
          rec(4, { syncId: 'A1' }),
          rec(5, { syncId: 'A1', email: 'again@example.com' }),
        ]),
        snap([rec(10, { email: 'broken-too' }, 'ldap')], 'ldap'),
      ],
      previous: null,
      now,
    });
    expect(r.rejections.map((x) => `${x.place.source} ${x.place.ref} ${x.code}`)).toEqual([
      'hr staff.csv:3 duplicate-sync-id',
      'hr staff.csv:4 bad-email',
      'hr staff.csv:6 duplicate-sync-id',
      'ldap staff.csv:11 bad-email',
    ]);
  });
});

describe('a duplicate in a file without a Sync ID column', () => {
  it('is named by the e-mail the file holds, not as a duplicate Sync ID', () => {
    // Without a Sync ID column the csv source derives the Sync ID from the e-mail.
    const r = buildPlan({
      snapshots: [
        snap([
          rec(1, { syncId: 'ada@example.com', email: 'ada@example.com' }),
          rec(2, { syncId: 'ada@example.com', email: 'ada@example.com', firstName: 'Other' }),
        ]),
      ],
      previous: null,
      now,
    });
    expect(r.rejections).toEqual([
      expect.objectContaining({
        code: 'duplicate-email',
        field: 'email',
        reason:
          'duplicate e-mail "ada@example.com" (used as the Sync ID), also at hr: staff.csv:2 (that one is kept: it comes first in the file)',
        fix: 'give each person a unique e-mail address, or remove one of the two rows',
      }),
    ]);
  });
});
