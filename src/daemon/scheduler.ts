/**
 * The cron trigger of a job (node-cron 4, local time zone; six fields allow seconds). Each tick
 * waits a random 0…jitterSeconds first, so a fleet of connectors with the same schedule does not
 * hit MIM in the same second. The tick only triggers the job's runner, which never overlaps runs.
 */
import cron, { type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { JobConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';

export interface JobSchedule {
  readonly cron: string;
  start(): void;
  stop(): void;
  /** When the next scheduled trigger fires: a pending jittered tick, else the next cron slot. */
  nextRun(): Date | null;
}

/** Throws ConfigError for an unparseable expression, naming the key and what is wrong. */
export function validateSchedule(job: JobConfig): void {
  validateCron(job.schedule.cron, `jobs[${job.name}].schedule.cron`, 'empty turns the schedule off');
}

/** Throws ConfigError at `place` for an unparseable cron expression; an empty one is off. */
export function validateCron(text: string, place: string, emptyMeans: string): void {
  const expr = text.trim();
  if (!expr) return;
  const result = cron.validateDetailed(expr);
  if (result.valid) return;
  const problems = result.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  throw new ConfigError(`The cron expression "${expr}" is not valid (${problems})`, {
    place,
    fix: `Use five fields (minute hour day month weekday) or six with seconds first, e.g. "*/15 * * * *"; ${emptyMeans}.`,
  });
}

/** node-cron logs through console by default; route it into our JSON log instead. */
function cronLogger(log: Logger): CronLogger {
  const text = (m: string | Error): string => (m instanceof Error ? m.message : m);
  return {
    info: (m) => log.debug({ component: 'cron' }, m),
    warn: (m) => log.warn({ component: 'cron' }, m),
    error: (m, e) => log.error({ component: 'cron', err: e?.message }, text(m)),
    debug: (m) => log.debug({ component: 'cron' }, text(m)),
  };
}

/** The job's schedule, or null when `schedule.cron` is empty. Call validateSchedule first. */
export function createSchedule(
  job: JobConfig,
  fire: () => void,
  log: Logger,
  random: () => number = Math.random,
): JobSchedule | null {
  const expr = job.schedule.cron.trim();
  if (!expr) return null;
  const jitterMs = job.schedule.jitterSeconds * 1000;
  let jitterTimer: NodeJS.Timeout | undefined;
  let jitterAt: Date | null = null;

  const onTick = (): void => {
    if (jitterTimer) return; // the previous tick is still waiting out its jitter; it stands for both
    const delay = Math.floor(random() * jitterMs);
    if (delay <= 0) {
      fire();
      return;
    }
    jitterAt = new Date(Date.now() + delay);
    jitterTimer = setTimeout(() => {
      jitterTimer = undefined;
      jitterAt = null;
      fire();
    }, delay);
  };

  const task: ScheduledTask = cron.createTask(expr, onTick, {
    name: `mobileid-sync:${job.name}`,
    logger: cronLogger(log),
    // A tick late by more than a second (suspend, heavy GC) still runs instead of being dropped.
    missedExecutionTolerance: 60_000,
    // Slots missed while the host slept are not actionable; the next tick syncs everything anyway.
    suppressMissedWarning: true,
  });

  return {
    cron: expr,
    start: () => void task.start(),
    stop() {
      void task.stop();
      clearTimeout(jitterTimer);
      jitterTimer = undefined;
      jitterAt = null;
    },
    nextRun: () => jitterAt ?? task.getNextRun(),
  };
}
