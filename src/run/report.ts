/**
 * What a run reports, and its projections: the history line, the metrics' counts, the plan as
 * counts. The CLI, the daemon's /status and the tests read `RunReport`; keep its shape.
 */
import type { SyncError } from '../core/errors.js';
import type { SourceSnapshot } from '../core/source.js';
import type { PlanCounts } from '../core/types.js';
import type { BuildResult, GuardVerdict } from '../pipeline/index.js';
import type { Target } from '../state/baseline.js';
import type { HistoryEntry, RunOutcome } from '../state/store.js';
import type { RunCounts, SourceRead } from '../telemetry/metrics.js';
import type { Basis, RunMode } from './context.js';

export interface SourceSummary {
  readonly source: string;
  readonly kind: string;
  readonly description: string;
  /** The input read (csv-folder: the file name as archived), where the source has one. */
  readonly input?: string | undefined;
  readonly total: number;
  readonly valid: number;
}

export interface RunReport {
  readonly runId: string;
  readonly job: string;
  readonly mode: RunMode;
  readonly trigger: string;
  readonly outcome: RunOutcome;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly sources: readonly SourceSummary[];
  /**
   * How each source's read went (every source of the job), also when one failed and the run
   * stopped; absent when the run ended before reading or was cancelled while reading.
   */
  readonly sourceReads?: readonly SourceRead[] | undefined;
  readonly build?: BuildResult | undefined;
  readonly guard?: GuardVerdict | undefined;
  /** True when a push would happen (plan mode) or happened (sync mode). */
  readonly pushNeeded: boolean;
  readonly skipReason?: 'identical-payload' | undefined;
  readonly push?: { readonly status: number; readonly attempts: number; readonly bytes: number } | undefined;
  readonly payloadSha256?: string | undefined;
  readonly firstPush: boolean;
  readonly pendingFromCrash: boolean;
  /** What the plan was measured against; absent when the run failed before reading the state. */
  readonly baseline?: BaselineSummary | undefined;
  /** A stored approval or blocked plan this run found no longer valid and removed (or, in a dry run, would). */
  readonly approvalVoided?: string | undefined;
  /** The upload got no definite answer: MIM may or may not hold it (pending.json is kept). */
  readonly outcomeUnknown?: boolean | undefined;
  readonly approvedBy?: string | undefined;
  /** Things the admin should know before this upload (e.g. e-mail changes that re-invite). */
  readonly warnings: readonly string[];
  readonly error?: SyncError | undefined;
}

/** What the plan was measured against: a known baseline (which upload), or an unknown one (why). */
export type BaselineSummary = { readonly target: Target; readonly id: string } & (
  | { readonly known: true; readonly seq: number; readonly users: number; readonly pushedAt: string }
  | { readonly known: false; readonly detail: string }
);

/** The report's fields a run knows from its start. */
export type ReportStart = Pick<RunReport, 'runId' | 'job' | 'mode' | 'trigger' | 'startedAt'>;
/** The rest, which the run's steps fill in (`endedAt` and `durationMs` are added when it ends). */
export type ReportBody = Omit<RunReport, keyof ReportStart | 'endedAt' | 'durationMs'>;

export function summarizeBaseline(basis: Basis): BaselineSummary {
  const b = basis.baseline;
  return b.known
    ? {
        target: basis.target,
        known: true,
        id: b.id,
        seq: b.snapshot.seq,
        users: b.snapshot.records.length,
        pushedAt: b.snapshot.pushedAt,
      }
    : { target: basis.target, known: false, id: b.id, detail: b.detail };
}

export function summarizeSources(snapshots: readonly SourceSnapshot[], build: BuildResult): SourceSummary[] {
  return snapshots.map((s, i) => ({
    source: s.source,
    kind: s.kind,
    description: s.description,
    ...(s.input ? { input: s.input.name } : {}),
    total: build.counts[i]!.total,
    valid: build.counts[i]!.valid,
  }));
}

/** What a run had established when a later step failed: kept in its failed report and history. */
export type KnownSoFar = {
  -readonly [K in
    | 'sources'
    | 'sourceReads'
    | 'build'
    | 'guard'
    | 'baseline'
    | 'firstPush'
    | 'pendingFromCrash'
    | 'warnings'
    | 'payloadSha256']?: ReportBody[K];
};

/**
 * The body of a failed run: the error, plus whatever it knew by then (its sources, plan and the
 * hash of the payload it tried to send), so the history says what a failed upload held.
 */
export function failedBody(error: SyncError, known: KnownSoFar, outcomeUnknown: boolean): ReportBody {
  return {
    sources: [],
    firstPush: false,
    pendingFromCrash: false,
    warnings: [],
    ...known,
    outcome: 'failed',
    pushNeeded: false,
    error,
    ...(outcomeUnknown ? { outcomeUnknown: true } : {}),
  };
}

/** A run's plan as counts, and its rejected records (distinct places), for history, /status and metrics. */
export function planCounts(r: RunReport): { plan: PlanCounts; rejected: number } | Record<string, never> {
  const b = r.build;
  if (!b) return {};
  const { plan } = b;
  return {
    plan: {
      id: plan.id,
      adds: plan.adds.length,
      updates: plan.updates.length,
      deletes: plan.deletes.length,
      unchanged: plan.unchanged,
      carried: b.carried.length,
    },
    // Distinct rows among the listed rejections, plus those only counted (past the listing cap).
    rejected:
      new Set(b.rejections.map((x) => `${x.place.source}\0${x.place.ref}`)).size +
      (b.rejectedTotal - b.rejections.length),
  };
}

/** Distinct rejected rows of a run (a row rejected for two reasons counts once). */
export function rejectedCount(r: RunReport): number | undefined {
  const counts = planCounts(r);
  return 'rejected' in counts ? counts.rejected : undefined;
}

/** What the metrics count of a run. */
export function runCounts(r: RunReport): RunCounts {
  return {
    job: r.job,
    outcome: r.outcome,
    durationMs: r.durationMs,
    endedAt: r.endedAt,
    ...planCounts(r),
    users: r.build?.desired.length,
    sources: r.sourceReads,
  };
}

/** The run's line in history.jsonl. */
export function historyEntry(r: RunReport): HistoryEntry {
  return {
    runId: r.runId,
    job: r.job,
    trigger: r.trigger,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    durationMs: r.durationMs,
    outcome: r.outcome,
    sources: r.sources.map(({ source, description, input, total, valid }) => ({
      source,
      description,
      ...(input ? { input } : {}),
      total,
      valid,
    })),
    ...planCounts(r),
    ...(r.payloadSha256 ? { payloadSha256: r.payloadSha256 } : {}),
    ...(r.push ? { httpStatus: r.push.status } : {}),
    ...(r.guard && !r.guard.ok
      ? { guard: { kind: r.guard.kind, reasons: r.guard.reasons.map((x) => x.message) } }
      : {}),
    ...(r.approvedBy ? { approval: { by: r.approvedBy, planId: r.build?.plan.id } } : {}),
    ...(r.error
      ? { error: { code: r.error.code, message: r.error.message, place: r.error.place, fix: r.error.fix } }
      : {}),
  };
}
