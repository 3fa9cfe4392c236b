/** Builds a job's Source objects from its config entries via the explicit registry. */
import path from 'node:path';
import type { JobConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { InputIdentity, Source } from '../core/source.js';
import type { Logger } from '../telemetry/logger.js';
import { SOURCE_DEFINITIONS } from './index.js';

export interface CreateOptions {
  /** `plan` / `check`: sources change nothing on disk. */
  readonly dryRun?: boolean | undefined;
  /** The input each source (by name) delivered for the current baseline, when it is known. */
  readonly acceptedInputs?: ReadonlyMap<string, InputIdentity> | undefined;
}

/** The job's sources, each kind's implementation imported first (so `create` refuses bad settings here). */
export async function createSources(
  job: JobConfig,
  stateDir: string,
  logger: Logger,
  now: () => Date,
  options: CreateOptions = {},
): Promise<Source[]> {
  const sources: Source[] = [];
  for (const entry of job.sources) {
    const def = SOURCE_DEFINITIONS.get(entry.kind as never);
    if (!def) {
      throw new ConfigError(`Unknown source kind "${entry.kind}"`, {
        place: `jobs[${job.name}].sources[${entry.name}].kind`,
        fix: `Use one of: ${[...SOURCE_DEFINITIONS.keys()].join(', ')}.`,
      });
    }
    await def.load?.();
    const config = { ...entry.settings, name: entry.name } as never;
    sources.push(
      def.create(config, {
        job: job.name,
        stateDir: path.join(stateDir, job.name, 'sources', entry.name),
        logger: logger.child({ source: entry.name }),
        now,
        dryRun: options.dryRun,
        acceptedInput: options.acceptedInputs?.get(entry.name),
      }),
    );
  }
  return sources;
}
