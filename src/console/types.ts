/**
 * What the console shows and may do, handed in by the daemon (admin-handlers.ts): plain data, so
 * the pages render without a daemon and the console imports nothing of it.
 */
import type { ApproveResult } from '../run/approve-plan.js';
import type { PlanPage, PlanSection } from '../state/plan-log.js';

export type JobStateName = 'idle' | 'running' | 'blocked' | 'failing';

export interface ConsoleRun {
  readonly runId: string;
  readonly trigger: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly outcome: string;
  readonly plan?: { readonly adds: number; readonly updates: number; readonly deletes: number } | undefined;
  readonly rejected?: number | undefined;
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /** A plan log exists for this run (plans/<runId>.ndjson). */
  readonly planStored: boolean;
}

export interface ConsoleSource {
  readonly source: string;
  readonly description: string;
  readonly input?: string | undefined;
  readonly total: number;
  readonly valid: number;
  /** When the run that read it ended. */
  readonly at: string;
  /** The last failed run's error when it names this source. */
  readonly lastError?: { readonly message: string; readonly at: string } | undefined;
}

export interface ConsoleError {
  readonly at: string;
  readonly runId: string;
  readonly code: string;
  readonly message: string;
  readonly place?: string | undefined;
  readonly fix: string;
}

export interface ConsoleBlocked {
  readonly planId: string;
  readonly runId: string;
  readonly blockedAt: string;
  readonly seenAt?: string | undefined;
  readonly reasons: readonly string[];
  readonly adds: number;
  readonly updates: number;
  readonly deletes: number;
  readonly approval?: { readonly by: string; readonly at: string; readonly expiresAt: string } | undefined;
  readonly planStored: boolean;
}

export type ConsoleBaseline =
  | { readonly known: true; readonly seq: number; readonly users: number; readonly pushedAt: string }
  | { readonly known: false; readonly detail: string };

export interface ConsoleJob {
  readonly name: string;
  readonly project: string;
  readonly state: JobStateName;
  readonly nextRun: string | null;
  readonly running: { readonly runId: string; readonly trigger: string; readonly startedAt: string } | null;
  readonly queued: string | null;
  readonly consecutiveFailures: number;
  readonly baseline: ConsoleBaseline;
  readonly blocked: ConsoleBlocked | null;
  /** Newest first. */
  readonly runs: readonly ConsoleRun[];
  readonly sources: readonly ConsoleSource[];
  /** Newest first. */
  readonly errors: readonly ConsoleError[];
}

/** As POST /jobs/<job>/run answers (job-runner.ts's TriggerResult), plus an unknown job. */
export type RunNowResult = 'started' | 'queued' | 'already-queued' | 'stopping' | 'standby' | 'unknown-job';

export interface ConsoleData {
  jobNames(): readonly string[];
  jobs(): Promise<ConsoleJob[]>;
  job(name: string): Promise<ConsoleJob | null>;
  /** A page of a stored plan; the run id is checked by the router and again by the reader. */
  plan(job: string, runId: string, section: PlanSection, page: number, size: number): Promise<PlanPage>;
  approve(job: string, planId: string, by: string): Promise<ApproveResult | 'unknown-job'>;
  runNow(job: string): RunNowResult;
}
