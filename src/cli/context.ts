/** What every command needs: parsed options, the loaded config, a logger, and a cancel signal. */
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG_PATHS, loadConfig } from '../config/load.js';
import type { AppConfig, JobConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import { SOURCE_DEFINITIONS } from '../sources/index.js';
import { shellQuote } from './quote.js';

export interface CommonOptions {
  readonly config?: string | undefined;
  readonly job?: string | undefined;
  readonly json?: boolean | undefined;
  readonly logLevel?: string | undefined;
}

export function resolveConfigPath(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (explicit) return explicit;
  if (env.MOBILEID_SYNC_CONFIG) return env.MOBILEID_SYNC_CONFIG;
  const found = DEFAULT_CONFIG_PATHS.find((p) => existsSync(p));
  if (found) return found;
  throw new ConfigError('No config file given and none found', {
    place: DEFAULT_CONFIG_PATHS.join(', '),
    fix: 'Pass --config <file> or set MOBILEID_SYNC_CONFIG (start from config/example.json5).',
  });
}

/** ` -c <file>` as the command was given it, so a printed hint can be copied as is. */
export function configArg(opts: CommonOptions): string {
  return opts.config ? ` -c ${shellQuote(opts.config)}` : '';
}

export function load(opts: CommonOptions): { config: AppConfig; file: string } {
  const file = resolveConfigPath(opts.config);
  return { config: loadConfig(file, { registry: SOURCE_DEFINITIONS }), file };
}

export function selectJobs(config: AppConfig, name: string | undefined): JobConfig[] {
  if (!name) return [...config.jobs];
  const job = config.jobs.find((j) => j.name === name);
  if (!job) {
    throw new ConfigError(`No job named "${name}"`, {
      place: '--job',
      fix: `Use one of: ${config.jobs.map((j) => j.name).join(', ')}.`,
    });
  }
  return [job];
}

/**
 * An AbortSignal fired by the first SIGINT/SIGTERM; a second one exits at once. The listeners stay
 * installed (`on`, not `once`): proper-lockfile's signal-exit re-raises a signal to kill the
 * process when it finds itself the only listener left, which turned a graceful first Ctrl-C into
 * an abrupt death once the lock library was loaded lazily (after these listeners).
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${sig}: stopping after the current step (again to quit at once)\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
