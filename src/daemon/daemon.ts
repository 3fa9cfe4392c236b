/**
 * `mobileid-sync run`: wires the triggers (cron with jitter, drop folders, start-up, SIGHUP,
 * POST /jobs/{name}/run) to one runner per job, serves the admin listener, and stops gracefully.
 * Start-up, wiring and shutdown only: a job's unit is in job-unit.ts, the admin listener's
 * answers in admin-handlers.ts (gathering) and status-view.ts (shapes).
 *
 * Architecture invariant: the daemon never runs pipeline stages itself; every run is one call of
 * runJob (which takes the job's lock), queued by the job's runner so runs of a job never overlap.
 */
import { mkdir } from 'node:fs/promises';
import type { AppConfig } from '../config/schema.js';
import { StateError } from '../core/errors.js';
import type { SourceRegistry } from '../core/source.js';
import { rejectedCount, runCounts } from '../run/report.js';
import { runJob } from '../run/run-job.js';
import { JobState } from '../state/store.js';
import type { Logger } from '../telemetry/logger.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import { adminHandlers } from './admin-handlers.js';
import { checkDaemonConfig } from './config-check.js';
import { type AdminServer, startAdminServer } from './http.js';
import { type FinishedRun, JobRunner, type TriggerKind, type TriggerResult } from './job-runner.js';
import { isSuccess, type JobUnit, nextRunOf, restoreUnit, watchingOf } from './job-unit.js';
import { Leader } from './leader.js';
import { createSchedule } from './scheduler.js';
import { createNotifier } from './sd-notify.js';
import { drainRunners, handleSignals } from './shutdown.js';
import { watchDropFolders } from './triggers.js';

export interface DaemonOptions {
  readonly config: AppConfig;
  /** The source kinds (the daemon asks each source's definition what to watch). */
  readonly registry: SourceRegistry;
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

/** The one summary line per run: trigger, counts, outcome, duration, what comes next. */
function logRunEnd(log: Logger, unit: JobUnit, end: FinishedRun): void {
  const { run, report, followUp } = end;
  const base = { job: unit.job.name, runId: run.runId, trigger: run.trigger };
  const nextRun = nextRunOf(unit);
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
  const { config, registry, logger: log, version } = options;
  const env = options.env ?? process.env;
  const { admin, graceMs } = checkDaemonConfig(config, registry);
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
        registry,
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
    const handlers = adminHandlers({
      config,
      units,
      metrics,
      leader,
      version,
      startedAt,
      isStopping: () => stopping !== null,
      trigger,
    });
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
        nextRun: nextRunOf(u),
        watching: watchingOf(u),
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
