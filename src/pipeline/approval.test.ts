import { describe, expect, it } from 'vitest';
import { approvalExpiry, judgeApproval, type StoredApproval } from './approval.js';

const target = { baseUrl: 'https://mim.example.com', project: 'hq', job: 'main' };
const now = new Date('2026-12-02T12:00:00Z');
const approved = (over: Partial<StoredApproval> = {}, at = now): StoredApproval => ({
  target,
  planId: 'p1',
  baselineId: '3:abc',
  approval: { by: 'admin', at: at.toISOString(), expiresAt: approvalExpiry(at, 24) },
  ...over,
});
const current = { target, planId: 'p1', baselineId: '3:abc' };

describe('judgeApproval', () => {
  it('accepts an approval of exactly this plan on this baseline within its lifetime', () => {
    expect(judgeApproval(approved(), current, now)).toMatchObject({ kind: 'valid', by: 'admin' });
  });

  it.each([
    ['another plan', { ...current, planId: 'p2' }, /plan changed/],
    ['another baseline', { ...current, baselineId: '4:def' }, /baseline changed/],
    [
      'another target',
      { ...current, target: { ...target, baseUrl: 'https://prod.example.com' } },
      /another MIM target/,
    ],
  ])('voids it for %s', (_what, cur, why) => {
    expect(judgeApproval(approved(), cur, now)).toMatchObject({
      kind: 'void',
      why: expect.stringMatching(why),
    });
  });

  it('voids it once expired, and when it is dated in the future (clock moved back)', () => {
    const later = new Date(now.getTime() + 24 * 3_600_000);
    expect(judgeApproval(approved(), current, later)).toMatchObject({
      kind: 'void',
      why: expect.stringMatching(/expired/),
    });
    const future = new Date(now.getTime() + 3_600_000);
    expect(judgeApproval(approved({}, future), current, now)).toMatchObject({
      kind: 'void',
      why: expect.stringMatching(/future/),
    });
  });

  it('voids an approval with unreadable times instead of trusting it', () => {
    const bad = approved({ approval: { by: 'x', at: 'yesterday', expiresAt: 'never' } });
    expect(judgeApproval(bad, current, now)).toMatchObject({ kind: 'void' });
  });

  it('reports a current, unapproved blocked plan as such', () => {
    expect(judgeApproval({ ...approved(), approval: undefined }, current, now)).toEqual({
      kind: 'none',
      sameBlockedPlan: true,
    });
    expect(judgeApproval(null, current, now)).toEqual({ kind: 'none', sameBlockedPlan: false });
  });
});
