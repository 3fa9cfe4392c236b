/** `plan` (dry run) and `sync` (one run now) for one or all jobs. */

import { type RunMode, type RunReport, runJob } from '../../run/run-job.js';
import { configureLocks } from '../../state/lock.js';
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

export async function runJobsCommand(mode: RunMode, opts: RunJobOptions): Promise<number> {
  const { config } = load(opts);
  configureLocks(config.lock.staleMs);
  const jobs = selectJobs(config, opts.job);
  const logger = cliLogger(config, opts.logLevel);
  const signal = interruptSignal();
  const reports: RunReport[] = [];
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
    if (!opts.json)
      process.stdout.write(
        `${formatReport(report, { limit: opts.all ? 0 : 50, configArg: configArg(opts) })}\n\n`,
      );
    if (signal.aborted) break;
  }
  if (opts.json) {
    const body = reports.length === 1 ? reportJson(reports[0]!) : reports.map(reportJson);
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  }
  return combine(reports.map(exitFor));
}
