/**
 * A job as the daemon holds it: its state directory, its runner, and the schedule and drop-folder
 * watch it has while this daemon is the active one. Also what the daemon reads back from the state
 * a previous process (or the CLI) left, and the facts /status shows of a job.
 */
import type { JobConfig } from '../config/schema.js';
import { targetOf } from '../state/baseline.js';
import type { HistoryEntry, JobState } from '../state/store.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { JobRunner } from './job-runner.js';
import type { JobSchedule } from './scheduler.js';
import { type JobFacts, STATUS_RUNS } from './status-view.js';
import type { DropWatch } from './triggers.js';

export interface JobUnit {
  /** The job as configured now; a reload replaces it (a run in progress keeps the one it started with). */
  job: JobConfig;
  readonly state: JobState;
  readonly runner: JobRunner;
  schedule: JobSchedule | null;
  watch: DropWatch | null;
  lastSuccessAt: string | undefined;
}

export function isSuccess(outcome: string): boolean {
  return outcome === 'applied' || outcome === 'unchanged';
}

function trailingFailures(history: readonly HistoryEntry[]): number {
  let n = 0;
  for (let i = history.length - 1; i >= 0 && history[i]?.outcome === 'failed'; i--) n++;
  return n;
}

/** Per source, the end of the last recorded run that read it (history lists sources of planned runs). */
function sourceSuccesses(history: readonly HistoryEntry[]): Record<string, string> {
  const at: Record<string, string> = {};
  for (const h of history) for (const s of h.sources ?? []) at[s.source] = h.endedAt;
  return at;
}

/** Seeds gauges and the failure streak from what the previous process (or the CLI) recorded. */
export async function restoreUnit(unit: JobUnit, metrics: Metrics, log: Logger): Promise<void> {
  try {
    const history = await unit.state.readHistory(50);
    const failures = trailingFailures(history);
    unit.runner.restoreFailures(failures);
    unit.lastSuccessAt = history.findLast((h) => isSuccess(h.outcome))?.endedAt;
    const baseline = await unit.state.viewBaseline(targetOf(unit.job));
    const waiting = await unit.state.readBlocked().catch(() => null);
    const planned = history.findLast((h) => h.plan);
    metrics.restore(unit.job.name, {
      users: baseline.known ? baseline.users : undefined,
      lastSuccessAt: unit.lastSuccessAt,
      blocked: waiting !== null || history.at(-1)?.outcome === 'blocked',
      consecutiveFailures: failures,
      lastPlan: planned?.plan ? { plan: planned.plan, rejected: planned.rejected } : undefined,
      sourceSuccessAt: sourceSuccesses(history),
    });
  } catch (e) {
    log.warn(
      { job: unit.job.name, err: e instanceof Error ? e.message : String(e) },
      'Could not read the job state at start-up; the first run will report on it',
    );
  }
}

export function nextRunOf(u: JobUnit): string | null {
  return u.schedule?.nextRun()?.toISOString() ?? null;
}

export function watchingOf(u: JobUnit): string[] {
  return u.watch?.folders.map((f) => f.folder) ?? [];
}

/** Reads what /status shows of a job; an unreadable history or blocked plan shows as none. */
export async function jobFacts(u: JobUnit): Promise<JobFacts> {
  const target = targetOf(u.job);
  const [history, blocked, baseline] = await Promise.all([
    u.state.readHistory(STATUS_RUNS).catch(() => [] as HistoryEntry[]),
    u.state.readBlocked().catch(() => null),
    u.state.viewBaseline(target),
  ]);
  return {
    job: u.job.name,
    project: u.job.mim.project,
    target,
    runner: u.runner,
    schedule: u.schedule ? { cron: u.schedule.cron, jitterSeconds: u.job.schedule.jitterSeconds } : null,
    nextRun: nextRunOf(u),
    watching: watchingOf(u),
    lastSuccessAt: u.lastSuccessAt,
    history,
    blocked,
    baseline,
  };
}
