/**
 * Approving a blocked plan, shared by `approve <job> --plan ID` and the web console: exactly the
 * plan that was shown, for the target the config points at now, computed within
 * guard.approvalTtlHours. Returns what happened as a value; each caller words it its own way.
 */
import type { JobConfig } from '../config/schema.js';
import { approvalExpiry } from '../pipeline/approval.js';
import { sameTarget, type Target, targetOf } from '../state/baseline.js';
import type { Approval, BlockedPlan, JobState } from '../state/store.js';

export type ApproveResult =
  | { readonly kind: 'approved'; readonly blocked: BlockedPlan; readonly approval: Approval }
  | { readonly kind: 'none-blocked' }
  /** The config now points at another MIM target than the plan was computed for. */
  | { readonly kind: 'other-target'; readonly blocked: BlockedPlan; readonly target: Target }
  /** The plan id asked for is not the blocked one: the source changed since it was shown. */
  | { readonly kind: 'other-plan'; readonly blocked: BlockedPlan }
  /** The plan was last computed longer ago than the TTL: the directory may have changed since. */
  | {
      readonly kind: 'stale';
      readonly blocked: BlockedPlan;
      readonly seenAt: string;
      readonly ttlHours: number;
    };

export interface ApproveRequest {
  readonly job: JobConfig;
  readonly state: JobState;
  readonly planId: string;
  /** Who approves, as recorded ("alice", "console (admin token) from 127.0.0.1"); the time is added. */
  readonly by: string;
  readonly now: Date;
}

export async function approvePlan(r: ApproveRequest): Promise<ApproveResult> {
  const blocked = await r.state.readBlocked();
  if (!blocked) return { kind: 'none-blocked' };
  const target = targetOf(r.job);
  if (!sameTarget(blocked.target, target)) return { kind: 'other-target', blocked, target };
  if (r.planId !== blocked.planId) return { kind: 'other-plan', blocked };
  const ttlHours = r.job.guard.approvalTtlHours;
  const seenAt = blocked.seenAt ?? blocked.blockedAt;
  const seen = Date.parse(seenAt);
  if (!Number.isFinite(seen) || r.now.getTime() - seen > ttlHours * 3_600_000)
    return { kind: 'stale', blocked, seenAt, ttlHours };
  const at = r.now.toISOString();
  const approval: Approval = { by: `${r.by} at ${at}`, at, expiresAt: approvalExpiry(r.now, ttlHours) };
  await r.state.writeBlocked({ ...blocked, approval });
  return { kind: 'approved', blocked, approval };
}
