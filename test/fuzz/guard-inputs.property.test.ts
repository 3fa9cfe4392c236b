/**
 * The guard's local inputs, fuzzed: whatever a snapshot file, a stored approval or a pending
 * upload holds, the guard never measures against something it cannot vouch for and never
 * honours an approval for another plan, baseline or target, or outside its lifetime.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GuardConfig } from '../../src/config/schema.js';
import type { PushedRecord } from '../../src/core/types.js';
import { approvalExpiry, judgeApproval, type StoredApproval } from '../../src/pipeline/approval.js';
import { evaluateGuard } from '../../src/pipeline/guard.js';
import { computePlan } from '../../src/pipeline/plan.js';
import { checkBaseline, recordsDigest, type StoredSnapshot, type Target } from '../../src/state/baseline.js';

const TARGET: Target = { baseUrl: 'https://mim.example.com', project: 'hq', job: 'main' };

const person = fc
  .record({
    syncId: fc.string({ minLength: 1, maxLength: 6 }),
    firstName: fc.string({ minLength: 1, maxLength: 4 }),
    lastName: fc.string({ minLength: 1, maxLength: 4 }),
    email: fc.string({ minLength: 1, maxLength: 6 }),
    id: fc.string({ minLength: 1, maxLength: 4 }),
  })
  .map((p): PushedRecord => p);

const records = fc
  .uniqueArray(person, { selector: (p) => p.syncId, minLength: 1, maxLength: 12 })
  .map((rs) => [...rs].sort((a, b) => (a.syncId < b.syncId ? -1 : a.syncId > b.syncId ? 1 : 0)));

const validSnapshot = records.map(
  (rs): StoredSnapshot => ({
    version: 2,
    target: TARGET,
    seq: 3,
    pushedAt: '2026-12-01T00:00:00.000Z',
    planId: 'p',
    payloadSha256: 'h',
    inputs: [],
    records: rs,
    recordsSha256: recordsDigest(rs),
  }),
);

/** One hostile edit of a valid snapshot: a field dropped, replaced, or a record changed. */
const mutated = fc
  .tuple(validSnapshot, fc.nat(), fc.anything(), fc.constantFrom('drop', 'set', 'record', 'target'))
  .map(([s, i, value, how]) => {
    const copy = structuredClone(s) as unknown as Record<string, unknown>;
    const keys = Object.keys(copy);
    const key = keys[i % keys.length]!;
    if (how === 'drop') delete copy[key];
    else if (how === 'set') copy[key] = value;
    else if (how === 'record') {
      const rs = copy.records as Record<string, unknown>[];
      const r = rs[i % rs.length]!;
      const f = ['firstName', 'lastName', 'email', 'id', 'syncId'][i % 5]!;
      r[f] = `${String(r[f])}!`;
    } else copy.target = { ...TARGET, [['baseUrl', 'project', 'job'][i % 3]!]: 'elsewhere' };
    return { original: s, copy };
  });

