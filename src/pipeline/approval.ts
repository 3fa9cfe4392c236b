/**
 * Whether a stored approval still covers the plan in front of us. Pure: the caller passes the
 * clock reading. An approval covers one plan computed on one baseline for one target; the first
 * run whose plan differs voids it, and it expires. A clock that moved back (an approval "from the
 * future") voids it too: no reading of the clock ever makes an approval last longer.
 */

export interface StoredApproval {
  readonly target: { readonly baseUrl: string; readonly project: string; readonly job: string };
  readonly planId: string;
  readonly baselineId: string;
  readonly approval?: { readonly by: string; readonly at: string; readonly expiresAt: string } | undefined;
}

export interface CurrentPlan {
  readonly target: StoredApproval['target'];
  readonly planId: string;
  readonly baselineId: string;
}

export type ApprovalJudgement =
  /** Nothing stored, or a blocked plan that is current but not approved yet. */
  | { readonly kind: 'none'; readonly sameBlockedPlan: boolean }
  | { readonly kind: 'valid'; readonly by: string; readonly expiresAt: string }
  /** The stored plan or its approval no longer applies; it must be removed. */
  | { readonly kind: 'void'; readonly why: string };

/** Tolerated clock difference between the approving process and the running one. */
const SKEW_MS = 5 * 60_000;

export function judgeApproval(
  stored: StoredApproval | null,
  current: CurrentPlan,
  now: Date,
): ApprovalJudgement {
  if (!stored) return { kind: 'none', sameBlockedPlan: false };
  const t = stored.target;
  if (
    t.baseUrl !== current.target.baseUrl ||
    t.project !== current.target.project ||
    t.job !== current.target.job
  )
    return { kind: 'void', why: 'it was for another MIM target' };
  if (stored.baselineId !== current.baselineId)
    return { kind: 'void', why: 'the baseline changed since the plan was blocked' };
  if (stored.planId !== current.planId)
    return { kind: 'void', why: `the plan changed (${stored.planId} → ${current.planId})` };
  const a = stored.approval;
  if (!a) return { kind: 'none', sameBlockedPlan: true };
  const at = Date.parse(a.at);
  const expires = Date.parse(a.expiresAt);
  if (!Number.isFinite(at) || !Number.isFinite(expires) || expires <= at)
    return { kind: 'void', why: 'the approval has no valid time' };
  if (at - SKEW_MS > now.getTime())
    return { kind: 'void', why: `the approval is dated ${a.at}, in the future: the clock moved back` };
  if (now.getTime() >= expires) return { kind: 'void', why: `the approval expired at ${a.expiresAt}` };
  return { kind: 'valid', by: a.by, expiresAt: a.expiresAt };
}

/** When an approval given `now` expires. */
export function approvalExpiry(now: Date, ttlHours: number): string {
  return new Date(now.getTime() + ttlHours * 3_600_000).toISOString();
}
