/** `plan` (dry run) and `sync` (one run now) for one or all jobs. */

import { anyChannel } from '../../config/notify.js';
import type { AppConfig } from '../../config/schema.js';
import type { Notifier } from '../../notify/dispatcher.js';
import { consoleLink, notifyRun } from '../../run/notify-run.js';
import { type RunMode, type RunReport, runJob } from '../../run/run-job.js';
import { configureLocks } from '../../state/lock.js';
import { JobState } from '../../state/store.js';
import type { Logger } from '../../telemetry/logger.js';
import { type CommonOptions, configArg, interruptSignal, load, selectJobs } from '../context.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { formatReport, reportJson } from '../format.js';
import { cliLogger } from '../logger.js';

export interface RunJobOptions extends CommonOptions {
  readonly allowDeletes?: number | undefined;
  /** sync: push even though the baseline is unknown (a one-off, manual run only). */
  readonly acceptUnknownBaseline?: boolean | undefined;
  readonly all?: boolean | undefined;
}

export function exitFor(r: RunReport): number {
  if (r.error) return exitCodeFor(r.error.code);
  if (r.outcome === 'blocked') return EXIT.blocked;
  if (r.mode === 'plan' && r.outcome === 'planned') return EXIT.changesPending;
  return EXIT.ok;
}

/** The most serious exit code wins: errors, then blocked, then changes pending. */
function combine(codes: number[]): number {
  const rank = (c: number): number =>
    c === EXIT.ok ? 0 : c === EXIT.changesPending ? 1 : c === EXIT.blocked ? 2 : 3;
  return codes.reduce((a, b) => (rank(b) > rank(a) ? b : a), EXIT.ok);
}

/** How long `sync` waits for its notifications before it exits (retries included). */
const NOTIFY_WAIT_MS = 30_000;

/** `sync` notifies as the daemon does; nothing is loaded when no channel is configured. */
async function syncNotifier(config: AppConfig, logger: Logger): Promise<Notifier | null> {
  if (!anyChannel(config.notify)) return null;
  const { createNotifier } = await import('../../notify/dispatcher.js');
  return createNotifier(config.notify, { stateDir: config.stateDir, log: logger });
}

export async function runJobsCommand(mode: RunMode, opts: RunJobOptions): Promise<number> {
  const { config } = load(opts);
  configureLocks(config.lock.staleMs);
  const jobs = selectJobs(config, opts.job);
  const logger = cliLogger(config, opts.logLevel);
  const signal = interruptSignal();
  const reports: RunReport[] = [];
  const notifier = mode === 'sync' ? await syncNotifier(config, logger) : null;
  for (const job of jobs) {
    const report = await runJob(job, {
      mode,
      trigger: 'cli',
      stateDir: config.stateDir,
      logger,
      signal,
      approval:
        opts.allowDeletes !== undefined || opts.acceptUnknownBaseline
          ? { allowDeletes: opts.allowDeletes, acceptUnknownBaseline: opts.acceptUnknownBaseline }
          : undefined,
    });
    reports.push(report);
    if (notifier)
      await notifyRun(notifier, report, {
        state: new JobState(config.stateDir, job.name),
        project: job.mim.project,
        maskEmails: config.log.maskEmails,
        links: {
          approveCommand: (name, planId) =>
            `mobileid-sync approve ${name} --plan ${planId}${configArg(opts)}`,
          consoleUrl: (name) => consoleLink(config.notify.consoleUrl, name),
        },
      });
    if (!opts.json)
      process.stdout.write(
        `${formatReport(report, { limit: opts.all ? 0 : 50, configArg: configArg(opts) })}\n\n`,
      );
    if (signal.aborted) break;
  }
  if (notifier) {
    const cancelled = await notifier.drain(NOTIFY_WAIT_MS);
    await notifier.close();
    if (cancelled > 0)
      process.stderr.write(
        `${cancelled} notification(s) not confirmed within ${NOTIFY_WAIT_MS / 1000} s; \`mobileid-sync status\` shows each channel's last error.\n`,
      );
  }
  if (opts.json) {
    const body = reports.length === 1 ? reportJson(reports[0]!) : reports.map(reportJson);
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  }
  return combine(reports.map(exitFor));
}
