/**
 * `mobileid-sync run`: wires the triggers (cron with jitter, drop folders, start-up,
 * POST /jobs/{name}/run) to one runner per job, serves the admin listener, reloads the config on
 * SIGHUP / POST /reload, and stops gracefully.
 * Start-up, wiring, reload and shutdown only: a job's unit is in job-unit.ts, what a reload may
 * change in reload.ts, the admin listener's answers in admin-handlers.ts (gathering) and
 * status-view.ts (shapes).
 *
 * Architecture invariant: the daemon never runs pipeline stages itself; every run is one call of
 * runJob (which takes the job's lock), queued by the job's runner so runs of a job never overlap.
 */
import { mkdir } from 'node:fs/promises';
import { channelNames } from '../config/notify.js';
import type { AppConfig, JobConfig } from '../config/schema.js';
import { ConfigError, isSyncError, StateError } from '../core/errors.js';
import type { SourceRegistry } from '../core/source.js';
import { rejectedCount, runCounts } from '../run/report.js';
import { runJob } from '../run/run-job.js';
import { JobState } from '../state/store.js';
import type { Logger } from '../telemetry/logger.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import { adminAddress } from './admin-address.js';
import { adminHandlers } from './admin-handlers.js';
import { checkDaemonConfig, checkReloadable } from './config-check.js';
import { type AdminServer, startAdminServer } from './http.js';
import { type FinishedRun, JobRunner, type TriggerKind, type TriggerResult } from './job-runner.js';
import { isSuccess, type JobUnit, nextRunOf, restoreUnit, watchingOf } from './job-unit.js';
import { Leader } from './leader.js';
import { type DaemonNotifications, startNotifications } from './notifications.js';
import {
  appliedRecord,
  type ConfigDiff,
  describeReload,
  diffConfig,
  effectiveConfig,
  type ReloadRecord,
  type ReloadTrigger,
} from './reload.js';
import { clearReloadRecord, saveReloadRecord } from './reload-record.js';
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
  /**
   * Re-reads the config file for a reload (SIGHUP, POST /reload); throws ConfigError for a bad
   * one. Without it a reload is refused.
   */
  readonly loadConfig?: () => AppConfig;
  /** The log level came from the command line: a reload leaves it alone. */
  readonly fixedLogLevel?: boolean;
  /**
   * The exact command that approves a plan, for notifications (the CLI adds the daemon's -c).
   * Default: without -c.
   */
  readonly approveCommand?: (job: string, planId: string) => string;
}

/** Deliveries still going on at shutdown get at most this long (within the grace period). */
const NOTIFY_DRAIN_MS = 10_000;

export interface Daemon {
  /** The admin listener's URL, or null when it is off. */
  readonly adminUrl: string | null;
  /** Resolves with the exit code once the daemon has stopped. */
  readonly finished: Promise<number>;
  stop(reason: string): Promise<void>;
  /** Re-reads the config (what SIGHUP does); resolves with what was applied or why it was refused. */
  reload(trigger: ReloadTrigger): Promise<ReloadRecord>;
}

/** Whether a changed job needs its cron task or its folder watcher rebuilt. */
function triggersChanged(before: JobConfig, after: JobConfig): { schedule: boolean; watch: boolean } {
  const a = before.schedule;
  const b = after.schedule;
  return {
    schedule: a.cron !== b.cron || a.jitterSeconds !== b.jitterSeconds,
    watch:
      a.watch !== b.watch ||
      a.debounceMs !== b.debounceMs ||
      JSON.stringify(before.sources) !== JSON.stringify(after.sources),
  };
}

