import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { loadConfigData } from '../config/load.js';
import { SOURCE_DEFINITIONS } from '../sources/index.js';
import { targetOf } from '../state/baseline.js';
import { plansDir, writePlanLog } from '../state/plan-log.js';
import { type HistoryEntry, JobState } from '../state/store.js';
import { consoleData } from './console-data.js';
import { JobRunner } from './job-runner.js';
import type { JobUnit } from './job-unit.js';

it("links a blocked plan to the newest stored run that computed it, once the first blocked run's plan is pruned", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'console-data-'));
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
  const state = new JobState(config.stateDir, job.name);
  await state.ensureDir();
  const [first, later, newest] = [randomUUID(), randomUUID(), randomUUID()];
  const at = new Date().toISOString();
  await state.writeBlocked({
    version: 2,
    target: targetOf(job),
    planId: 'plan-abc',
    baselineId: 'b',
    blockedAt: at,
    runId: first, // its plan file was pruned long ago
    reasons: ['30 deletes'],
    adds: 0,
    updates: 0,
    deletes: 30,
  });
  const run = (runId: string, planId: string): HistoryEntry => ({
    runId,
    job: 'main',
    trigger: 'schedule',
    startedAt: at,
    endedAt: at,
    durationMs: 1,
    outcome: 'blocked',
    plan: { id: planId, adds: 0, updates: 0, deletes: 30, unchanged: 0, carried: 0 },
  });
  await state.appendHistory(run(later, 'plan-abc'));
  await state.appendHistory(run(newest, 'plan-other-then-back'));
  const header = {
    job: 'main',
    planId: 'plan-abc',
    baselineId: 'b',
    outcome: 'blocked',
    at,
    rejectedTotal: 0,
  };
  const sections = { adds: [], updates: [], deletes: [], rejections: [] };
  await writePlanLog(plansDir(state.dir), { ...header, runId: later }, sections);
  await writePlanLog(
    plansDir(state.dir),
    { ...header, runId: newest, planId: 'plan-other-then-back' },
    sections,
  );
  const unit: JobUnit = {
    job,
    state,
    runner: new JobRunner(job.name, { run: () => new Promise(() => undefined), onFinish: () => undefined }),
    schedule: null,
    watch: null,
    lastSuccessAt: undefined,
  };
  const view = await consoleData(new Map([['main', unit]]), () => 'started').job('main');
  expect(view?.blocked).toMatchObject({ planId: 'plan-abc', runId: later, planStored: true });
});
