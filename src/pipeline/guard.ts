/**
 * The guard: the last check before a destructive, public upload. Pure.
 * Hard stops (an empty source, nothing valid, fewer than minUsers) cannot be approved away.
 * Everything else that can hurt people — an unknown baseline, large deletions, mass ID changes,
 * swapped names — needs an approval that names exactly this plan (bound to its baseline), or a
 * one-off flag of a manual run that covers exactly that reason.
 */
import type { GuardConfig } from '../config/schema.js';
import { isAre, plural } from '../core/plural.js';
import { idChanges, nameSwaps, type Plan } from './plan.js';

export interface SourceCount {
  readonly source: string;
  /** Records the source delivered, valid or not (unreadable rows included). */
  readonly total: number;
  readonly valid: number;
  /** The source's own account of why it delivered nobody (SourceSnapshot.whyEmpty). */
  readonly whyEmpty?: string | undefined;
}

export interface Approval {
  /** Approves exactly the plan with this id (its id is bound to the baseline it was computed on). */
  readonly planId?: string | undefined;
  /** Allows up to this many deletes for one manual run (`sync --allow-deletes N`). */
  readonly allowDeletes?: number | undefined;
  /** Pushes despite an unknown baseline, for one manual run (`sync --accept-unknown-baseline`). */
  readonly acceptUnknownBaseline?: boolean | undefined;
}

/** What the guard knows about the baseline the plan was computed on. */
export type BaselineFacts =
  | { readonly known: true }
  | { readonly known: false; readonly detail: string; readonly project: string };

export type GuardReasonCode =
  | 'empty-source'
  | 'no-valid-records'
  | 'below-min-users'
  | 'too-many-deletes'
  | 'too-many-deletes-percent'
  | 'source-shrank'
  | 'unknown-baseline'
  | 'mass-id-change'
  | 'name-swaps';

/** Reasons `--allow-deletes N` may override; the others need the plan's own approval. */
const DELETE_REASONS: ReadonlySet<GuardReasonCode> = new Set([
  'too-many-deletes',
  'too-many-deletes-percent',
  'source-shrank',
]);

export interface GuardReason {
  readonly code: GuardReasonCode;
  readonly message: string;
}

export type GuardVerdict =
  | {
      readonly ok: true;
      readonly approvedBy?: 'plan-approval' | 'allow-deletes' | 'accept-unknown-baseline' | undefined;
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
  /** Default: known (tests of the limits alone). */
  readonly baseline?: BaselineFacts | undefined;
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
        message: `source "${s.source}" returned no people${s.whyEmpty ? ` (${s.whyEmpty})` : ''}; an empty source never deletes anyone`,
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

function unknownBaseline({ plan, baseline }: GuardInput): GuardReason[] {
  if (!baseline || baseline.known) return [];
  return [
    {
      code: 'unknown-baseline',
      message: `mobileid-sync does not know who is in project "${baseline.project}" now (${baseline.detail}); MIM will delete everyone who is not among these ${plan.desired.length} people`,
    },
  ];
}

/**
 * A limit compares with `>`, so a limit that is not a finite number would switch itself off
 * (every `x > NaN` is false). Config validation refuses such values; this is the second lock.
 */
function limit(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

function deletionLimits({ plan, sources, limits }: GuardInput): GuardReason[] {
  const out: GuardReason[] = [];
  const maybe = plan.maybeDeletes.length;
  const deletes = plan.deletes.length + maybe;
  const what =
    maybe > 0
      ? `${plural(deletes, 'delete')} (${maybe} of them people an earlier upload with an unknown outcome may have added)`
      : plural(deletes, 'delete');
  const before = plan.previousCount ?? 0;
  if (deletes > limit(limits.maxDeletes)) {
    out.push({
      code: 'too-many-deletes',
      message: `${what} ${deletes === 1 ? 'exceeds' : 'exceed'} guard.maxDeletes = ${limits.maxDeletes}`,
    });
  }
  if (before > 0 && pct(deletes, before) > limit(limits.maxDeletePercent)) {
    out.push({
      code: 'too-many-deletes-percent',
      message: `${what} ${isAre(deletes)} ${pct(deletes, before).toFixed(1)}% of the ${before} pushed, over guard.maxDeletePercent = ${limits.maxDeletePercent}%`,
    });
  }
  const total = sources.reduce((n, s) => n + s.total, 0);
  const shrink = limit(limits.maxShrinkPercent);
  if (before > 0 && shrink < 100 && pct(before - total, before) > shrink) {
    out.push({
      code: 'source-shrank',
      message: `the sources hold ${plural(total, 'record')}, ${pct(before - total, before).toFixed(1)}% fewer than the ${before} pushed last time (guard.maxShrinkPercent = ${limits.maxShrinkPercent}%)`,
    });
  }
  return out;
}

/**
 * Changes to people who stay: re-keyed credentials and swapped names. One of each is ordinary
 * (a badge re-issued, a typo fixed); a share of the project at once is a wrong mapping.
 */
function changeLimits({ plan, limits }: GuardInput): GuardReason[] {
  const out: GuardReason[] = [];
  const before = plan.previousCount ?? 0;
  if (before === 0) return out;
  const ids = idChanges(plan).length;
  if (ids > 1 && pct(ids, before) > limit(limits.maxIdChangePercent)) {
    out.push({
      code: 'mass-id-change',
      message: `${ids} people's ID changes (${pct(ids, before).toFixed(1)}% of the ${before} pushed, over guard.maxIdChangePercent = ${limits.maxIdChangePercent}%): each re-keys a phone credential — a wrong ID column or mapping?`,
    });
  }
  const swaps = nameSwaps(plan).length;
  if (swaps > 1 && pct(swaps, before) > limit(limits.maxNameSwapPercent)) {
    out.push({
      code: 'name-swaps',
      message: `${swaps} people's first and last names are swapped (${pct(swaps, before).toFixed(1)}% of the ${before} pushed, over guard.maxNameSwapPercent = ${limits.maxNameSwapPercent}%): are the name columns swapped?`,
    });
  }
  return out;
}

export function evaluateGuard(input: GuardInput): GuardVerdict {
  const stops = hardStops(input);
  if (stops.length > 0) return { ok: false, kind: 'hard-stop', reasons: stops };
  const reasons = [...unknownBaseline(input), ...deletionLimits(input), ...changeLimits(input)];
  if (reasons.length === 0) return { ok: true, overridden: [] };
  const { approval, plan } = input;
  if (approval?.planId !== undefined && approval.planId === plan.id) {
    return { ok: true, approvedBy: 'plan-approval', overridden: reasons };
  }
  // One-off flags each cover their own reason only; whatever is left still blocks.
  const deletes = plan.deletes.length + plan.maybeDeletes.length;
  const left = reasons.filter((r) => {
    if (r.code === 'unknown-baseline') return approval?.acceptUnknownBaseline !== true;
    if (DELETE_REASONS.has(r.code))
      return approval?.allowDeletes === undefined || deletes > approval.allowDeletes;
    return true;
  });
  if (left.length === 0) {
    return {
      ok: true,
      approvedBy: approval?.acceptUnknownBaseline ? 'accept-unknown-baseline' : 'allow-deletes',
      overridden: reasons,
    };
  }
  return { ok: false, kind: 'needs-approval', reasons: left };
}
