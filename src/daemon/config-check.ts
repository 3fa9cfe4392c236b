/**
 * The daemon's config checks, apart from its wiring so that `config validate` (systemd's
 * ExecStartPre=) runs them without loading the daemon, the run pipeline, prom-client or chokidar.
 */
import { readEmailCa } from '../config/notify.js';
import type { AppConfig, JobConfig } from '../config/schema.js';
import type { SourceRegistry, WatchedFolder } from '../core/source.js';
import { configureLocks } from '../state/lock-timing.js';
import { adminAddress, type ListenAddress } from './admin-address.js';
import { validateCron, validateSchedule } from './scheduler.js';

/**
 * The daemon's own config checks (admin exposure, cron syntax, drop folders, grace period), run
 * before any socket or watcher opens; throws ConfigError naming the key. `config validate` may
 * call it too, so ExecStartPre= catches these before the start.
 */
export function checkDaemonConfig(
  config: AppConfig,
  registry: SourceRegistry,
): {
  readonly admin: ListenAddress | null;
  readonly graceMs: number;
} {
  const checked = checkReloadable(config, registry);
  configureLocks(config.lock.staleMs);
  return checked;
}

/** The same checks without touching the lock timing: what a reload checks a new config with. */
export function checkReloadable(
  config: AppConfig,
  registry: SourceRegistry,
): {
  readonly admin: ListenAddress | null;
  readonly graceMs: number;
} {
  const admin = adminAddress(config.admin);
  for (const job of config.jobs) {
    validateSchedule(job);
    if (job.schedule.watch) dropFolders(job, registry);
  }
  validateCron(config.notify.digestCron, 'notify.digestCron', 'empty turns the digest off');
  if (config.notify.email.host) readEmailCa(config.notify.email);
  return { admin, graceMs: config.daemon.shutdownGraceMs };
}

/** The folders a job's sources ask to be watched, resolved exactly as each source resolves them. */
export function dropFolders(job: JobConfig, registry: SourceRegistry): WatchedFolder[] {
  return job.sources.flatMap((s) => {
    // The loader validated these settings against the kind's schema.
    const config = { ...s.settings, name: s.name } as never;
    return registry.get(s.kind)?.watches?.(config, job.name) ?? [];
  });
}
