/**
 * What the admin listener answers with, gathered from the daemon's jobs, leader and metrics; the
 * shapes are status-view.ts's, the HTTP side (auth, routes, status codes) is http.ts's.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { AppConfig } from '../config/schema.js';
import type { NotificationsView } from '../notify/dispatcher.js';
import type { Metrics } from '../telemetry/metrics.js';
import { consoleData } from './console-data.js';
import type { AdminHandlers, Readiness } from './http.js';
import type { TriggerKind, TriggerResult } from './job-runner.js';
import { type JobUnit, jobFacts } from './job-unit.js';
import type { Leader } from './leader.js';
import type { ReloadRecord } from './reload.js';
import { daemonStatusView, jobStatusView, readinessView } from './status-view.js';

export interface AdminSources {
  /** The config as it runs now (a reload replaces it). */
  readonly config: () => AppConfig;
  readonly units: ReadonlyMap<string, JobUnit>;
  readonly metrics: Metrics;
  readonly leader: Leader;
  readonly version: string;
  readonly startedAt: Date;
  readonly isStopping: () => boolean;
  readonly trigger: (name: string, kind: TriggerKind) => TriggerResult;
  readonly reload: () => Promise<ReloadRecord>;
  /** The last reload attempt of this process, or null. */
  readonly lastReload: () => ReloadRecord | null;
  /** Each notification channel's last delivery and error; null when none is configured. */
  readonly notifications?: () => NotificationsView | null;
}

/** Why the state directory is not writable (an errno code), or null when it is. */
function writeProblem(dir: string): Promise<string | null> {
  return access(dir, constants.W_OK).then(
    () => null,
    (e: NodeJS.ErrnoException) => e.code ?? String(e),
  );
}

export function adminHandlers(s: AdminSources): AdminHandlers {
  const { units, metrics, leader } = s;
  return {
    async readiness(): Promise<Readiness> {
      const config = s.config();
      const maskEmails = config.log.maskEmails;
      return readinessView({
        stateDir: config.stateDir,
        stateDirProblem: await writeProblem(config.stateDir),
        jobs: [...units.values()].map((u) => ({
          job: u.job.name,
          consecutiveFailures: u.runner.consecutiveFailures,
          lastError: u.runner.recent.at(-1)?.error,
        })),
        stopping: s.isStopping(),
        leader: leader.status(),
        maskEmails,
      });
    },
    async metrics() {
      return { body: await metrics.render(), contentType: metrics.contentType };
    },
    async status() {
      const jobs = await Promise.all([...units.values()].map((u) => jobFacts(u).then(jobStatusView)));
      const view = daemonStatusView({
        version: s.version,
        pid: process.pid,
        startedAt: s.startedAt,
        stopping: s.isStopping(),
        leader: leader.status(),
        reload: s.lastReload(),
        jobs,
        maskEmails: s.config().log.maskEmails,
      });
      return { ...view, notifications: s.notifications?.() ?? null };
    },
    runNow(name) {
      if (!units.has(name)) return 'unknown-job';
      return s.trigger(name, 'http');
    },
    reload: () => s.reload(),
    // Run now from the console is the same trigger as POST /jobs/<job>/run.
    console: consoleData(units, (name) => s.trigger(name, 'http')),
  };
}
