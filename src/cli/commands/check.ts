/** `check`: tests every source connection and credential and MIM's reachability, changing nothing. */
import { request } from 'undici';
import type { JobConfig } from '../../config/schema.js';
import { errorText } from '../../core/errors.js';
import { syncUrl } from '../../sinks/mim/client.js';
import { createSources } from '../../sources/create.js';
import type { Logger } from '../../telemetry/logger.js';
import { type CommonOptions, cliLogger, interruptSignal, load, selectJobs } from '../context.js';
import { EXIT } from '../exit-codes.js';

async function checkMim(job: JobConfig, signal: AbortSignal): Promise<{ ok: boolean; lines: string[] }> {
  const url = syncUrl(job.mim);
  const lines: string[] = [];
  let ok = true;
  if (!job.mim.token) {
    ok = false;
    lines.push(`no token configured (mim.token / mim.tokenFile) — uploads would fail`);
  } else lines.push('token configured (MIM offers no read-only call to verify it; the first sync does)');
  try {
    const res = await request(new URL('/', job.mim.baseUrl), {
      method: 'GET',
      signal: AbortSignal.any([signal, AbortSignal.timeout(job.mim.connectTimeoutMs)]),
    });
    await res.body.dump();
    lines.push(`${job.mim.baseUrl} reachable (HTTP ${res.statusCode}); uploads go to ${url}`);
  } catch (e) {
    ok = false;
    lines.push(
      `${job.mim.baseUrl} NOT reachable: ${errorText(e)} — check mim.baseUrl, DNS, proxy and firewall`,
    );
  }
  return { ok, lines };
}

async function checkJob(
  job: JobConfig,
  stateDir: string,
  logger: Logger,
  signal: AbortSignal,
): Promise<boolean> {
  let allOk = true;
  process.stdout.write(`Job ${job.name}\n`);
  const sources = createSources(job, stateDir, logger, () => new Date(), { dryRun: true });
  try {
    for (const s of sources) {
      const r = await s.check(signal);
      allOk &&= r.ok;
      process.stdout.write(`  source ${s.name} (${s.kind}): ${r.ok ? 'OK' : 'FAILED'}\n`);
      for (const line of r.lines) process.stdout.write(`    ${line}\n`);
    }
  } finally {
    await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
  }
  const mim = await checkMim(job, signal);
  allOk &&= mim.ok;
  process.stdout.write(`  MIM project ${job.mim.project}: ${mim.ok ? 'OK' : 'FAILED'}\n`);
  for (const line of mim.lines) process.stdout.write(`    ${line}\n`);
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
