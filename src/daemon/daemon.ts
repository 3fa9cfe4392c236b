/**
 * `mobileid-sync run`: wires the triggers (cron with jitter, drop folders, start-up, SIGHUP,
 * POST /jobs/{name}/run) to one runner per job, serves the admin listener, and stops gracefully.
 *
 * Architecture invariant: the daemon never runs pipeline stages itself; every run is one call of
 * runJob (which takes the job's lock), queued by the job's runner so runs of a job never overlap.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import type { AppConfig, JobConfig } from '../config/schema.js';
import { StateError } from '../core/errors.js';
import { rejectedCount, runCounts } from '../run/report.js';
import { runJob } from '../run/run-job.js';
import { targetOf } from '../state/baseline.js';
import { configureLocks } from '../state/lock.js';
import { type HistoryEntry, JobState } from '../state/store.js';
import { type Logger, maskEmail, maskEmailsDeep } from '../telemetry/logger.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import {
  type AdminHandlers,
  type AdminServer,
  adminAddress,
  type ListenAddress,
  type Readiness,
  startAdminServer,
} from './http.js';
import { type FinishedRun, JobRunner, type TriggerKind, type TriggerResult } from './job-runner.js';
import { Leader } from './leader.js';
import { fromHistory, type RunSummary } from './run-summary.js';
import { createSchedule, type JobSchedule, validateSchedule } from './scheduler.js';
import { createNotifier } from './sd-notify.js';
import { drainRunners, handleSignals } from './shutdown.js';
import { type DropWatch, dropFolders, watchDropFolders } from './triggers.js';

/** /readyz turns 503 when a job failed more than this many runs in a row. */
export const MAX_CONSECUTIVE_FAILURES = 3;
const STATUS_RUNS = 10;

export interface DaemonOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly version: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface Daemon {
  /** The admin listener's URL, or null when it is off. */
  readonly adminUrl: string | null;
  /** Resolves with the exit code once the daemon has stopped. */
  readonly finished: Promise<number>;
  stop(reason: string): Promise<void>;
}

interface JobUnit {
  readonly job: JobConfig;
  readonly state: JobState;
  readonly runner: JobRunner;
  schedule: JobSchedule | null;
  watch: DropWatch | null;
  lastSuccessAt: string | undefined;
}

/**
 * The daemon's own config checks (admin exposure, cron syntax, drop folders, grace period), run
 * before any socket or watcher opens; throws ConfigError naming the key. `config validate` may
 * call it too, so ExecStartPre= catches these before the start.
 */
export function checkDaemonConfig(config: AppConfig): {
  readonly admin: ListenAddress | null;
  readonly graceMs: number;
} {
  const admin = adminAddress(config.admin);
  configureLocks(config.lock.staleMs);
  for (const job of config.jobs) {
    validateSchedule(job);
    if (job.schedule.watch) dropFolders(job);
  }
  return { admin, graceMs: config.daemon.shutdownGraceMs };
}

async function ensureStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StateError(`Cannot create the state directory: ${(e as NodeJS.ErrnoException).code ?? e}`, {
      place: dir,
      fix: 'Create it, or make it writable by the service user (systemd: StateDirectory=; Docker: the /state volume).',
      cause: e,
    });
  }
}

function trailingFailures(history: readonly HistoryEntry[]): number {
  let n = 0;
  for (let i = history.length - 1; i >= 0 && history[i]?.outcome === 'failed'; i--) n++;
  return n;
}

function isSuccess(outcome: string): boolean {
  return outcome === 'applied' || outcome === 'unchanged';
}