describe('baseline checks on hostile snapshot files', () => {
  it('accepts an intact snapshot of this target as known, with its records unchanged', () => {
    fc.assert(
      fc.property(validSnapshot, (s) => {
        const b = checkBaseline(JSON.parse(JSON.stringify(s)), TARGET, 'f');
        expect(b.known).toBe(true);
        if (b.known) expect([...b.snapshot.records]).toEqual(s.records);
      }),
      { numRuns: 300 },
    );
  });

  it('never calls an arbitrary JSON value a known baseline', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(checkBaseline(v, TARGET, 'f').known).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('reports a version String() cannot convert as a damaged file (found by the row below)', () => {
    const b = checkBaseline(JSON.parse('{"version":{"toString":""}}'), TARGET, 'f');
    expect(b).toMatchObject({
      known: false,
      reason: 'wrong-shape',
      detail: 'the snapshot is not usable: format version an object instead of 2 or 3',
    });
  });

  it('never trusts a snapshot edited in one field unless the edit is invisible to the guard', () => {
    fc.assert(
      fc.property(mutated, ({ original, copy }) => {
        const b = checkBaseline(JSON.parse(JSON.stringify(copy)), TARGET, 'f');
        if (!b.known) return;
        // Still known: then it must be the same records of the same target (only a harmless
        // field like pushedAt or planId changed to another well-formed value).
        expect([...b.snapshot.records]).toEqual(original.records);
        expect(b.snapshot.target).toEqual(TARGET);
      }),
      { numRuns: 3000 },
    );
  });
});

const LIMITS: GuardConfig = {
  maxDeletes: 3,
  maxDeletePercent: 10,
  minUsers: 1,
  maxShrinkPercent: 50,
  carryForwardDays: 14,
  maxIdChangePercent: 10,
  maxNameSwapPercent: 10,
  approvalTtlHours: 24,
};

describe('approvals under hostile edits and clocks', () => {
  const base = new Date('2026-12-02T12:00:00Z').getTime();
  const stored = fc.record({
    planId: fc.constantFrom('p1', 'p2'),
    baselineId: fc.constantFrom('1:a', '2:b', 'unknown'),
    project: fc.constantFrom('hq', 'other'),
    atOffsetH: fc.integer({ min: -100, max: 100 }),
    ttlH: fc.integer({ min: -5, max: 100 }),
    nowOffsetH: fc.integer({ min: -100, max: 200 }),
  });

  it('is valid only for the same plan, baseline and target, between its time and its expiry', () => {
    fc.assert(
      fc.property(stored, (s) => {
        const at = new Date(base + s.atOffsetH * 3_600_000);
        const approval: StoredApproval = {
          target: { ...TARGET, project: s.project },
          planId: s.planId,
          baselineId: s.baselineId,
          approval: { by: 'x', at: at.toISOString(), expiresAt: approvalExpiry(at, s.ttlH) },
        };
        const now = new Date(base + s.nowOffsetH * 3_600_000);
        const j = judgeApproval(approval, { target: TARGET, planId: 'p1', baselineId: '1:a' }, now);
        const should =
          s.planId === 'p1' &&
          s.baselineId === '1:a' &&
          s.project === 'hq' &&
          s.ttlH > 0 &&
          now.getTime() >= at.getTime() - 5 * 60_000 &&
          now.getTime() < at.getTime() + s.ttlH * 3_600_000;
        expect(j.kind === 'valid').toBe(should);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('the guard with an unknown baseline or uploads of unknown outcome', () => {
  it('never passes an unknown baseline without the plan approval or the explicit flag', () => {
    fc.assert(
      fc.property(records, fc.option(fc.nat({ max: 1000 })), fc.boolean(), (rs, allow, rightPlan) => {
        const plan = computePlan(
          rs.map((r) => ({ ...r, place: { source: 'hr', kind: 'csv-folder', ref: 'x' } })),
          null,
          { baselineId: 'unknown' },
        );
        const v = evaluateGuard({
          plan,
          sources: [{ source: 'hr', total: rs.length, valid: rs.length }],
          limits: LIMITS,
          baseline: { known: false, detail: 'missing', project: 'hq' },
          approval: { allowDeletes: allow ?? undefined, planId: rightPlan ? plan.id : 'other' },
        });
        expect(v.ok).toBe(rightPlan);
      }),
      { numRuns: 1000 },
    );
  });

  it('counts everyone a pending upload may hold who is not in the new upload, against the limits', () => {
    fc.assert(
      fc.property(records, records, records, (prev, pending, next) => {
        const desired = next.map((r) => ({
          ...r,
          place: { source: 'hr', kind: 'csv-folder' as const, ref: 'x' },
        }));
        const plan = computePlan(desired, prev, { pending });
        const inMim = new Set([...prev, ...pending].map((r) => r.syncId));
        const kept = new Set(next.map((r) => r.syncId));
        const mayGo = [...inMim].filter((id) => !kept.has(id)).length;
        expect(plan.deletes.length + plan.maybeDeletes.length).toBe(mayGo);
        const v = evaluateGuard({
          plan,
          sources: [{ source: 'hr', total: next.length, valid: next.length }],
          limits: LIMITS,
        });
        if (mayGo > LIMITS.maxDeletes) expect(v.ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
