/**
 * The guard: the last check before a destructive, public upload. Pure.
 * Hard stops (an empty source, nothing valid, fewer than minUsers) cannot be approved away.
 * Large deletions need an approval that names exactly this plan, or `--allow-deletes N`.
 */
import type { GuardConfig } from '../config/schema.js';
import type { Plan } from './plan.js';

export interface SourceCount {
  readonly source: string;
  /** Records the source delivered, valid or not (unreadable rows included). */
  readonly total: number;
  readonly valid: number;
}

export interface Approval {
  /** Approves exactly the plan with this id. */
  readonly planId?: string | undefined;
  /** Allows up to this many deletes for one manual run (`sync --allow-deletes N`). */
  readonly allowDeletes?: number | undefined;
}

export type GuardReasonCode =
  | 'empty-source'
  | 'no-valid-records'
  | 'below-min-users'
  | 'too-many-deletes'
  | 'too-many-deletes-percent'
  | 'source-shrank';

export interface GuardReason {
  readonly code: GuardReasonCode;
  readonly message: string;
}

export type GuardVerdict =
  | {
      readonly ok: true;
      readonly approvedBy?: 'plan-approval' | 'allow-deletes' | undefined;
      readonly overridden: readonly GuardReason[];
    }
  | {
      readonly ok: false;
      readonly kind: 'hard-stop' | 'needs-approval';
      readonly reasons: readonly GuardReason[];
    };

export interface GuardInput {
  readonly plan: Plan;
  readonly sources: readonly SourceCount[];
  readonly limits: GuardConfig;
  readonly approval?: Approval | undefined;
}

function pct(part: number, whole: number): number {
  return whole === 0 ? 0 : (part / whole) * 100;
}

function hardStops({ plan, sources, limits }: GuardInput): GuardReason[] {
  const out: GuardReason[] = [];
  for (const s of sources) {
    if (s.total === 0) {
      out.push({
        code: 'empty-source',
        message: `source "${s.source}" returned no people; an empty source never deletes anyone`,
      });
    }
  }
  const valid = sources.reduce((n, s) => n + s.valid, 0);
  if (valid === 0 && out.length === 0) {
    out.push({
      code: 'no-valid-records',
      message: 'no record of any source is valid; fix the rejected rows listed above',
    });
  }
  if (out.length === 0 && plan.desired.length < limits.minUsers) {
    out.push({
      code: 'below-min-users',
      message: `only ${plan.desired.length} people would remain, fewer than guard.minUsers = ${limits.minUsers}`,
    });
  }
  return out;
}

function deletionLimits({ plan, sources, limits }: GuardInput): GuardReason[] {
  const out: GuardReason[] = [];
  const deletes = plan.deletes.length;
  const before = plan.previousCount ?? 0;
  if (deletes > limits.maxDeletes) {
    out.push({
      code: 'too-many-deletes',
      message: `${deletes} deletes exceed guard.maxDeletes = ${limits.maxDeletes}`,
    });
  }
  if (before > 0 && pct(deletes, before) > limits.maxDeletePercent) {
    out.push({
      code: 'too-many-deletes-percent',
      message: `${deletes} deletes are ${pct(deletes, before).toFixed(1)}% of the ${before} pushed, over guard.maxDeletePercent = ${limits.maxDeletePercent}%`,
    });
  }
  const total = sources.reduce((n, s) => n + s.total, 0);
  if (before > 0 && limits.maxShrinkPercent < 100 && pct(before - total, before) > limits.maxShrinkPercent) {
    out.push({
      code: 'source-shrank',
      message: `the sources hold ${total} records, ${pct(before - total, before).toFixed(1)}% fewer than the ${before} pushed last time (guard.maxShrinkPercent = ${limits.maxShrinkPercent}%)`,
    });
  }
  return out;
}

export function evaluateGuard(input: GuardInput): GuardVerdict {
  const stops = hardStops(input);
  if (stops.length > 0) return { ok: false, kind: 'hard-stop', reasons: stops };
  const limits = deletionLimits(input);
  if (limits.length === 0) return { ok: true, overridden: [] };
  const { approval, plan } = input;
  if (approval?.planId !== undefined && approval.planId === plan.id) {
    return { ok: true, approvedBy: 'plan-approval', overridden: limits };
  }
  if (approval?.allowDeletes !== undefined && plan.deletes.length <= approval.allowDeletes) {
    return { ok: true, approvedBy: 'allow-deletes', overridden: limits };
  }
  return { ok: false, kind: 'needs-approval', reasons: limits };
}
