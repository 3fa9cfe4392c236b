import { describe, expect, it } from 'vitest';
import { explainFor as explain } from '../../test/helpers/explain.js';
import { pushed, rec, snap } from '../../test/helpers/records.js';
import { buildPlan, evaluateGuard } from '../pipeline/index.js';
import type { SourceLookup } from './explain.js';

const now = new Date('2026-11-25T10:00:00Z');

describe('explainPerson', () => {
  it('finds a new person by e-mail in any case and says they are added', () => {
    const e = explain('USER1@Example.com', [rec(1), rec(2)], [pushed(2)]);
    expect(e.verdict).toBe('added');
    expect(e.plan).toMatchObject({ action: 'add', record: { syncId: 'S1' } });
    expect(e.baseline).toEqual({ known: true, record: undefined });
    expect(e.sources[0]?.findings.map((f) => f.place)).toEqual(['staff.csv:2']);
  });

  it('shows an update field by field, found by Sync ID', () => {
    const e = explain('S1', [rec(1, { lastName: 'King' })], [pushed(1)]);
    expect(e.verdict).toBe('updated');
    expect(e.plan.changes).toEqual([{ field: 'lastName', from: 'Last1', to: 'King' }]);
    expect(e.summary).toContain('lastName "Last1" → "King"');
    expect(e.baseline.record).toMatchObject({ lastName: 'Last1' });
  });

  it('follows a changed e-mail to the person in the last upload through the Sync ID', () => {
    const e = explain('new1@example.com', [rec(1, { email: 'new1@example.com' })], [pushed(1)]);
    expect(e.verdict).toBe('updated');
    expect(e.baseline.record?.email).toBe('user1@example.com');
  });

  it('says unchanged for someone whose data did not change', () => {
    expect(explain('S1', [rec(1)], [pushed(1)]).verdict).toBe('unchanged');
  });

  it('names the rejection and its place for an invalid new row', () => {
    const e = explain('user2@example.com', [rec(1), rec(2, { id: '' })], [pushed(1)]);
    expect(e.verdict).toBe('rejected');
    expect(e.rejections).toEqual([expect.objectContaining({ place: 'staff.csv:3', code: 'missing-field' })]);
    expect(e.summary).toContain('staff.csv:3');
  });

  it('says who was kept when the person was dropped as a duplicate', () => {
    const e = explain('S9', [rec(1), rec(9, { email: 'user1@example.com' })], null);
    expect(e.verdict).toBe('duplicate');
    expect(e.summary).toContain('also at hr: staff.csv:2 (that one is kept: it comes first in the file)');
  });

  it('explains a carry-forward with the rejected row', () => {
    const e = explain('S2', [rec(1), rec(2, { id: 'Ä' })], [pushed(1), pushed(2)]);
    expect(e.verdict).toBe('carried');
    expect(e.carried).toEqual({ since: now.toISOString(), place: 'hr: staff.csv:3' });
    expect(e.rejections[0]).toMatchObject({ place: 'staff.csv:3', code: 'bad-id' });
    expect(e.summary).toContain('carried forward since');
  });

  it('says why a deleted person is gone: no source holds them', () => {
    const e = explain('user2@example.com', [rec(1)], [pushed(1), pushed(2)]);
    expect(e.verdict).toBe('deleted');
    expect(e.summary).toContain('no source holds them any more');
  });

  it('says a deleted person was left out by the source, with its reason', () => {
    const lookups: SourceLookup[] = [
      {
        source: 'hr',
        kind: 'ldap',
        searched: 'ou=people',
        findings: [
          {
            place: 'uid=u2,ou=people',
            verdict: 'left-out',
            reason: 'disabled (userAccountControl 514)',
            fields: [
              {
                field: 'email',
                value: 'user2@example.com',
                from: 'mail',
                key: 'attributes.email',
                steps: [],
              },
            ],
          },
        ],
      },
    ];
    const e = explain('user2@example.com', [rec(1)], [pushed(1), pushed(2)], { lookups });
    expect(e.verdict).toBe('deleted');
    expect(e.summary).toContain('uid=u2,ou=people: disabled (userAccountControl 514)');
  });

  it('says left out for someone a source skips who was never uploaded', () => {
    const lookups: SourceLookup[] = [
      {
        source: 'hr',
        kind: 'ldap',
        searched: 'ou=people',
        findings: [
          {
            place: 'uid=u5',
            verdict: 'left-out',
            reason: 'filter (department=IT) does not match',
            fields: [],
          },
        ],
      },
    ];
    const e = explain('user5@example.com', [rec(1)], [pushed(1)], { lookups });
    expect(e.verdict).toBe('left-out');
    expect(e.summary).toContain('filter (department=IT) does not match');
  });

  it('suggests e-mails with the same local part when nobody is found', () => {
    const e = explain('user1@exampel.com', [rec(1), rec(2)], [pushed(1)]);
    expect(e.verdict).toBe('not-found');
    expect(e.nearMatches).toEqual(['user1@example.com']);
    expect(e.sources[0]?.searched).toContain('by e-mail and Sync ID');
  });

  it('adds the guard verdict when the plan is blocked', () => {
    const build = buildPlan({
      snapshots: [snap([rec(1)])],
      previous: [pushed(1), pushed(2), pushed(3)],
      now,
    });
    const guard = evaluateGuard({
      plan: build.plan,
      sources: build.counts,
      limits: { minUsers: 1, maxDeletes: 1, maxDeletePercent: 100, maxShrinkPercent: 100 } as never,
    });
    const e = explain('S2', [rec(1)], [pushed(1), pushed(2), pushed(3)], { guard });
    expect(e.guard.ok).toBe(false);
    expect(e.summary).toContain('blocked until it is approved');
  });
});
