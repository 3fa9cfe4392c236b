/**
 * What the admin listener shows: the body of /status (per job: state, next run, baseline, last
 * runs) and of /readyz (the checks), e-mails masked when `log.maskEmails` is on. Pure: the daemon
 * gathers the facts (state files, runner, schedule, leader) and these functions shape them, so the
 * answers can be tested without a daemon.
 */
import type { BaselineFacts, Target } from '../state/baseline.js';
import type { BlockedPlan, HistoryEntry } from '../state/store.js';
import { maskEmail, maskEmailsDeep } from '../telemetry/mask.js';
import type { Readiness } from './http.js';
import type { RunningRun, TriggerKind } from './job-runner.js';
import type { LeaderStatus } from './leader.js';
import { describeReload, type ReloadRecord } from './reload.js';
import { fromHistory, type RunSummary } from './run-summary.js';

/** /readyz turns 503 when a job failed more than this many runs in a row. */
export const MAX_CONSECUTIVE_FAILURES = 3;
/** How many runs /status lists per job. */
export const STATUS_RUNS = 10;

/** How `status` and /status both show a known baseline; each places its own fields around it. */
export function snapshotFacts(b: BaselineFacts & { known: true }): {
  readonly seq: number;
  readonly users: number;
  readonly pushedAt: string;
} {
  return { seq: b.seq, users: b.users, pushedAt: b.pushedAt };
}

/** What a job's runner knows right now (a JobRunner is one). */
export interface RunnerFacts {
  readonly running: RunningRun | null;
  readonly queued: TriggerKind | null;
  readonly consecutiveFailures: number;
  /** This process's runs, newest last. */
  readonly recent: readonly RunSummary[];
}

/** Everything /status says about one job, gathered by the daemon. */
export interface JobFacts {
  readonly job: string;
  readonly project: string;
  readonly target: Target;
  readonly runner: RunnerFacts;
  /** The schedule while this daemon is active with a cron; null otherwise. */
  readonly schedule: { readonly cron: string; readonly jitterSeconds: number } | null;
  readonly nextRun: string | null;
  readonly watching: readonly string[];
  readonly lastSuccessAt: string | undefined;
  /** The last runs from the history file (oldest first), written by this daemon or the CLI. */
  readonly history: readonly HistoryEntry[];
  readonly blocked: BlockedPlan | null;
  readonly baseline: BaselineFacts;
}

/** The history's runs and this process's runs (which may not be written yet), newest first. */
export function recentRuns(
  history: readonly HistoryEntry[],
  recent: readonly RunSummary[],
  limit: number,
): RunSummary[] {
  const byId = new Map<string, RunSummary>();
  for (const h of history) byId.set(h.runId, fromHistory(h));
  for (const r of recent) if (!byId.has(r.runId)) byId.set(r.runId, r);
  return [...byId.values()]
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
    .slice(0, limit);
}

export function jobStatusView(f: JobFacts) {
  const running = f.runner.running;
  const b = f.baseline;
  return {
    job: f.job,
    project: f.project,
    running: running
      ? { runId: running.runId, trigger: running.trigger, startedAt: running.startedAt.toISOString() }
      : null,
    queued: f.runner.queued,
    nextRun: f.nextRun,
    schedule: f.schedule,
    watching: f.watching,
    consecutiveFailures: f.runner.consecutiveFailures,
    lastSuccessAt: f.lastSuccessAt ?? null,
    baseline: b.known
      ? { known: true, target: f.target, ...snapshotFacts(b) }
      : { known: false, target: f.target, reason: b.reason, detail: b.detail },
    pendingApproval: f.blocked,
    runs: recentRuns(f.history, f.runner.recent, STATUS_RUNS),
  };
}

export type JobStatusView = ReturnType<typeof jobStatusView>;

export interface DaemonFacts {
  readonly version: string;
  readonly pid: number;
  readonly startedAt: Date;
  readonly stopping: boolean;
  readonly leader: LeaderStatus;
  /** This process's last config reload (SIGHUP, POST /reload), or null. */
  readonly reload: ReloadRecord | null;
  readonly jobs: readonly JobStatusView[];
  readonly maskEmails: boolean;
}

/** The body of /status. */
export function daemonStatusView(f: DaemonFacts) {
  const body = {
    version: f.version,
    pid: f.pid,
    startedAt: f.startedAt.toISOString(),
    stopping: f.stopping,
    role: f.leader.role,
    leader: f.leader,
    config: { reload: f.reload ? { ...f.reload, summary: describeReload(f.reload) } : null },
    jobs: f.jobs,
  };
  return f.maskEmails ? maskEmailsDeep(body) : body;
}

export interface ReadinessFacts {
  readonly stateDir: string;
  /** Why the state directory is not writable (an errno code), or null when it is. */
  readonly stateDirProblem: string | null;
  readonly jobs: readonly {
    readonly job: string;
    readonly consecutiveFailures: number;
    readonly lastError: { readonly code: string; readonly message: string } | undefined;
  }[];
  readonly stopping: boolean;
  readonly leader: LeaderStatus;
  readonly maskEmails: boolean;
}

type Check = Readiness['checks'][number];

function jobCheck(j: ReadinessFacts['jobs'][number]): Check {
  const name = `job:${j.job}`;
  const n = j.consecutiveFailures;
  if (n <= MAX_CONSECUTIVE_FAILURES) return { name, ok: true };
  const last = j.lastError;
  return {
    name,
    ok: false,
    detail: `failed ${n} runs in a row${last ? ` (last: ${last.code}: ${last.message})` : ''}`,
  };
}

function roleCheck(leader: LeaderStatus): Check {
  const active = leader.active;
  return {
    // A standby is ready: waiting is its job (and a Deployment's rollout needs it ready).
    name: 'role',
    ok: true,
    detail:
      leader.role === 'active'
        ? 'active: this daemon runs the jobs'
        : `standby: ${active ? `process ${active.pid} on host "${active.host}"` : 'another daemon'} is active`,
  };
}

/** The body of /readyz: ready when every check is ok. */
export function readinessView(f: ReadinessFacts): Readiness {
  const checks: Check[] = [
    { name: 'config', ok: true },
    f.stateDirProblem
      ? { name: 'stateDir', ok: false, detail: `${f.stateDir} is not writable (${f.stateDirProblem})` }
      : { name: 'stateDir', ok: true },
    ...f.jobs.map(jobCheck),
  ];
  if (f.stopping) checks.push({ name: 'daemon', ok: false, detail: 'shutting down' });
  checks.push(roleCheck(f.leader));
  const masked = f.maskEmails
    ? checks.map((c) => (c.detail ? { ...c, detail: maskEmail(c.detail) } : c))
    : checks;
  return { ready: masked.every((c) => c.ok), role: f.leader.role, checks: masked };
}
