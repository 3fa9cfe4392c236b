/**
 * One csv-folder job in a fresh temp dir, and the daemon's unit for it with an idle runner: what
 * the console's data and routes tests read and write through.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigData } from '../../src/config/load.js';
import type { JobConfig } from '../../src/config/schema.js';
import { JobRunner } from '../../src/daemon/job-runner.js';
import type { JobUnit } from '../../src/daemon/job-unit.js';
import { SOURCE_DEFINITIONS } from '../../src/sources/index.js';
import { JobState } from '../../src/state/store.js';

export function consoleJob(prefix: string): { dir: string; job: JobConfig; state: JobState } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  mkdirSync(path.join(dir, 'drop'));
  const config = loadConfigData(
    {
      stateDir: './state',
      jobs: [
        {
          name: 'main',
          mim: { baseUrl: 'http://127.0.0.1:9', project: 'demo', token: 'mim-token-0123456789' },
          sources: [{ name: 'hr', kind: 'csv-folder', folder: './drop' }],
        },
      ],
    },
    path.join(dir, 'config.json'),
    { registry: SOURCE_DEFINITIONS, env: {} },
  );
  const job = config.jobs[0]!;
  return { dir, job, state: new JobState(config.stateDir, job.name) };
}

/** The job as the daemon holds it, with a runner that never finishes a run (none is started). */
export function idleUnit(job: JobConfig, state: JobState): JobUnit {
  return {
    job,
    state,
    runner: new JobRunner(job.name, { run: () => new Promise(() => undefined), onFinish: () => undefined }),
    schedule: null,
    watch: null,
    lastSuccessAt: undefined,
  };
}
