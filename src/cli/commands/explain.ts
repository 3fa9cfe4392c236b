/** `plan --explain <e-mail or Sync ID>`: a dry run per job, then why one person is in or out. */

import { explainJob } from '../../run/explain-run.js';
import { configureLocks } from '../../state/lock.js';
import { type CommonOptions, configArg, interruptSignal, load, selectJobs } from '../context.js';
import { formatReport, reportJson } from '../format.js';
import { explanationJson, formatExplanation } from '../format-explain.js';
import { cliLogger } from '../logger.js';
import { exitFor } from './run-job.js';

export async function explainCommand(key: string, opts: CommonOptions): Promise<number> {
  const { config } = load(opts);
  configureLocks(config.lock.staleMs);
  const jobs = selectJobs(config, opts.job);
  const logger = cliLogger(config, opts.logLevel);
  const signal = interruptSignal();
  const answers: unknown[] = [];
  let code = 0;
  for (const job of jobs) {
    const { report, explanation } = await explainJob(job, key, {
      trigger: 'cli',
      stateDir: config.stateDir,
      logger,
      signal,
    });
    // The worst job decides, as for plan: an error, then blocked, then changes pending.
    code = Math.max(code, exitFor(report));
    if (opts.json) {
      answers.push(
        explanation
          ? { job: job.name, outcome: report.outcome, person: explanationJson(explanation) }
          : { job: job.name, outcome: report.outcome, error: reportJson(report) },
      );
    } else {
      const text = explanation
        ? formatExplanation(explanation)
        : formatReport(report, { configArg: configArg(opts) });
      process.stdout.write(`${text}\n\n`);
    }
    if (signal.aborted) break;
  }
  if (opts.json)
    process.stdout.write(`${JSON.stringify(answers.length === 1 ? answers[0] : answers, null, 2)}\n`);
  return code;
}
