/** `run`: the long-running daemon (systemd service, Docker sidecar). Logs pino JSON to stdout. */
import path from 'node:path';
import type { AppConfig, LogLevel } from '../../config/schema.js';
import { startDaemon } from '../../daemon/daemon.js';
import { preloadMimClient } from '../../sinks/mim/sink.js';
import { SOURCE_DEFINITIONS } from '../../sources/index.js';
import { preloadLocks } from '../../state/lock.js';
import { createLogger } from '../../telemetry/logger.js';
import { type CommonOptions, load, selectJobs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { shellQuote } from '../quote.js';
import { packageVersion } from '../version.js';

/**
 * The daemon runs for months: it imports now what its runs need (each used source kind, the MIM
 * client, the lock library), which the one-shot commands import only on use, so a drop → push is
 * not slowed by loading them.
 */
async function preload(config: AppConfig): Promise<void> {
  const kinds = new Set(config.jobs.flatMap((j) => j.sources.map((s) => s.kind)));
  await Promise.all([
    ...[...kinds].map((k) => SOURCE_DEFINITIONS.get(k)?.load?.()),
    preloadMimClient(),
    preloadLocks(),
  ]);
}

export async function daemonCommand(opts: CommonOptions): Promise<number> {
  // --job narrows the daemon to one job (e.g. one service instance per site); a reload re-reads
  // the same file with the same narrowing.
  let file = '';
  const read = (): AppConfig => {
    const loaded = load(opts);
    file = loaded.file;
    return { ...loaded.config, jobs: selectJobs(loaded.config, opts.job) };
  };
  const config = read();
  // Notifications quote the approve command with this daemon's config file, absolute so it can be
  // pasted in any directory (hint.ts's repeatInvocation would import the command table: a cycle).
  const configPath = path.resolve(file);
  const approveCommand = (job: string, planId: string): string =>
    `mobileid-sync approve ${job} --plan ${planId} -c ${shellQuote(configPath)}`;
  const logger = createLogger({
    level: (opts.logLevel as LogLevel | undefined) ?? config.log.level,
    maskEmails: config.log.maskEmails,
    fd: 1,
  });
  await preload(config);
  const daemon = await startDaemon({
    config,
    registry: SOURCE_DEFINITIONS,
    logger,
    version: await packageVersion(),
    loadConfig: read,
    fixedLogLevel: opts.logLevel !== undefined,
    approveCommand,
  });
  const code = await daemon.finished;
  // Everything was closed; if a stray handle (a library timer) still holds the loop, do not hang.
  setTimeout(() => process.exit(code), 2_000).unref();
  return code === 0 ? EXIT.ok : code;
}
