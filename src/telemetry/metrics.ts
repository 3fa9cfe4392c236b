/**
 * Prometheus metrics of the daemon: one registry, one function per event. Labels are bounded
 * (job names from the config, fixed outcome/change sets, HTTP status codes) and never carry an
 * e-mail, a token or anything read from a source.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PlanCounts } from '../core/types.js';
import type { RunOutcome } from '../state/store.js';

const OUTCOMES: readonly RunOutcome[] = ['applied', 'unchanged', 'blocked', 'failed'];
const CHANGES = ['add', 'update', 'delete'] as const;

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
}

export interface Metrics {
  readonly registry: Registry;
  /** A run ended (any outcome): counts, duration, gauges of the last result. */
  runFinished(run: RunCounts): void;
  /** MIM answered an upload attempt (status code) or the network failed. */
  mimAttempt(job: string, outcome: number | 'network'): void;
  /** Seeds the gauges from the state a previous process left (users pushed, last success). */
  restore(job: string, seed: { users?: number | undefined; lastSuccessAt?: string | undefined }): void;
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
  // The event-loop delay sampler wakes the process at this interval; 10 ms (prom-client's default)
  // costs measurable idle CPU, a second is plenty for an idle-most-of-the-time daemon.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });

  const runs = new Counter({
    name: 'mobileid_sync_runs_total',
    help: 'Runs by outcome (applied, unchanged, blocked, failed).',
    labelNames: ['job', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mobileid_sync_run_duration_seconds',
    help: 'Duration of a run, from the trigger starting it to the recorded outcome.',
    labelNames: ['job'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const users = new Gauge({
    name: 'mobileid_sync_users',
    help: 'People in the last upload MIM accepted (or that was identical to it).',
    labelNames: ['job'],
    registers: [registry],
  });
  const changes = new Counter({
    name: 'mobileid_sync_changes_pushed_total',
    help: 'Adds, updates and deletes in uploads MIM accepted.',
    labelNames: ['job', 'change'],
    registers: [registry],
  });
  const rejected = new Gauge({
    name: 'mobileid_sync_rejected_records',
    help: 'Source rows rejected by validation in the last run that read the sources.',
    labelNames: ['job'],
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'mobileid_sync_last_success_timestamp_seconds',
    help: 'End of the last run that applied or confirmed the upload (Unix time).',
    labelNames: ['job'],
    registers: [registry],
  });
  const mim = new Counter({
    name: 'mobileid_sync_mim_responses_total',
    help: 'Answers from MIM to upload attempts by HTTP status; code="network" for no answer.',
    labelNames: ['job', 'code'],
    registers: [registry],
  });
  const blocked = new Counter({
    name: 'mobileid_sync_blocked_runs_total',
    help: 'Runs the guard blocked (hard stop or approval needed); nothing was pushed.',
    labelNames: ['job'],
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

  // Zero series exist from the start, so rate() and alerts work before the first event.
  for (const job of jobs) {
    for (const outcome of OUTCOMES) runs.inc({ job, outcome }, 0);
    for (const change of CHANGES) changes.inc({ job, change }, 0);
    blocked.inc({ job }, 0);
  }

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    runFinished(run) {
      const job = run.job;
      runs.inc({ job, outcome: run.outcome });
      duration.observe({ job }, run.durationMs / 1000);
      if (run.rejected !== undefined) rejected.set({ job }, run.rejected);
      if (run.outcome === 'blocked') blocked.inc({ job });
      if (run.outcome === 'applied' || run.outcome === 'unchanged') {
        lastSuccess.set({ job }, Date.parse(run.endedAt) / 1000);
        if (run.users !== undefined) users.set({ job }, run.users);
      }
      if (run.outcome === 'applied' && run.plan) {
        changes.inc({ job, change: 'add' }, run.plan.adds);
        changes.inc({ job, change: 'update' }, run.plan.updates);
        changes.inc({ job, change: 'delete' }, run.plan.deletes);
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
      mim.inc({ job, code: String(outcome) });
    },
    restore(job, seed) {
      if (seed.users !== undefined) users.set({ job }, seed.users);
      if (seed.lastSuccessAt) lastSuccess.set({ job }, Date.parse(seed.lastSuccessAt) / 1000);
    },
  };
}
