/**
 * Config reload (SIGHUP, POST /reload): what changed between the config the daemon runs on and a
 * freshly loaded one, and which of it can take effect without a restart. Pure: the daemon applies
 * the result (daemon.ts), the views show the last attempt (status-view.ts, `status`).
 *
 * Live: every job key (sources, mim incl. a rotated token file, guard, schedule), jobs added or
 * removed, `admin.token`, `daemon.shutdownGraceMs`, `log.level`, `notify` (the channels are
 * rebuilt). Restart only: `stateDir` (the
 * jobs' state and the active/standby lock live there), `lock.staleMs` (a standby watching our lock
 * judges staleness by the value it started with), `admin.listen` (the socket is bound) and
 * `log.maskEmails` (the logger's formatters are built once).
 */
import { isDeepStrictEqual } from 'node:util';
import type { AppConfig, JobConfig } from '../config/schema.js';

/** Global keys a reload cannot change; the daemon keeps the running value and says so. */
export const RESTART_KEYS = ['stateDir', 'lock.staleMs', 'admin.listen', 'log.maskEmails'] as const;
export type RestartKey = (typeof RESTART_KEYS)[number];

export interface JobChange {
  readonly job: string;
  /** The job's top-level keys that differ (`mim`, `sources`, `schedule`, …); never their values. */
  readonly keys: readonly string[];
}

export interface ConfigDiff {
  readonly added: readonly JobConfig[];
  readonly removed: readonly string[];
  readonly changed: readonly JobChange[];
  /** Global keys that changed but only take effect after a restart. */
  readonly needsRestart: readonly RestartKey[];
  /** Global keys that changed and take effect now. */
  readonly live: readonly string[];
}

function valueAt(config: AppConfig, key: string): unknown {
  let cur: unknown = config;
  for (const k of key.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[k];
  return cur;
}

const LIVE_KEYS = ['admin.token', 'daemon.shutdownGraceMs', 'log.level', 'notify'] as const;

function changedKeys(a: JobConfig, b: JobConfig): string[] {
  const before: ReadonlyMap<string, unknown> = new Map(Object.entries(a));
  const after: ReadonlyMap<string, unknown> = new Map(Object.entries(b));
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => !isDeepStrictEqual(before.get(k), after.get(k)));
}

export function diffConfig(running: AppConfig, next: AppConfig): ConfigDiff {
  const before = new Map(running.jobs.map((j) => [j.name, j]));
  const after = new Map(next.jobs.map((j) => [j.name, j]));
  const changed: JobChange[] = [];
  for (const [name, job] of after) {
    const old = before.get(name);
    if (!old) continue;
    const keys = changedKeys(old, job);
    if (keys.length > 0) changed.push({ job: name, keys });
  }
  return {
    added: next.jobs.filter((j) => !before.has(j.name)),
    removed: running.jobs.filter((j) => !after.has(j.name)).map((j) => j.name),
    changed,
    needsRestart: RESTART_KEYS.filter((k) => !isDeepStrictEqual(valueAt(running, k), valueAt(next, k))),
    live: LIVE_KEYS.filter((k) => !isDeepStrictEqual(valueAt(running, k), valueAt(next, k))),
  };
}

/** The config the daemon goes on with: the new one, with the restart-only keys as they run now. */
export function effectiveConfig(running: AppConfig, next: AppConfig): AppConfig {
  return {
    ...next,
    stateDir: running.stateDir,
    lock: { ...next.lock, staleMs: running.lock.staleMs },
    admin: { ...next.admin, listen: running.admin.listen },
    log: { ...next.log, maskEmails: running.log.maskEmails },
  };
}

export function isEmptyDiff(d: ConfigDiff): boolean {
  return d.added.length + d.removed.length + d.changed.length + d.needsRestart.length + d.live.length === 0;
}

export interface AppliedReload {
  readonly outcome: 'applied';
  readonly at: string;
  readonly trigger: ReloadTrigger;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly JobChange[];
  readonly needsRestart: readonly RestartKey[];
  /** `notify` when the notification settings changed (channels rebuilt); absent in older records. */
  readonly rebuilt?: readonly 'notify'[];
}

export interface RefusedReload {
  readonly outcome: 'refused';
  readonly at: string;
  readonly trigger: ReloadTrigger;
  readonly error: { readonly message: string; readonly place?: string | undefined; readonly fix: string };
}

/** The last reload attempt, as /status and `status` show it. */
export type ReloadRecord = AppliedReload | RefusedReload;

export type ReloadTrigger = 'sighup' | 'http';

export function appliedRecord(diff: ConfigDiff, at: Date, trigger: ReloadTrigger): AppliedReload {
  return {
    outcome: 'applied',
    at: at.toISOString(),
    trigger,
    added: diff.added.map((j) => j.name),
    removed: [...diff.removed],
    changed: [...diff.changed],
    needsRestart: [...diff.needsRestart],
    ...(diff.live.includes('notify') ? { rebuilt: ['notify' as const] } : {}),
  };
}

/** One line for `status` and the log: what the last reload did, or why it was refused. */
export function describeReload(r: ReloadRecord): string {
  if (r.outcome === 'refused') {
    const where = r.error.place ? `${r.error.place}: ` : '';
    return `config: reload refused at ${r.at}: ${where}${r.error.message} (fix: ${r.error.fix}); still running on the previous config`;
  }
  const parts = [
    ...(r.added.length ? [`added ${r.added.join(', ')}`] : []),
    ...(r.removed.length ? [`removed ${r.removed.join(', ')}`] : []),
    ...r.changed.map((c) => `${c.job}: ${c.keys.join(', ')} changed`),
    ...(Array.isArray(r.rebuilt) && r.rebuilt.includes('notify')
      ? ['notifications changed (channels rebuilt)']
      : []),
  ];
  const restart = r.needsRestart.length ? `; needs a restart to change: ${r.needsRestart.join(', ')}` : '';
  return `config: reloaded at ${r.at}${parts.length ? ` (${parts.join('; ')})` : ' (no job changed)'}${restart}`;
}
