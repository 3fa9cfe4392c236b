import { describe, expect, it } from 'vitest';
import type { PushedRecord } from '../core/types.js';
import type { DesiredRecord } from './carry.js';
import { computePlan } from './plan.js';
import { planWarnings } from './warnings.js';

const ada: PushedRecord = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'ada@example.com',
  id: '1001',
  syncId: 'E1',
};
const bob: PushedRecord = {
  firstName: 'Bob',
  lastName: 'Builder',
  email: 'bob@example.com',
  id: '1002',
  syncId: 'E2',
};

function desired(r: PushedRecord): DesiredRecord {
  return { ...r, place: { source: 'hr', kind: 'csv-folder', ref: `staff.csv:${r.id}` } };
}

describe('planWarnings', () => {
  it('says nothing about a plan with stable Sync IDs and e-mails', () => {
    expect(planWarnings(computePlan([desired(ada), desired(bob)], [ada]), true)).toEqual([]);
  });

  it('warns that MIM matches by e-mail when the Sync ID column is off', () => {
    const warnings = planWarnings(computePlan([desired(ada)], [ada]), false);
    expect(warnings).toEqual([expect.stringContaining('mim.dialect.includeSyncId is off')]);
  });

  it('names a delete + add that looks like one person whose e-mail and Sync ID both changed', () => {
    const moved = desired({ ...ada, email: 'ada.king@example.com', syncId: 'E9' });
    const warnings = planWarnings(computePlan([moved, desired(bob)], [ada, bob]), true);
    expect(warnings).toEqual([
      'ada@example.com → ada.king@example.com looks like an e-mail change, but the Sync ID changed too (E1 → E9): MIM will delete this person and send a new invitation. Use a stable Sync ID column.',
    ]);
  });

  it('does not pair a delete and an add of different people', () => {
    const carol = desired({ ...bob, firstName: 'Carol', email: 'carol@example.com', syncId: 'E3' });
    expect(planWarnings(computePlan([carol], [bob]), true)).toEqual([]);
  });
});
