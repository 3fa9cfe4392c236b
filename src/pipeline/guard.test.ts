import { describe, expect, it } from 'vitest';
import type { GuardConfig } from '../config/schema.js';
import { evaluateGuard } from './guard.js';
import { computePlan } from './plan.js';
import { place, pushed } from './test-helpers.js';

const limits: GuardConfig = {
  maxDeletes: 25,
  maxDeletePercent: 10,
  minUsers: 1,
  maxShrinkPercent: 50,
  carryForwardDays: 14,
};
const people = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => pushed(from + i));
const planFor = (keep: number, of: number) =>
  computePlan(
    people(0, keep).map((p) => ({ ...p, place: place('x') })),
    people(0, of),
  );

describe('evaluateGuard', () => {
  it('passes small changes', () => {
    const plan = planFor(95, 100);
    expect(evaluateGuard({ plan, sources: [{ source: 'hr', total: 95, valid: 95 }], limits }).ok).toBe(true);
  });

  it('hard-stops an empty source, whatever is approved', () => {
    const plan = planFor(0, 100);
    const v = evaluateGuard({
      plan,
      sources: [{ source: 'hr', total: 0, valid: 0 }],
      limits,
      approval: { planId: plan.id, allowDeletes: 1000 },
    });
    expect(v).toMatchObject({ ok: false, kind: 'hard-stop', reasons: [{ code: 'empty-source' }] });
  });

  it('hard-stops when nothing is valid or fewer than minUsers remain', () => {
    expect(
      evaluateGuard({ plan: planFor(0, 0), sources: [{ source: 'hr', total: 3, valid: 0 }], limits }),
    ).toMatchObject({ kind: 'hard-stop', reasons: [{ code: 'no-valid-records' }] });
    expect(
      evaluateGuard({
        plan: planFor(2, 2),
        sources: [{ source: 'hr', total: 2, valid: 2 }],
        limits: { ...limits, minUsers: 5 },
      }),
    ).toMatchObject({ kind: 'hard-stop', reasons: [{ code: 'below-min-users' }] });
  });

  it('needs approval above the count or the percentage and accepts exactly that plan', () => {
    const plan = planFor(80, 100);
    const sources = [{ source: 'hr', total: 80, valid: 80 }];
    const blocked = evaluateGuard({ plan, sources, limits });
    expect(blocked).toMatchObject({
      ok: false,
      kind: 'needs-approval',
      reasons: [{ code: 'too-many-deletes-percent' }],
    });
    expect(evaluateGuard({ plan, sources, limits, approval: { planId: 'another' } }).ok).toBe(false);
    expect(evaluateGuard({ plan, sources, limits, approval: { planId: plan.id } })).toMatchObject({
      ok: true,
      approvedBy: 'plan-approval',
    });
    expect(evaluateGuard({ plan, sources, limits, approval: { allowDeletes: 19 } }).ok).toBe(false);
    expect(evaluateGuard({ plan, sources, limits, approval: { allowDeletes: 20 } })).toMatchObject({
      ok: true,
      approvedBy: 'allow-deletes',
    });
  });

  it('blocks more than maxDeletes even when the percentage is small', () => {
    const plan = planFor(970, 1000);
    expect(
      evaluateGuard({ plan, sources: [{ source: 'hr', total: 970, valid: 970 }], limits }),
    ).toMatchObject({ reasons: [{ code: 'too-many-deletes' }] });
  });
});
