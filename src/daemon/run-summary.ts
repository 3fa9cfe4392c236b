/**
 * A run as /status and /readyz show it: counts and outcome, never the people. The daemon keeps
 * only these for its recent runs — a report holds the whole desired set and plan, which for a
 * large directory would pin megabytes per run in memory.
 */
import { planCounts, type RunReport } from '../run/report.js';
import type { HistoryEntry } from '../state/store.js';

export interface RunSummary {
  readonly runId: string;
  readonly trigger: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly outcome: string;
  readonly plan?: HistoryEntry['plan'];
  readonly rejected?: number | undefined;
  readonly httpStatus?: number | undefined;
  readonly guard?: HistoryEntry['guard'];
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

export function fromHistory(h: HistoryEntry): RunSummary {
  const { runId, trigger, startedAt, endedAt, durationMs, outcome, plan, rejected, httpStatus, guard } = h;
  return {
    runId,
    trigger,
    startedAt,
    endedAt,
    durationMs,
    outcome,
    plan,
    rejected,
    httpStatus,
    guard,
    error: h.error ? { code: h.error.code, message: h.error.message } : undefined,
  };
}

export function fromReport(r: RunReport): RunSummary {
  return {
    runId: r.runId,
    trigger: r.trigger,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    durationMs: r.durationMs,
    outcome: r.outcome,
    ...planCounts(r),
    httpStatus: r.push?.status,
    guard:
      r.guard && !r.guard.ok
        ? { kind: r.guard.kind, reasons: r.guard.reasons.map((x) => x.message) }
        : undefined,
    error: r.error ? { code: r.error.code, message: r.error.message } : undefined,
  };
}
