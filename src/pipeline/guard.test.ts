import { describe, expect, it } from 'vitest';
import { place, pushed } from '../../test/helpers/records.js';
import type { GuardConfig } from '../config/schema.js';
import { evaluateGuard } from './guard.js';
import { computePlan } from './plan.js';

const limits: GuardConfig = {
  maxDeletes: 25,
  maxDeletePercent: 10,
  minUsers: 1,
  maxShrinkPercent: 50,
  carryForwardDays: 14,
  maxIdChangePercent: 10,
  maxNameSwapPercent: 10,
  approvalTtlHours: 24,
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

  it("names the source's own reason for being empty in the hard stop", () => {
    const v = evaluateGuard({
      plan: planFor(0, 10),
      sources: [{ source: 'dir', total: 0, valid: 0, whyEmpty: 'group cn=empty,ou=groups has no members' }],
      limits,
    });
    expect(v).toMatchObject({
      kind: 'hard-stop',
      reasons: [
        {
          message:
            'source "dir" returned no people (group cn=empty,ou=groups has no members); an empty source never deletes anyone',
        },
      ],
    });
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

  it('blocks an unknown baseline, and neither --allow-deletes nor another plan id unblocks it', () => {
    const plan = computePlan(
      people(0, 5).map((p) => ({ ...p, place: place('x') })),
      null,
      { baselineId: 'unknown' },
    );
    const sources = [{ source: 'hr', total: 5, valid: 5 }];
    const baseline = { known: false as const, detail: 'snapshot.json is missing', project: 'hq' };
    const v = evaluateGuard({ plan, sources, limits, baseline });
    expect(v).toMatchObject({ ok: false, kind: 'needs-approval', reasons: [{ code: 'unknown-baseline' }] });
    if (!v.ok)
      expect(v.reasons[0]?.message).toMatch(
        /does not know who is in project "hq".*everyone who is not among these 5/,
      );
    expect(evaluateGuard({ plan, sources, limits, baseline, approval: { allowDeletes: 1_000_000 } }).ok).toBe(
      false,
    );
    expect(evaluateGuard({ plan, sources, limits, baseline, approval: { planId: 'other' } }).ok).toBe(false);
    expect(evaluateGuard({ plan, sources, limits, baseline, approval: { planId: plan.id } }).ok).toBe(true);
    expect(
      evaluateGuard({ plan, sources, limits, baseline, approval: { acceptUnknownBaseline: true } }),
    ).toMatchObject({
      ok: true,
      approvedBy: 'accept-unknown-baseline',
    });
  });

  it('binds the plan id to the baseline: the same changes on another baseline are another plan', () => {
    const desired = people(0, 5).map((p) => ({ ...p, place: place('x') }));
    expect(computePlan(desired, people(0, 6), { baselineId: '1:a' }).id).not.toBe(
      computePlan(desired, people(0, 6), { baselineId: '2:b' }).id,
    );
  });

  it('counts people an unknown-outcome upload may have added as deletes', () => {
    const desired = people(0, 100).map((p) => ({ ...p, place: place('x') }));
    const pending = people(0, 140);
    const plan = computePlan(desired, people(0, 100), { pending });
    expect(plan.deletes).toHaveLength(0);
    expect(plan.maybeDeletes).toHaveLength(40);
    const v = evaluateGuard({ plan, sources: [{ source: 'hr', total: 100, valid: 100 }], limits });
    expect(v).toMatchObject({
      ok: false,
      reasons: [{ code: 'too-many-deletes' }, { code: 'too-many-deletes-percent' }],
    });
    expect(
      evaluateGuard({
        plan,
        sources: [{ source: 'hr', total: 100, valid: 100 }],
        limits,
        approval: { allowDeletes: 40 },
      }).ok,
    ).toBe(true);
  });

  it('needs approval when many IDs change or names are swapped, but not for one badge re-issue', () => {
    const before = people(0, 50);
    const sources = [{ source: 'hr', total: 50, valid: 50 }];
    const rekeyed = before.map((p, i) => ({ ...p, id: i < 10 ? `NEW${i}` : p.id, place: place('x') }));
    const ids = computePlan(rekeyed, before);
    expect(evaluateGuard({ plan: ids, sources, limits })).toMatchObject({
      ok: false,
      reasons: [{ code: 'mass-id-change' }],
    });
    expect(evaluateGuard({ plan: ids, sources, limits, approval: { allowDeletes: 100 } }).ok).toBe(false);
    expect(evaluateGuard({ plan: ids, sources, limits, approval: { planId: ids.id } }).ok).toBe(true);
    const one = computePlan(
      before.map((p, i) => ({ ...p, id: i === 0 ? 'NEW' : p.id, place: place('x') })),
      before,
    );
    expect(evaluateGuard({ plan: one, sources, limits }).ok).toBe(true);
    const swapped = computePlan(
      before.map((p, i) => ({
        ...p,
        firstName: i < 6 ? p.lastName : p.firstName,
        lastName: i < 6 ? p.firstName : p.lastName,
        place: place('x'),
      })),
      before,
    );
    expect(evaluateGuard({ plan: swapped, sources, limits })).toMatchObject({
      ok: false,
      reasons: [{ code: 'name-swaps' }],
    });
  });

  it('treats a limit that is not a finite number as 0, never as switched off', () => {
    const plan = planFor(80, 100);
    const sources = [{ source: 'hr', total: 80, valid: 80 }];
    const broken = {
      ...limits,
      maxDeletes: Number.NaN,
      maxDeletePercent: Number.NaN,
      maxShrinkPercent: Number.NaN,
    };
    expect(evaluateGuard({ plan, sources, limits: broken }).ok).toBe(false);
  });
});
