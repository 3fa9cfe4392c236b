/**
 * What notifications need to know of a finished run, projected from its report plus the job's
 * failure streak. Pure: the caller hands the report and the streak; nothing here reads a clock.
 */
import type { RunReport } from '../run/report.js';
import type { HistoryEntry, RunOutcome } from '../state/store.js';
import { maskEmail, maskEmailValue } from '../telemetry/mask.js';
import { type PersonLine, type PlanCountsLine, TOP_DELETES } from './types.js';

/** The job's failures in a row, as the runner (or the history) knows them. */
export interface RunStreak {
  /** Failed runs in a row, this run included when it failed. */
  readonly consecutiveFailures: number;
  /** When the first run of the current failure streak started; null when the last run did not fail. */
  readonly failingSince: string | null;
  /** End of the last successful run (applied or unchanged), or null if none is known. */
  readonly lastSuccessAt: string | null;
}

export const NO_STREAK: RunStreak = { consecutiveFailures: 0, failingSince: null, lastSuccessAt: null };

export interface ErrorFacts {
  readonly code: string;
  readonly message: string;
  readonly place?: string | undefined;
  readonly fix: string;
}

export interface RunFacts extends RunStreak {
  readonly job: string;
  readonly project: string;
  readonly runId: string;
  readonly outcome: RunOutcome;
  readonly endedAt: string;
  /** Set when the guard blocked the run. */
  readonly guard: { readonly kind: 'approval' | 'hard-stop'; readonly reasons: readonly string[] } | null;
  /** Absent when the run ended before it planned. */
  readonly plan: { readonly id: string; readonly counts: PlanCountsLine } | null;
  readonly baselineId: string | null;
  /** The first TOP_DELETES deletes of the plan. */
  readonly topDeletes: readonly PersonLine[];
  /** The upload got no definite answer (MIM may hold it). */
  readonly outcomeUnknown: boolean;
  readonly error: ErrorFacts | null;
}

export interface FactsOptions {
  /** The MIM project the job pushes to (from its config: a failed run may not know its target). */
  readonly project: string;
  /** `log.maskEmails`: e-mails in people, reasons and error texts are masked. */
  readonly maskEmails: boolean;
}

function isSuccess(outcome: RunOutcome): boolean {
  return outcome === 'applied' || outcome === 'unchanged';
}

/** The streak after one more run (`startedAt`/`endedAt` of that run). */
export function nextStreak(
  prev: RunStreak,
  run: { readonly outcome: RunOutcome; readonly startedAt: string; readonly endedAt: string },
): RunStreak {
  if (run.outcome === 'failed')
    return {
      consecutiveFailures: prev.consecutiveFailures + 1,
      failingSince: prev.consecutiveFailures > 0 && prev.failingSince ? prev.failingSince : run.startedAt,
      lastSuccessAt: prev.lastSuccessAt,
    };
  // A dry run says nothing about the job's health; a blocked run ends the streak as the runner counts it.
  if (run.outcome === 'planned') return prev;
  return {
    consecutiveFailures: 0,
    failingSince: null,
    lastSuccessAt: isSuccess(run.outcome) ? run.endedAt : prev.lastSuccessAt,
  };
}

/** The streak as the history (oldest first) left it: seeds a daemon that starts. */
export function streakOfHistory(history: readonly HistoryEntry[]): RunStreak {
  return history.reduce(nextStreak, NO_STREAK);
}

function personLine(p: { firstName: string; lastName: string; email: string; id: string }, mask: boolean) {
  return {
    name: `${p.firstName} ${p.lastName}`.trim(),
    email: mask ? maskEmailValue(p.email) : p.email,
    id: p.id,
  };
}

/** The facts of a finished run (`streak` already counts this run: see `nextStreak`). */
export function runFacts(report: RunReport, streak: RunStreak, opts: FactsOptions): RunFacts {
  const text = (s: string) => (opts.maskEmails ? maskEmail(s) : s);
  const plan = report.build?.plan;
  const guard = report.guard && !report.guard.ok ? report.guard : null;
  const err = report.error;
  return {
    job: report.job,
    project: opts.project,
    runId: report.runId,
    outcome: report.outcome,
    endedAt: report.endedAt,
    guard: guard
      ? {
          kind: guard.kind === 'hard-stop' ? 'hard-stop' : 'approval',
          reasons: guard.reasons.map((r) => text(r.message)),
        }
      : null,
    plan: plan
      ? {
          id: plan.id,
          counts: {
            adds: plan.adds.length,
            updates: plan.updates.length,
            deletes: plan.deletes.length,
            unchanged: plan.unchanged,
          },
        }
      : null,
    baselineId: report.baseline?.id ?? null,
    topDeletes: (plan?.deletes ?? []).slice(0, TOP_DELETES).map((p) => personLine(p, opts.maskEmails)),
    outcomeUnknown: report.outcomeUnknown === true,
    error: err
      ? {
          code: err.code,
          message: text(err.message),
          ...(err.place ? { place: text(err.place) } : {}),
          fix: text(err.fix),
        }
      : null,
    consecutiveFailures: streak.consecutiveFailures,
    failingSince: streak.failingSince,
    lastSuccessAt: streak.lastSuccessAt,
  };
}
