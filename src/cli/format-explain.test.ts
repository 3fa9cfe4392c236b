/** `plan --explain` as the admin reads it: the person, each field's origin and steps, the plan, the guard. */
import { describe, expect, it } from 'vitest';
import { explainFor as explain } from '../../test/helpers/explain.js';
import { pushed, rec } from '../../test/helpers/records.js';
import type { GuardVerdict } from '../pipeline/index.js';
import type { SourceLookup } from '../run/explain.js';
import { explanationJson, formatExplanation } from './format-explain.js';

describe('formatExplanation', () => {
  it('shows an update field by field with the last upload and the guard', () => {
    const text = formatExplanation(explain('S1', [rec(1, { lastName: 'King' })], [pushed(1)]));
    expect(text).toMatch(/^main: S1\n/);
    expect(text).toContain('Plan: update');
    expect(text).toContain('Last name: "Last1" → "King"');
    expect(text).toMatch(/Last upload: held First1 Last1 <user1@example\.com>/);
    expect(text).toMatch(/Guard: plan \w+ may be sent/);
  });

  it('shows each mapping step and the key that chooses a field', () => {
    const lookups: SourceLookup[] = [
      {
        source: 'hr',
        kind: 'ldap',
        searched: 'ou=people',
        findings: [
          {
            place: 'uid=u1,ou=people',
            verdict: 'included',
            fields: [
              {
                field: 'id',
                value: '00006699',
                from: 'the expression pager | hex2dec | pad(8)',
                key: 'map.id',
                steps: [
                  { step: 'pager', value: '1A2B' },
                  { step: 'hex2dec', value: '6699' },
                  { step: 'pad(8)', value: '00006699' },
                ],
              },
            ],
          },
        ],
      },
    ];
    const text = formatExplanation(explain('user1@example.com', [rec(1)], null, { lookups }));
    expect(text).toContain('uid=u1,ou=people: read');
    expect(text).toContain('pager = "1A2B" → hex2dec = "6699" → pad(8) = "00006699"');
    expect(text).toContain('(map.id)');
    expect(text).toContain('Last upload: not known (there is no snapshot)');
  });

  it('names a rejection with its place and fix, and a blocked guard', () => {
    const blocked: GuardVerdict = {
      ok: false,
      kind: 'needs-approval',
      reasons: [{ code: 'too-many-deletes', message: '3 deletes is over guard.maxDeletes = 2' }],
    };
    const text = formatExplanation(
      explain('user2@example.com', [rec(1), rec(2, { id: '' })], [pushed(1)], { guard: blocked }),
    );
    expect(text).toContain('Rejected:');
    expect(text).toMatch(/staff\.csv:3: .*ID/);
    expect(text).toMatch(/Guard: plan \w+ is blocked until approved: 3 deletes is over guard.maxDeletes = 2/);
  });

  it('says where it looked and suggests near matches when nobody is found', () => {
    const e = explain('user1@exampel.com', [rec(1)], [pushed(1)]);
    const text = formatExplanation(e);
    expect(text).toContain('nothing found');
    expect(text).toContain('Did you mean: user1@example.com?');
    expect(explanationJson(e)).toMatchObject({ verdict: 'not-found', nearMatches: ['user1@example.com'] });
  });
});
