/** `check`: tests every source connection and credential and MIM's reachability, changing nothing. */
import type { JobConfig } from '../../config/schema.js';
import type { CheckResult } from '../../core/source.js';
import { createMimSink } from '../../sinks/mim/sink.js';
import { createSources } from '../../sources/create.js';
import type { Logger } from '../../telemetry/logger.js';
import { type CommonOptions, interruptSignal, load, selectJobs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { cliLogger } from '../logger.js';

function printCheck(title: string, r: CheckResult): boolean {
  process.stdout.write(`  ${title}: ${r.ok ? 'OK' : 'FAILED'}\n`);
  for (const line of r.lines) process.stdout.write(`    ${line}\n`);
  return r.ok;
}

/** Checks one job's sources and MIM, printing each result; `init` runs it on the config it is about to write. */
export async function checkJob(
  job: JobConfig,
  stateDir: string,
  logger: Logger,
  signal: AbortSignal,
): Promise<boolean> {
  let allOk = true;
  process.stdout.write(`Job ${job.name}\n`);
  const sources = await createSources(job, stateDir, logger, () => new Date(), { dryRun: true });
  try {
    for (const s of sources)
      allOk = printCheck(`source ${s.name} (${s.kind})`, await s.check(signal)) && allOk;
  } finally {
    await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
  }
  const sink = createMimSink(job.mim, { tokenPlace: `jobs[${job.name}].mim.token` });
  try {
    allOk = printCheck(sink.description, await sink.check(signal)) && allOk;
  } finally {
    await sink.close();
  }
  return allOk;
}

export async function checkCommand(opts: CommonOptions): Promise<number> {
  const { config } = load(opts);
  const logger = cliLogger(config, opts.logLevel);
  const signal = interruptSignal();
  let ok = true;
  for (const job of selectJobs(config, opts.job))
    ok = (await checkJob(job, config.stateDir, logger, signal)) && ok;
  process.stdout.write(ok ? 'All checks passed.\n' : 'Some checks failed (see above).\n');
  return ok ? EXIT.ok : EXIT.unavailable;
}