/** The one summary line per run: trigger, counts, outcome, duration, what comes next. */
function logRunEnd(log: Logger, unit: JobUnit, end: FinishedRun): void {
  const { run, report, followUp } = end;
  const base = { job: unit.job.name, runId: run.runId, trigger: run.trigger };
  const nextRun = unit.schedule?.nextRun()?.toISOString() ?? null;
  if (!report) {
    log.error(
      { ...base, err: end.crash instanceof Error ? end.crash.message : String(end.crash), followUp, nextRun },
      'Run crashed (a bug; nothing was recorded for it)',
    );
    return;
  }
  const plan = report.build?.plan;
  const fields = {
    ...base,
    outcome: report.outcome,
    durationMs: report.durationMs,
    sources: report.sources.map((s) => ({ source: s.source, total: s.total, valid: s.valid })),
    ...(plan
      ? {
          adds: plan.adds.length,
          updates: plan.updates.length,
          deletes: plan.deletes.length,
          unchanged: plan.unchanged,
          carried: report.build?.carried.length ?? 0,
          rejected: rejectedCount(report),
          users: report.build?.desired.length,
        }
      : {}),
    ...(report.push ? { httpStatus: report.push.status, attempts: report.push.attempts } : {}),
    ...(report.skipReason ? { skipped: report.skipReason } : {}),
    ...(report.error ? { error: { code: report.error.code, place: report.error.place } } : {}),
    consecutiveFailures: unit.runner.consecutiveFailures,
    followUp,
    nextRun,
  };
  const failed = report.outcome === 'failed' || report.outcome === 'blocked';
  if (failed) log.warn(fields, 'Run finished');
  else log.info(fields, 'Run finished');
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, logger: log, version } = options;
  const env = options.env ?? process.env;
  const { admin, graceMs } = checkDaemonConfig(config);
  await ensureStateDir(config.stateDir);
  const metrics: Metrics = createMetrics(config.jobs.map((j) => j.name));
  const notifier = createNotifier(log, env);
  const startedAt = new Date();
  let stopping: Promise<void> | null = null;
  let resolveFinished: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    resolveFinished = resolve;
  });

  const units = new Map<string, JobUnit>();
  for (const job of config.jobs) {
    const unit: JobUnit = {
      job,
      state: new JobState(config.stateDir, job.name),
      runner: new JobRunner(job.name, {
        run: (trigger, runId, signal) =>
          runJob(job, {
            mode: 'sync',
            trigger,
            runId,
            stateDir: config.stateDir,
            logger: log,
            signal,
            observer: { onMimAttempt: (name, outcome) => metrics.mimAttempt(name, outcome) },
          }),
        onStart: (run) => log.info({ job: job.name, runId: run.runId, trigger: run.trigger }, 'Run started'),
        onFinish: (end) => {
          if (end.report) {
            metrics.runFinished(runCounts(end.report));
            if (isSuccess(end.report.outcome)) unit.lastSuccessAt = end.report.endedAt;
          }
          logRunEnd(log, unit, end);
          // `systemctl status` shows the latest run (a no-op outside systemd).
          const outcome = end.report?.outcome ?? 'crashed';
          void notifier.status(`${job.name}: ${outcome} at ${new Date().toISOString()}`);
        },
      }),
      schedule: null,
      watch: null,
      lastSuccessAt: undefined,
    };
    await restoreUnit(unit, metrics, log);
    units.set(job.name, unit);
  }

  // Schedules, watchers and start-up runs exist only while this daemon is the active one.
  const activate = async (takeover: boolean): Promise<void> => {
    for (const unit of units.values()) {
      const name = unit.job.name;
      unit.schedule = createSchedule(unit.job, () => trigger(name, 'schedule'), log.child({ job: name }));
      unit.schedule?.start();
      unit.watch = watchDropFolders(
        unit.job,
        (files) => trigger(name, 'watch', { files }),
        log.child({ job: name }),
        {
          reportExisting: !unit.job.schedule.onStart,
        },
      );
    }
    await Promise.all([...units.values()].map((u) => u.watch?.ready));
    if (takeover) for (const u of units.values()) if (u.job.schedule.onStart) trigger(u.job.name, 'takeover');
  };
  const deactivate = async (reason: string): Promise<void> => {
    for (const u of units.values()) {
      u.schedule?.stop();
      u.schedule = null;
      u.runner.clearQueued();
      u.runner.abort(`this daemon is no longer the active one (${reason})`);
    }
    await Promise.all([...units.values()].map((u) => u.watch?.close()));
    for (const u of units.values()) u.watch = null;
  };
  let ready = false;
  const leader = new Leader(config.stateDir, log, {
    onActive: activate,
    onStandby: deactivate,
    onFatal: (e) => {
      log.error(
        { err: e instanceof Error ? e.message : String(e) },
        'Could not start the jobs after taking over',
      );
      void stop('activation failed');
    },
    onRole: (role) => {
      metrics.role(role === 'active');
      // After start-up only: READY=1 carries the first role.
      if (ready)
        void notifier.status(`${role === 'active' ? 'Active' : 'Standby'} since ${new Date().toISOString()}`);
    },
  });

  const trigger = (name: string, kind: TriggerKind, detail: Record<string, unknown> = {}): TriggerResult => {
    const unit = units.get(name);
    if (!unit) return 'stopping';
    if (leader.role !== 'active' && !stopping) {
      log.debug({ job: name, trigger: kind }, 'Trigger ignored: this daemon is on standby');
      return 'standby';
    }
    const result = unit.runner.trigger(kind);
    const fields = { job: name, trigger: kind, result, ...detail };
    if (result === 'started') log.debug(fields, 'Run triggered');
    else
      log.info(
        fields,
        result === 'stopping' ? 'Trigger ignored: stopping' : 'Run in progress; follow-up queued',
      );
    return result;
  };
  const triggerAll = (kind: TriggerKind): void => {
    for (const name of units.keys()) trigger(name, kind);
  };

  let server: AdminServer | null = null;
  let stopWatchdog: () => void = () => undefined;
  let startupDone: () => void = () => undefined;
  const startup = new Promise<void>((resolve) => {
    startupDone = resolve;
  });
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      // A stop signal during start-up waits until every listener and watcher exists, then closes them.
      await startup;
      log.info({ reason, graceMs }, 'Stopping: no new runs');
      await notifier.stopping();
      stopWatchdog();
      for (const u of units.values()) u.schedule?.stop();
      await Promise.all([...units.values()].map((u) => u.watch?.close()));
      const cancelled = await drainRunners(
        [...units.values()].map((u) => u.runner),
        graceMs,
        log,
      );
      await leader.stop();
      await server?.close();
      removeSignalHandlers();
      log.info({ cancelled }, 'Stopped');
      resolveFinished(0);
    })();
    return stopping;
  };
  const removeSignalHandlers = handleSignals({
    log,
    onStop: (signal) => void stop(signal),
    onHangup: () => {
      log.info('SIGHUP: running every job now');
      triggerAll('sighup');
    },
  });

  try {
    const handlers = adminHandlers(
      config,
      units,
      metrics,
      () => stopping !== null,
      version,
      startedAt,
      trigger,
      leader,
    );
    if (admin) server = await startAdminServer(admin, config.admin.token, handlers, log);
    await leader.start();
  } catch (e) {
    startupDone();
    await stop('start-up failed');
    throw e;
  }
  startupDone();
  if (stopping) return { adminUrl: server?.url ?? null, finished, stop };

  if (leader.role === 'active') {
    for (const unit of units.values()) if (unit.job.schedule.onStart) trigger(unit.job.name, 'start');
  }
  log.info(
    {
      version,
      role: leader.role,
      admin: server?.url ?? null,
      graceMs,
      jobs: [...units.values()].map((u) => ({
        job: u.job.name,
        project: u.job.mim.project,
        cron: u.schedule?.cron ?? null,
        jitterSeconds: u.job.schedule.jitterSeconds,
        nextRun: u.schedule?.nextRun()?.toISOString() ?? null,
        watching: u.watch?.folders.map((f) => f.folder) ?? [],
      })),
    },
    'Daemon started',
  );
  await notifier.ready(
    leader.role === 'active'
      ? `Watching ${units.size} job(s)`
      : 'Standby: another daemon on this state directory is active',
  );
  ready = true;
  stopWatchdog = notifier.startWatchdog();
  return { adminUrl: server?.url ?? null, finished, stop };
}

