import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { place, pushed } from '../../test/helpers/records.js';
import type { PushedRecord } from '../core/types.js';
import type { DesiredRecord } from './carry.js';
import { computePlan, toPushed } from './plan.js';

const desired = (p: PushedRecord): DesiredRecord => ({ ...p, place: place(`x:${p.syncId}`) });

/** What MIM ends up with after applying a plan to the previous set. */
function apply(previous: readonly PushedRecord[], plan: ReturnType<typeof computePlan>): PushedRecord[] {
  const m = new Map(previous.map((p) => [p.syncId, p]));
  for (const d of plan.deletes) m.delete(d.syncId);
  for (const u of plan.updates) {
    const next = { ...m.get(u.syncId)! };
    for (const c of u.changes) (next as Record<string, string>)[c.field] = c.to;
    m.set(u.syncId, next);
  }
  for (const a of plan.adds) m.set(a.syncId, toPushed([a])[0]!);
  return [...m.values()].sort((a, b) => (a.syncId < b.syncId ? -1 : 1));
}

const person = fc.record({
  syncId: fc.stringMatching(/^[a-f0-9]{1,4}$/),
  firstName: fc.constantFrom('Ada', 'Bob', 'Zoë'),
  lastName: fc.constantFrom('Lovelace', 'Müller', 'Weiß'),
  email: fc.constantFrom('a@x.de', 'b@x.de', 'c@x.de'),
  id: fc.constantFrom('1', '2', '3'),
});
const people = fc.uniqueArray(person, { selector: (p) => p.syncId, maxLength: 40 });

describe('computePlan', () => {
  it('lists adds, updates with old → new, deletes and unchanged', () => {
    const prev = [pushed(1), pushed(2), pushed(3)];
    const next = [desired(pushed(1)), desired(pushed(2, { lastName: 'Baumeister' })), desired(pushed(4))];
    const plan = computePlan(next, prev);
    expect(plan.adds.map((a) => a.syncId)).toEqual(['S4']);
    expect(plan.updates).toEqual([
      expect.objectContaining({
        syncId: 'S2',
        changes: [{ field: 'lastName', from: 'Last2', to: 'Baumeister' }],
      }),
    ]);
    expect(plan.deletes.map((d) => d.syncId)).toEqual(['S3']);
    expect(plan.unchanged).toBe(1);
  });

  it('shows an e-mail change under a stable Sync ID as an update, not delete + add', () => {
    const plan = computePlan([desired(pushed(1, { email: 'new@example.com' }))], [pushed(1)]);
    expect(plan.adds).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.updates[0]?.changes).toEqual([
      { field: 'email', from: 'user1@example.com', to: 'new@example.com' },
    ]);
  });

  it('applying the plan to the old snapshot yields exactly the new set', () => {
    fc.assert(
      fc.property(people, people, (before, after) => {
        const plan = computePlan(after.map(desired), before);
        const expected = [...after].sort((a, b) => (a.syncId < b.syncId ? -1 : 1));
        expect(apply(before, plan)).toEqual(expected);
        expect(plan.adds.length + plan.updates.length + plan.unchanged).toBe(after.length);
      }),
      { numRuns: 500 },
    );
  });

  it('plans the same whatever order either side comes in, and hands on the desired set sorted', () => {
    fc.assert(
      fc.property(people, people, (before, after) => {
        const bySyncId = (a: PushedRecord, b: PushedRecord) => (a.syncId < b.syncId ? -1 : 1);
        const shuffled = computePlan(after.map(desired), before);
        const sorted = computePlan([...after].sort(bySyncId).map(desired), [...before].sort(bySyncId));
        expect(shuffled).toEqual(sorted);
        expect(shuffled.desired.map((d) => d.syncId)).toEqual([...after].sort(bySyncId).map((d) => d.syncId));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same id to the same changes and another id to other changes', () => {
    const a = computePlan([desired(pushed(1))], [pushed(2)]);
    const b = computePlan([desired(pushed(1))], [pushed(2)]);
    const c = computePlan([desired(pushed(1))], [pushed(3)]);
    expect(a.id).toBe(b.id);
    expect(a.id).not.toBe(c.id);
  });
});