function refusal(e: unknown): ConfigError {
  if (e instanceof ConfigError) return e;
  if (isSyncError(e)) return new ConfigError(e.message, { place: e.place, fix: e.fix, cause: e });
  return new ConfigError(`Cannot reload the config: ${e instanceof Error ? e.message : String(e)}`, {
    fix: 'Check the config file, then reload again.',
    cause: e,
  });
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
  const { registry, logger: log, version } = options;
  let config = options.config;
  const stateDir = config.stateDir;
  const env = options.env ?? process.env;
  const checked = checkDaemonConfig(config, registry);
  const admin = checked.admin;
  let graceMs = checked.graceMs;
  await ensureStateDir(stateDir);
  // A refusal recorded by an earlier process is about a config this one no longer runs on.
  await clearReloadRecord(stateDir).catch(() => undefined);
  const metrics: Metrics = createMetrics(
    config.jobs.map((j) => j.name),
    channelNames(config.notify),
  );
  const notifier = createNotifier(log, env);
  const startedAt = new Date();
  let stopping: Promise<void> | null = null;
  let resolveFinished: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    resolveFinished = resolve;
  });

  const createUnit = (job: JobConfig): JobUnit => {
    const unit: JobUnit = {
      job,
      state: new JobState(stateDir, job.name),
      runner: new JobRunner(job.name, {
        // The job as configured when the run starts: a reload meanwhile applies to the next run.
        run: (trigger, runId, signal) =>
          runJob(unit.job, {
            mode: 'sync',
            trigger,
            runId,
            stateDir,
            logger: log,
            signal,
            observer: { onMimAttempt: (name, outcome) => metrics.mimAttempt(name, outcome) },
          }),
        onStart: (run) => log.info({ job: job.name, runId: run.runId, trigger: run.trigger }, 'Run started'),
        onFinish: (end) => {
          metrics.consecutiveFailures(job.name, unit.runner.consecutiveFailures);
          if (end.report) {
            metrics.runFinished(runCounts(end.report));
            if (isSuccess(end.report.outcome)) unit.lastSuccessAt = end.report.endedAt;
          }
          logRunEnd(log, unit, end);
          if (end.report) notifications?.runFinished(unit, end.report);
          // `systemctl status` shows the latest run (a no-op outside systemd).
          const outcome = end.report?.outcome ?? 'crashed';
          void notifier.status(`${job.name}: ${outcome} at ${new Date().toISOString()}`);
        },
      }),
      schedule: null,
      watch: null,
      lastSuccessAt: undefined,
    };
    return unit;
  };

  // Assigned below, before any run can start (runs start only after the leader is active).
  let notifications: DaemonNotifications | null = null;
  const units = new Map<string, JobUnit>();
  /** Jobs a reload removed whose run is still in progress; they take no triggers. */
  const retiring = new Map<string, JobUnit>();
  for (const job of config.jobs) {
    const unit = createUnit(job);
    await restoreUnit(unit, metrics, log);
    units.set(job.name, unit);
  }

  const startSchedule = (unit: JobUnit): void => {
    const name = unit.job.name;
    unit.schedule?.stop();
    unit.schedule = createSchedule(unit.job, () => trigger(name, 'schedule'), log.child({ job: name }));
    unit.schedule?.start();
  };
  const startWatch = async (unit: JobUnit, reportExisting: boolean): Promise<void> => {
    const name = unit.job.name;
    await unit.watch?.close();
    unit.watch = watchDropFolders(
      unit.job,
      registry,
      (files) => trigger(name, 'watch', { files }),
      log.child({ job: name }),
      { reportExisting },
    );
    await unit.watch?.ready;
  };
  const stopTriggers = async (unit: JobUnit): Promise<void> => {
    unit.schedule?.stop();
    unit.schedule = null;
    const watch = unit.watch;
    unit.watch = null;
    await watch?.close();
  };

  // Schedules, watchers and start-up runs exist only while this daemon is the active one.
  const activate = async (takeover: boolean): Promise<void> => {
    for (const unit of units.values()) startSchedule(unit);
    await Promise.all([...units.values()].map((u) => startWatch(u, !u.job.schedule.onStart)));
    if (takeover) for (const u of units.values()) if (u.job.schedule.onStart) trigger(u.job.name, 'takeover');
  };
  const deactivate = async (reason: string): Promise<void> => {
    const all = [...units.values(), ...retiring.values()];
    for (const u of all) {
      u.runner.clearQueued();
      u.runner.abort(`this daemon is no longer the active one (${reason})`);
    }
    await Promise.all(all.map(stopTriggers));
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

  // Reload: one at a time; the file is read and checked whole before anything changes.
  let lastReload: ReloadRecord | null = null;
  let reloading: Promise<unknown> = Promise.resolve();

  const removeJob = async (name: string): Promise<void> => {
    const unit = units.get(name);
    if (!unit) return;
    units.delete(name);
    unit.runner.clearQueued();
    await stopTriggers(unit);
    if (!unit.runner.running) {
      log.info({ job: name }, 'Job removed by the reloaded config');
      return;
    }
    retiring.set(name, unit);
    log.info(
      { job: name, runId: unit.runner.running.runId },
      'Job removed by the reloaded config; its run in progress finishes first',
    );
    void unit.runner.idle().then(() => {
      if (retiring.get(name) !== unit) return; // added back meanwhile
      retiring.delete(name);
      log.info({ job: name }, 'Removed job finished its last run');
    });
  };

  const addJob = async (job: JobConfig): Promise<void> => {
    // A job removed and added back while its last run goes on keeps its runner: never two runs.
    const back = retiring.get(job.name);
    retiring.delete(job.name);
    const unit = back ?? createUnit(job);
    unit.job = job;
    if (!back) await restoreUnit(unit, metrics, log);
    units.set(job.name, unit);
    if (leader.role !== 'active') return;
    startSchedule(unit);
    await startWatch(unit, !job.schedule.onStart);
    // A new job starts as it would with the daemon: once, if schedule.onStart says so.
    if (job.schedule.onStart) trigger(job.name, 'start');
  };

  const changeJob = async (job: JobConfig): Promise<void> => {
    const unit = units.get(job.name);
    if (!unit) return;
    const changed = triggersChanged(unit.job, job);
    unit.job = job;
    if (leader.role !== 'active') return;
    if (changed.schedule) startSchedule(unit);
    // Files already waiting in a (newly) watched folder are picked up, as at start-up.
    if (changed.watch) await startWatch(unit, true);
  };

  const apply = async (diff: ConfigDiff, next: AppConfig): Promise<void> => {
    for (const name of diff.removed) await removeJob(name);
    for (const c of diff.changed) {
      const job = next.jobs.find((j) => j.name === c.job);
      if (job) await changeJob(job);
    }
    for (const job of diff.added) await addJob(job);
    await notifications?.reload(next);
    config = next;
    graceMs = next.daemon.shutdownGraceMs;
    if (!options.fixedLogLevel) log.level = next.log.level;
  };

  const refuse = (e: unknown, at: Date, kind: ReloadTrigger): ReloadRecord => {
    const err = refusal(e);
    const record: ReloadRecord = {
      outcome: 'refused',
      at: at.toISOString(),
      trigger: kind,
      error: { message: err.message, place: err.place, fix: err.fix },
    };
    log.error({ trigger: kind, place: err.place, fix: err.fix }, describeReload(record));
    return record;
  };

  const reloadNow = async (kind: ReloadTrigger): Promise<ReloadRecord> => {
    const at = new Date();
    let record: ReloadRecord;
    if (stopping) {
      record = refuse(
        new ConfigError('The daemon is stopping', { fix: 'Start it again; it reads the config at start.' }),
        at,
        kind,
      );
    } else {
      try {
        if (!options.loadConfig) {
          throw new ConfigError('This daemon has no config file to re-read', {
            fix: 'Restart it to change its config.',
          });
        }
        const read = options.loadConfig();
        // The file as written must pass (a restart would use it), and so must what runs from now on.
        checkReloadable(read, registry);
        const next = effectiveConfig(config, read);
        adminAddress(next.admin);
        const diff = diffConfig(config, read);
        await apply(diff, next);
        const applied = appliedRecord(diff, at, kind);
        const { outcome: _o, at: _a, ...fields } = applied;
        if (applied.needsRestart.length > 0) log.warn(fields, describeReload(applied));
        else log.info(fields, describeReload(applied));
        record = applied;
      } catch (e) {
        record = refuse(e, at, kind);
      }
    }
    lastReload = record;
    await saveReloadRecord(stateDir, record).catch((e: unknown) =>
      log.warn(
        { err: e instanceof Error ? e.message : String(e) },
        '`status` cannot show this reload: the state directory is not writable',
      ),
    );
    return record;
  };
  const reload = (kind: ReloadTrigger): Promise<ReloadRecord> => {
    const next = reloading.then(() => reloadNow(kind));
    reloading = next.catch(() => undefined);
    return next;
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
      await reloading;
      const all = [...units.values(), ...retiring.values()];
      await Promise.all(all.map(stopTriggers));
      const cancelled = await drainRunners(
        all.map((u) => u.runner),
        graceMs,
        log,
      );
      await notifications?.stop(Math.min(graceMs, NOTIFY_DRAIN_MS));
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
    // `systemctl reload` re-reads the config; it does not start runs (POST /jobs/<job>/run does).
    onHangup: () => void reload('sighup'),
  });

  try {
    notifications = await startNotifications(config, {
      stateDir,
      log,
      metrics,
      approveCommand:
        options.approveCommand ?? ((job, planId) => `mobileid-sync approve ${job} --plan ${planId}`),
      units: () => units.values(),
      maskEmails: () => config.log.maskEmails,
      isActive: () => leader.role === 'active',
    });
    const handlers = adminHandlers({
      config: () => config,
      units,
      metrics,
      leader,
      version,
      startedAt,
      isStopping: () => stopping !== null,
      trigger,
      reload: () => reload('http'),
      lastReload: () => lastReload,
      notifications: () => notifications?.view() ?? null,
    });
    if (admin) server = await startAdminServer(admin, () => config.admin.token, handlers, log);
    await leader.start();
  } catch (e) {
    startupDone();
    await stop('start-up failed');
    throw e;
  }
  startupDone();
  if (stopping) return { adminUrl: server?.url ?? null, finished, stop, reload };

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
  return { adminUrl: server?.url ?? null, finished, stop, reload };
}
