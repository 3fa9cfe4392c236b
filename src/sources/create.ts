/** Builds a job's Source objects from its config entries via the explicit registry. */
import path from 'node:path';
import type { JobConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import { SOURCE_DEFINITIONS } from './index.js';
import type { InputIdentity, Source } from './types.js';

/** What the run tells its sources (see SourceContext). */
export interface SourceRunOptions {
  /** `plan` / `check`: sources change nothing on disk. */
  readonly dryRun?: boolean | undefined;
  /** Per source name: the input the baseline came from (from the state); absent when unknown. */
  readonly acceptedInputs?: Readonly<Record<string, InputIdentity | undefined>> | undefined;
}

export function createSources(
  job: JobConfig,
  stateDir: string,
  logger: Logger,
  now: () => Date,
  run: SourceRunOptions = {},
): Source[] {
  return job.sources.map((entry) => {
    const def = SOURCE_DEFINITIONS.get(entry.kind as never);
    if (!def) {
      throw new ConfigError(`Unknown source kind "${entry.kind}"`, {
        place: `jobs[${job.name}].sources[${entry.name}].kind`,
        fix: `Use one of: ${[...SOURCE_DEFINITIONS.keys()].join(', ')}.`,
      });
    }
    const config = { ...entry.settings, name: entry.name } as never;
    return def.create(config, {
      job: job.name,
      stateDir: path.join(stateDir, job.name, 'sources', entry.name),
      logger: logger.child({ source: entry.name }),
      now,
      dryRun: run.dryRun,
      acceptedInput: run.acceptedInputs?.[entry.name],
    });
  });
}
