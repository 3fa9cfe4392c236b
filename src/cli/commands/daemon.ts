/** `run`: the long-running daemon (systemd service, Docker sidecar). Logs pino JSON to stdout. */
import { readFile } from 'node:fs/promises';
import type { LogLevel } from '../../config/schema.js';
import { startDaemon } from '../../daemon/daemon.js';
import { SOURCE_DEFINITIONS } from '../../sources/index.js';
import { createLogger } from '../../telemetry/logger.js';
import { type CommonOptions, load, selectJobs } from '../context.js';
import { EXIT } from '../exit-codes.js';

async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

export async function daemonCommand(opts: CommonOptions): Promise<number> {
  const { config: loaded } = load(opts);
  // --job narrows the daemon to one job (e.g. one service instance per site).
  const config = { ...loaded, jobs: selectJobs(loaded, opts.job) };
  const logger = createLogger({
    level: (opts.logLevel as LogLevel | undefined) ?? config.log.level,
    maskEmails: config.log.maskEmails,
    fd: 1,
  });
  const daemon = await startDaemon({
    config,
    registry: SOURCE_DEFINITIONS,
    logger,
    version: await packageVersion(),
  });
  const code = await daemon.finished;
  // Everything was closed; if a stray handle (a library timer) still holds the loop, do not hang.
  setTimeout(() => process.exit(code), 2_000).unref();
  return code === 0 ? EXIT.ok : code;
}