/** Seeds gauges and the failure streak from what the previous process (or the CLI) recorded. */
async function restoreUnit(unit: JobUnit, metrics: Metrics, log: Logger): Promise<void> {
  try {
    const history = await unit.state.readHistory(50);
    unit.runner.restoreFailures(trailingFailures(history));
    unit.lastSuccessAt = history.findLast((h) => isSuccess(h.outcome))?.endedAt;
    const baseline = await unit.state.readBaseline(targetOf(unit.job));
    metrics.restore(unit.job.name, {
      users: baseline.known ? baseline.snapshot.records.length : undefined,
      lastSuccessAt: unit.lastSuccessAt,
    });
  } catch (e) {
    log.warn(
      { job: unit.job.name, err: e instanceof Error ? e.message : String(e) },
      'Could not read the job state at start-up; the first run will report on it',
    );
  }
}

function adminHandlers(
  config: AppConfig,
  units: ReadonlyMap<string, JobUnit>,
  metrics: Metrics,
  isStopping: () => boolean,
  version: string,
  startedAt: Date,
  trigger: (name: string, kind: TriggerKind) => TriggerResult,
  leader: Leader,
): AdminHandlers {
  return {
    async readiness(): Promise<Readiness> {
      const checks: { name: string; ok: boolean; detail?: string }[] = [{ name: 'config', ok: true }];
      const writable = await access(config.stateDir, constants.W_OK).then(
        () => null,
        (e: NodeJS.ErrnoException) => e.code ?? String(e),
      );
      checks.push(
        writable
          ? { name: 'stateDir', ok: false, detail: `${config.stateDir} is not writable (${writable})` }
          : { name: 'stateDir', ok: true },
      );
      for (const u of units.values()) {
        const n = u.runner.consecutiveFailures;
        const last = u.runner.recent.at(-1)?.error;
        checks.push(
          n > MAX_CONSECUTIVE_FAILURES
            ? {
                name: `job:${u.job.name}`,
                ok: false,
                detail: `failed ${n} runs in a row${last ? ` (last: ${last.code}: ${last.message})` : ''}`,
              }
            : { name: `job:${u.job.name}`, ok: true },
        );
      }
      if (isStopping()) checks.push({ name: 'daemon', ok: false, detail: 'shutting down' });
      // A standby is ready: waiting is its job (and a Deployment's rollout needs it ready).
      const role = leader.status();
      checks.push({
        name: 'role',
        ok: true,
        detail:
          role.role === 'active'
            ? 'active: this daemon runs the jobs'
            : `standby: ${role.active ? `process ${role.active.pid} on host "${role.active.host}"` : 'another daemon'} is active`,
      });
      const masked = config.log.maskEmails
        ? checks.map((c) => (c.detail ? { ...c, detail: maskEmail(c.detail) } : c))
        : checks;
      return { ready: masked.every((c) => c.ok), role: role.role, checks: masked };
    },
    async metrics() {
      return { body: await metrics.render(), contentType: metrics.contentType };
    },
    async status() {
      const jobs = await Promise.all([...units.values()].map((u) => jobStatus(u)));
      const body = {
        version,
        pid: process.pid,
        startedAt: startedAt.toISOString(),
        stopping: isStopping(),
        role: leader.role,
        leader: leader.status(),
        jobs,
      };
      return config.log.maskEmails ? maskEmailsDeep(body) : body;
    },
    runNow(name) {
      if (!units.has(name)) return 'unknown-job';
      return trigger(name, 'http');
    },
  };
}

