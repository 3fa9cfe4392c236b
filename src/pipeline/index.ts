/**
 * The pure middle of a run: snapshots in, plan out.
 * normalise → validate → merge (dedupe) → carry forward → plan. The guard is separate so that a
 * caller can show the plan even when it will be blocked.
 */

import { formatCount } from '../core/plural.js';
import type { SourceSnapshot } from '../core/source.js';
import type { IdentityRecord, Notice, PushedRecord, Rejection } from '../core/types.js';
import { carryForward, type DesiredRecord } from './carry.js';
import {
  type CollectedRecords,
  collectAll,
  DEFAULT_MAX_LISTED_REJECTIONS,
  type RejectedKey,
} from './collect.js';
import type { SourceCount } from './guard.js';
import { mergeRecords } from './merge.js';
import { inFileOrder } from './order.js';
import type { PreviousRecords } from './packed-records.js';
import { computePlan, type Plan } from './plan.js';

export interface BuildInput {
  /** In precedence order: the first source wins a conflict. */
  readonly snapshots: readonly SourceSnapshot[];
  /** The baseline's records (packed when read from the state), in Sync ID order. */
  readonly previous: PreviousRecords | null;
  /** Binds the plan id to the baseline it was computed on. */
  readonly baselineId?: string | undefined;
  /** People uploads with an unknown outcome may have put into MIM (pending.json). */
  readonly pending?: readonly PushedRecord[] | undefined;
  readonly now: Date;
  readonly carryForwardDays?: number;
  /** The previous run's start (history.jsonl): a carried person goes only when it, too, is past the deadline. */
  readonly previousRunAt?: Date | undefined;
  /** Rejections listed in full per source (and for duplicates); the rest are only counted. */
  readonly maxListedRejections?: number;
}

/** Rejections of one source: how many there were, how many are listed in `rejections`. */
export interface RejectionCount {
  readonly source: string;
  readonly total: number;
  readonly listed: number;
}

export interface BuildResult {
  readonly plan: Plan;
  readonly desired: readonly DesiredRecord[];
  /** The rejections listed in full: at most the cap per source (see `rejectedTotal`). */
  readonly rejections: readonly Rejection[];
  /** Every rejection, listed or not. */
  readonly rejectedTotal: number;
  readonly rejectionCounts: readonly RejectionCount[];
  readonly notices: readonly Notice[];
  readonly carried: readonly DesiredRecord[];
  readonly counts: readonly SourceCount[];
}

function collected(snapshot: SourceSnapshot, cap: number): CollectedRecords {
  return (
    snapshot.collected ??
    collectAll(
      snapshot.source,
      snapshot.kind,
      snapshot.records,
      snapshot.unreadable,
      cap,
      snapshot.fieldOrigins,
    )
  );
}

/** Every rejected record's keys (sources in order, then duplicates), for carry-forward. */
function* allRejectedKeys(
  sources: readonly CollectedRecords[],
  duplicates: readonly Rejection[],
): Generator<RejectedKey> {
  for (const c of sources) yield* c.rejectedKeys();
  yield* duplicates;
}

/** The valid records of all sources in precedence order; one source (the common case) hands on its own array. */
function allValid(sources: readonly CollectedRecords[]): readonly IdentityRecord[] {
  if (sources.length === 1) return sources[0]!.valid;
  const valid: IdentityRecord[] = [];
  // A loop, not push(...): a spread of a million records overflows the stack.
  for (const c of sources) for (const r of c.valid) valid.push(r);
  return valid;
}

export function buildPlan(input: BuildInput): BuildResult {
  const cap = input.maxListedRejections ?? DEFAULT_MAX_LISTED_REJECTIONS;
  const sources = input.snapshots.map((s) => collected(s, cap));
  const valid = allValid(sources);
  const rejections: Rejection[] = [];
  const notices: Notice[] = [];
  const totals = new Map<string, { total: number; listed: number }>();
  sources.forEach((c, i) => {
    for (const r of c.listed) rejections.push(r);
    for (const n of c.notices) notices.push(n);
    for (const n of input.snapshots[i]!.notices) notices.push(n);
    totals.set(c.source, { total: c.rejections, listed: c.listed.length });
  });
  const counts: SourceCount[] = sources.map((c, i) => ({
    source: c.source,
    total: c.total,
    valid: c.valid.length,
    whyEmpty: input.snapshots[i]?.whyEmpty,
  }));
  const merged = mergeRecords(valid, input.previous);
  for (const r of merged.rejections) {
    const t = totals.get(r.place.source) ?? { total: 0, listed: 0 };
    totals.set(r.place.source, t);
    t.total++;
    if (t.listed < cap) {
      t.listed++;
      rejections.push(r);
    }
  }
  notices.push(...merged.notices);
  const { carried, expired, held } = carryForward(
    merged.records,
    allRejectedKeys(sources, merged.rejections),
    input.previous,
    input.now,
    input.carryForwardDays ?? 14,
    input.previousRunAt,
  );
  for (const c of carried) {
    notices.push({
      place: c.place,
      message: `invalid now, so ${c.email} keeps the data pushed last (carried since ${c.carriedSince})`,
    });
  }
  for (const h of held) {
    const not = input.previousRunAt
      ? `not by the previous run's start (${input.previousRunAt.toISOString()})`
      : 'no previous run is recorded to confirm it';
    notices.push({
      place: h.place,
      message: `${h.email} is due to be let go (guard.carryForwardDays) by this run's clock, but ${not}: carried one more run, so no single clock reading removes anyone`,
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
  const rejectionCounts = [...totals].map(([source, t]) => ({ source, ...t }));
  const rejectedTotal = rejectionCounts.reduce((n, c) => n + c.total, 0);
  return {
    plan,
    desired: plan.desired,
    rejections: inFileOrder(
      rejections,
      sources.map((c) => c.source),
    ),
    rejectedTotal,
    rejectionCounts,
    notices,
    carried,
    counts,
  };
}

/**
 * The listed rejections of one source, one per line, for a rejects report beside its input; with
 * the counts, a last line says how many more there were.
 */
export function rejectionsReport(
  rejections: readonly Rejection[],
  source: string,
  counts?: readonly RejectionCount[],
): string {
  const lines = rejections
    .filter((r) => r.place.source === source)
    .map((r) => `${r.place.ref}: ${r.reason} (${r.fix})`);
  const count = counts?.find((c) => c.source === source);
  if (count && count.total > lines.length) {
    lines.push(`… and ${formatCount(count.total - lines.length)} more rejection(s) not listed`);
  }
  return lines.join('\n');
}

export type { DesiredRecord } from './carry.js';
export type { CollectedRecords, RejectedKey } from './collect.js';
export { collectAll, DEFAULT_MAX_LISTED_REJECTIONS, RecordCollector } from './collect.js';
export type { Approval, GuardReason, GuardVerdict, SourceCount } from './guard.js';
export { evaluateGuard } from './guard.js';
export type { FieldChange, Plan, PlannedUpdate } from './plan.js';
export { hasChanges, idChanges, likelyEmailChanges, nameSwaps, toPushed } from './plan.js';
