/**
 * The pure middle of a run: snapshots in, plan out.
 * normalise → validate → merge (dedupe) → carry forward → plan. The guard is separate so that a
 * caller can show the plan even when it will be blocked.
 */
import type { IdentityRecord, Notice, PushedRecord, Rejection } from '../core/types.js';
import type { SourceSnapshot } from '../sources/types.js';
import { carryForward, type DesiredRecord } from './carry.js';
import type { SourceCount } from './guard.js';
import { mergeRecords } from './merge.js';
import { normalizeToIdentity } from './normalize.js';
import { computePlan, type Plan } from './plan.js';
import { NO_PROBLEMS, validateRecord } from './validate.js';

export interface BuildInput {
  /** In precedence order: the first source wins a conflict. */
  readonly snapshots: readonly SourceSnapshot[];
  readonly previous: readonly PushedRecord[] | null;
  /** Binds the plan id to the baseline it was computed on. */
  readonly baselineId?: string | undefined;
  /** People uploads with an unknown outcome may have put into MIM (pending.json). */
  readonly pending?: readonly PushedRecord[] | undefined;
  readonly now: Date;
  readonly carryForwardDays?: number;
}

export interface BuildResult {
  readonly plan: Plan;
  readonly desired: readonly DesiredRecord[];
  readonly rejections: readonly Rejection[];
  readonly notices: readonly Notice[];
  readonly carried: readonly DesiredRecord[];
  readonly counts: readonly SourceCount[];
}

function collect(
  snapshot: SourceSnapshot,
  valid: IdentityRecord[],
  rejections: Rejection[],
  notices: Notice[],
): SourceCount {
  let ok = 0;
  for (const record of snapshot.records) {
    const person = normalizeToIdentity(record);
    const problems = validateRecord(record.place, person);
    if (problems === NO_PROBLEMS) {
      valid.push(person);
      ok++;
    } else for (const p of problems) rejections.push(p);
    if (record.notes) for (const message of record.notes) notices.push({ place: record.place, message });
  }
  for (const u of snapshot.unreadable ?? []) {
    rejections.push({
      place: { source: snapshot.source, kind: snapshot.kind, ref: u.ref },
      code: 'unreadable-row',
      reason: u.reason,
      fix: u.fix,
    });
  }
  for (const n of snapshot.notices) notices.push(n);
  return {
    source: snapshot.source,
    total: snapshot.records.length + (snapshot.unreadable?.length ?? 0),
    valid: ok,
  };
}

export function buildPlan(input: BuildInput): BuildResult {
  const valid: IdentityRecord[] = [];
  const rejections: Rejection[] = [];
  const notices: Notice[] = [];
  const counts = input.snapshots.map((s) => collect(s, valid, rejections, notices));
  const merged = mergeRecords(valid, input.previous);
  rejections.push(...merged.rejections);
  notices.push(...merged.notices);
  const { carried, expired } = carryForward(
    merged.records,
    rejections,
    input.previous,
    input.now,
    input.carryForwardDays ?? 14,
  );
  for (const c of carried) {
    notices.push({
      place: c.place,
      message: `invalid now, so ${c.email} keeps the data pushed last (carried since ${c.carriedSince})`,
    });
  }
  for (const e of expired) {
    notices.push({
      place: e.rejection.place,
      message: `${e.record.email} was carried forward for too long (guard.carryForwardDays) and is now treated as removed`,
    });
  }
  const desired: DesiredRecord[] = [...merged.records, ...carried];
  const plan = computePlan(desired, input.previous, {
    baselineId: input.baselineId,
    pending: input.pending,
  });
  return { plan, desired: plan.desired, rejections, notices, carried, counts };
}

/** The rejections of one source, one per line, for a rejects report beside its input. */
export function rejectionsReport(rejections: readonly Rejection[], source: string): string {
  return rejections
    .filter((r) => r.place.source === source)
    .map((r) => `${r.place.ref}: ${r.reason} (${r.fix})`)
    .join('\n');
}

export type { DesiredRecord } from './carry.js';
export type { Approval, GuardReason, GuardVerdict, SourceCount } from './guard.js';
export { evaluateGuard } from './guard.js';
export type { FieldChange, Plan, PlannedUpdate } from './plan.js';
export { hasChanges, idChanges, likelyEmailChanges, nameSwaps, toPushed } from './plan.js';
