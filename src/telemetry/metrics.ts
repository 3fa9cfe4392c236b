/**
 * Prometheus metrics of the daemon: one registry, one function per event. Labels are bounded
 * (job names from the config, fixed outcome/change sets, HTTP status codes) and never carry an
 * e-mail, a token or anything read from a source. The sync job's name is the `sync_job` label:
 * `job` (and `instance`) belong to Prometheus, which sets them on every scraped series.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PlanCounts } from '../core/types.js';
import type { RunOutcome } from '../state/store.js';
import { EVENT_LOOP_LAG_NAMES, INERT_RESOLUTION_MS, registerEventLoopLag } from './event-loop.js';

const OUTCOMES: readonly RunOutcome[] = ['applied', 'unchanged', 'blocked', 'failed'];
const CHANGES = ['add', 'update', 'delete'] as const;
/** The last planned run's counts: its changes and its rejected rows. */
const RUN_CHANGES = [...CHANGES, 'reject'] as const;

export type NotificationOutcome = 'sent' | 'failed' | 'retried' | 'suppressed';
const NOTIFICATION_OUTCOMES: readonly NotificationOutcome[] = ['sent', 'failed', 'retried', 'suppressed'];

/** What the metrics count of a finished run (the caller projects its report to this). */
export interface RunCounts {
  readonly job: string;
  readonly outcome: RunOutcome;
  readonly durationMs: number;
  readonly endedAt: string;
  /** Absent when the run ended before it planned. */
  readonly plan?: PlanCounts | undefined;
  /** Distinct rejected rows; absent when the run ended before it planned. */
  readonly rejected?: number | undefined;
  /** People in the upload; absent when the run ended before it planned. */
  readonly users?: number | undefined;
  /**
   * Each source's read in this run; absent when the run ended before it read them (or was
   * aborted while reading). Lists every source of the job when present.
   */
  readonly sources?: readonly SourceRead[] | undefined;
}

/** Whether one source delivered its complete snapshot in a run. */
export interface SourceRead {
  readonly source: string;
  readonly ok: boolean;
}

/** What a previous process (or the CLI) left in the job's state, for the gauges at start-up. */
export interface MetricsSeed {
  readonly users?: number | undefined;
  readonly lastSuccessAt?: string | undefined;
  /** A plan waits for approval (blocked.json), or the last run was blocked. */
  readonly blocked?: boolean | undefined;
  readonly consecutiveFailures?: number | undefined;
  /** The last planned run's counts, as history recorded them. */
  readonly lastPlan?: { readonly plan: PlanCounts; readonly rejected?: number | undefined } | undefined;
  /** Per source: the end of the last run that read it (history lists a source only when all were read). */
  readonly sourceSuccessAt?: Readonly<Record<string, string>> | undefined;
}

export interface Metrics {
  readonly registry: Registry;
  /** A run ended (any outcome): counts, duration, gauges of the last result. */
  runFinished(run: RunCounts): void;
  /** MIM answered an upload attempt (status code) or the network failed. */
  mimAttempt(job: string, outcome: number | 'network'): void;
  /** Seeds the gauges from the state a previous process left (users pushed, last success, blocked, …). */
  restore(job: string, seed: MetricsSeed): void;
  /** The job's runner counted its failed runs in a row (crashes included; any other outcome resets it). */
  consecutiveFailures(job: string, count: number): void;
  /** Active/standby: 1 while this daemon is the active one. */
  role(active: boolean): void;
  /** A notification on a channel was delivered, failed for good, retried, or left out as a duplicate. */
  notification(channel: string, outcome: NotificationOutcome): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
  readonly contentType: string;
}

