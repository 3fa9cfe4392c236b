import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { consoleJob, idleUnit } from '../../test/helpers/console-job.js';
import { targetOf } from '../state/baseline.js';
import { plansDir, writePlanLog } from '../state/plan-log.js';
import type { HistoryEntry } from '../state/store.js';
import { consoleData } from './console-data.js';

it("links a blocked plan to the newest stored run that computed it, once the first blocked run's plan is pruned", async () => {
  const { job, state } = consoleJob('console-data-');
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
  const view = await consoleData(new Map([['main', idleUnit(job, state)]]), () => 'started').job('main');
  expect(view?.blocked).toMatchObject({ planId: 'plan-abc', runId: later, planStored: true });
});