async function jobStatus(u: JobUnit): Promise<Record<string, unknown>> {
  const target = targetOf(u.job);
  const [history, blocked, baseline] = await Promise.all([
    u.state.readHistory(STATUS_RUNS).catch(() => [] as HistoryEntry[]),
    u.state.readBlocked().catch(() => null),
    u.state.readBaseline(target),
  ]);
  const byId = new Map<string, RunSummary>();
  for (const h of history) byId.set(h.runId, fromHistory(h));
  for (const r of u.runner.recent) if (!byId.has(r.runId)) byId.set(r.runId, r);
  const runs = [...byId.values()]
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, STATUS_RUNS);
  const running = u.runner.running;
  return {
    job: u.job.name,
    project: u.job.mim.project,
    running: running
      ? { runId: running.runId, trigger: running.trigger, startedAt: running.startedAt.toISOString() }
      : null,
    queued: u.runner.queued,
    nextRun: u.schedule?.nextRun()?.toISOString() ?? null,
    schedule: u.schedule ? { cron: u.schedule.cron, jitterSeconds: u.job.schedule.jitterSeconds } : null,
    watching: u.watch?.folders.map((f) => f.folder) ?? [],
    consecutiveFailures: u.runner.consecutiveFailures,
    lastSuccessAt: u.lastSuccessAt ?? null,
    baseline: baseline.known
      ? {
          known: true,
          target,
          seq: baseline.snapshot.seq,
          users: baseline.snapshot.records.length,
          pushedAt: baseline.snapshot.pushedAt,
        }
      : { known: false, target, reason: baseline.reason, detail: baseline.detail },
    pendingApproval: blocked,
    runs,
  };
}