/** `channels`: the configured notification channels (their zero series exist from the start). */
export function createMetrics(jobs: readonly string[], channels: readonly string[] = []): Metrics {
  const registry = new Registry();
  // prom-client's loop-delay gauges read the sampling interval, not the lag (event-loop.ts):
  // its sampler is made inert and its gauges replaced by ours.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: INERT_RESOLUTION_MS });
  for (const name of EVENT_LOOP_LAG_NAMES) registry.removeSingleMetric(name);
  registerEventLoopLag(registry);

  const runs = new Counter({
    name: 'mobileid_sync_runs_total',
    help: 'Runs by outcome (applied, unchanged, blocked, failed).',
    labelNames: ['sync_job', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mobileid_sync_run_duration_seconds',
    help: 'Duration of a run, from the trigger starting it to the recorded outcome.',
    labelNames: ['sync_job'],
    // 50 ms (an unchanged small file) … 30 min (a large directory over a slow link).
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800],
    registers: [registry],
  });
  const users = new Gauge({
    name: 'mobileid_sync_users',
    help: 'People in the last upload MIM accepted (or that was identical to it).',
    labelNames: ['sync_job'],
    registers: [registry],
  });
  const changes = new Counter({
    name: 'mobileid_sync_changes_pushed_total',
    help: 'Adds, updates and deletes in uploads MIM accepted.',
    labelNames: ['sync_job', 'change'],
    registers: [registry],
  });
  const rejected = new Gauge({
    name: 'mobileid_sync_rejected_records',
    help: 'Source rows rejected by validation in the last run that read the sources.',
    labelNames: ['sync_job'],
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'mobileid_sync_last_success_timestamp_seconds',
    help: 'End of the last run that applied or confirmed the upload (Unix time).',
    labelNames: ['sync_job'],
    registers: [registry],
  });
  const sourceUp = new Gauge({
    name: 'mobileid_sync_source_up',
    help: "1 when the source's last read delivered its complete snapshot, 0 when it failed.",
    labelNames: ['sync_job', 'source'],
    registers: [registry],
  });
  const sourceSuccess = new Gauge({
    name: 'mobileid_sync_source_last_success_timestamp_seconds',
    help: 'End of the last run in which the source delivered its complete snapshot (Unix time).',
    labelNames: ['sync_job', 'source'],
    registers: [registry],
  });
  const lastChanges = new Gauge({
    name: 'mobileid_sync_last_run_changes',
    help: 'Adds, updates, deletes and rejected rows of the last run that planned (pushed, blocked or unchanged).',
    labelNames: ['sync_job', 'change'],
    registers: [registry],
  });
  const blockedNow = new Gauge({
    name: 'mobileid_sync_blocked',
    help: "1 while the job's last run was blocked by the guard (a plan awaiting approval, or a hard stop); nothing is pushed until it is approved or fixed.",
    labelNames: ['sync_job'],
    registers: [registry],
  });
  const failures = new Gauge({
    name: 'mobileid_sync_consecutive_failures',
    help: 'Failed runs in a row (a blocked or successful run resets it).',
    labelNames: ['sync_job'],
    registers: [registry],
  });
  const mim = new Counter({
    name: 'mobileid_sync_mim_responses_total',
    help: 'Answers from MIM to upload attempts by HTTP status; code="network" for no answer.',
    labelNames: ['sync_job', 'code'],
    registers: [registry],
  });
  const blocked = new Counter({
    name: 'mobileid_sync_blocked_runs_total',
    help: 'Runs the guard blocked (hard stop or approval needed); nothing was pushed.',
    labelNames: ['sync_job'],
    registers: [registry],
  });

  const active = new Gauge({
    name: 'mobileid_sync_daemon_active',
    help: '1 while this daemon is the active one of its state directory, 0 on standby (active/standby pair).',
    registers: [registry],
  });
  const takeovers = new Counter({
    name: 'mobileid_sync_daemon_role_changes_total',
    help: 'Times this daemon became active (its first activation included) or went standby.',
    labelNames: ['role'],
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'mobileid_sync_notifications_total',
    help: 'Notifications by channel and outcome (sent, failed after its retries, retried, suppressed as a duplicate).',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  for (const channel of channels)
    for (const outcome of NOTIFICATION_OUTCOMES) notifications.inc({ channel, outcome }, 0);
  active.set(0);
  for (const role of ['active', 'standby']) takeovers.inc({ role }, 0);

  // Zero series exist from the start (and for a job a reload adds), so rate() and alerts work
  // before the first event.
  const zeroJob = (job: string): void => {
    for (const outcome of OUTCOMES) runs.inc({ sync_job: job, outcome }, 0);
    for (const change of CHANGES) changes.inc({ sync_job: job, change }, 0);
    blocked.inc({ sync_job: job }, 0);
    duration.zero({ sync_job: job });
    for (const change of RUN_CHANGES) lastChanges.set({ sync_job: job, change }, 0);
    blockedNow.set({ sync_job: job }, 0);
    failures.set({ sync_job: job }, 0);
  };
  const zeroed = new Set(jobs);
  for (const job of jobs) zeroJob(job);

  /** Source series each job has, so a source renamed or removed by a reload stops reporting. */
  const sourcesOf = new Map<string, Set<string>>();
  const recordSources = (job: string, reads: readonly SourceRead[], at: number): void => {
    const names = new Set(reads.map((r) => r.source));
    for (const gone of sourcesOf.get(job) ?? [])
      if (!names.has(gone)) {
        sourceUp.remove({ sync_job: job, source: gone });
        sourceSuccess.remove({ sync_job: job, source: gone });
      }
    sourcesOf.set(job, names);
    for (const { source, ok } of reads) {
      sourceUp.set({ sync_job: job, source }, ok ? 1 : 0);
      if (ok) sourceSuccess.set({ sync_job: job, source }, at);
    }
  };
  const recordPlan = (job: string, plan: PlanCounts, rejectedRows: number | undefined): void => {
    lastChanges.set({ sync_job: job, change: 'add' }, plan.adds);
    lastChanges.set({ sync_job: job, change: 'update' }, plan.updates);
    lastChanges.set({ sync_job: job, change: 'delete' }, plan.deletes);
    lastChanges.set({ sync_job: job, change: 'reject' }, rejectedRows ?? 0);
  };

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    runFinished(run) {
      const job = run.job;
      runs.inc({ sync_job: job, outcome: run.outcome });
      duration.observe({ sync_job: job }, run.durationMs / 1000);
      const endedAt = Date.parse(run.endedAt) / 1000;
      if (run.rejected !== undefined) rejected.set({ sync_job: job }, run.rejected);
      if (run.sources) recordSources(job, run.sources, endedAt);
      if (run.plan) recordPlan(job, run.plan, run.rejected);
      if (run.outcome === 'blocked') {
        blocked.inc({ sync_job: job });
        blockedNow.set({ sync_job: job }, 1);
      }
      // A failed run leaves a waiting plan waiting (blocked.json stays); anything else replaced it.
      else if (run.outcome !== 'failed') blockedNow.set({ sync_job: job }, 0);
      if (run.outcome === 'applied' || run.outcome === 'unchanged') {
        lastSuccess.set({ sync_job: job }, endedAt);
        if (run.users !== undefined) users.set({ sync_job: job }, run.users);
      }
      if (run.outcome === 'applied' && run.plan) {
        changes.inc({ sync_job: job, change: 'add' }, run.plan.adds);
        changes.inc({ sync_job: job, change: 'update' }, run.plan.updates);
        changes.inc({ sync_job: job, change: 'delete' }, run.plan.deletes);
      }
    },
    role(isActive) {
      active.set(isActive ? 1 : 0);
      takeovers.inc({ role: isActive ? 'active' : 'standby' });
    },
    notification(channel, outcome) {
      notifications.inc({ channel, outcome });
    },
    mimAttempt(job, outcome) {
      mim.inc({ sync_job: job, code: String(outcome) });
    },
    consecutiveFailures(job, count) {
      failures.set({ sync_job: job }, count);
    },
    restore(job, seed) {
      // A job a reload added (zero() would reset a histogram that already counts).
      if (!zeroed.has(job)) {
        zeroed.add(job);
        zeroJob(job);
      }
      if (seed.users !== undefined) users.set({ sync_job: job }, seed.users);
      if (seed.lastSuccessAt) lastSuccess.set({ sync_job: job }, Date.parse(seed.lastSuccessAt) / 1000);
      if (seed.blocked !== undefined) blockedNow.set({ sync_job: job }, seed.blocked ? 1 : 0);
      if (seed.consecutiveFailures !== undefined) failures.set({ sync_job: job }, seed.consecutiveFailures);
      if (seed.lastPlan) recordPlan(job, seed.lastPlan.plan, seed.lastPlan.rejected);
      // Only the time: whether a source is up now is known after its next read.
      const seeded = Object.entries(seed.sourceSuccessAt ?? {});
      for (const [source, at] of seeded) sourceSuccess.set({ sync_job: job, source }, Date.parse(at) / 1000);
      sourcesOf.set(job, new Set(seeded.map(([source]) => source)));
    },
  };
}
