/**
 * The web console's data, gathered from the daemon's jobs (state files, runner, schedule) and its
 * actions (approve via run/approve-plan.ts, Run now via the trigger): what console/types.ts asks.
 */
import type {
  ConsoleBlocked,
  ConsoleData,
  ConsoleError,
  ConsoleJob,
  ConsoleRun,
  ConsoleSource,
  JobStateName,
} from '../console/types.js';
import { approvePlan } from '../run/approve-plan.js';
import { targetOf } from '../state/baseline.js';
import { plansDir, readPlanPage, storedPlans } from '../state/plan-log.js';
import type { BlockedPlan, HistoryEntry } from '../state/store.js';
import type { TriggerResult } from './job-runner.js';
import { type JobUnit, nextRunOf } from './job-unit.js';
import { recentRuns, snapshotFacts } from './status-view.js';

/** Runs the job page lists (the plan log keeps as many plans). */
const CONSOLE_RUNS = 20;
const CONSOLE_ERRORS = 5;

function stateOf(u: JobUnit, blocked: boolean): JobStateName {
  if (u.runner.running) return 'running';
  if (blocked) return 'blocked';
  return u.runner.consecutiveFailures > 0 ? 'failing' : 'idle';
}

const word = (name: string): RegExp =>
  new RegExp(`(^|[^\\w-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w-])`);

/** The latest read of each source, with the last error that names it (or, with one source, any). */
function sourcesOf(u: JobUnit, history: readonly HistoryEntry[]): ConsoleSource[] {
  const last = history.findLast((h) => h.sources && h.sources.length > 0);
  const failed = history.filter((h) => h.outcome === 'failed' && h.error);
  const only = u.job.sources.length === 1;
  return (last?.sources ?? []).map((s) => {
    const hit = failed.findLast(
      (h) => only || word(s.source).test(`${h.error?.place ?? ''} ${h.error?.message ?? ''}`),
    );
    return {
      source: s.source,
      description: s.description,
      input: s.input,
      total: s.total,
      valid: s.valid,
      at: last?.endedAt ?? '',
      ...(hit?.error && hit.endedAt > (last?.endedAt ?? '')
        ? { lastError: { message: hit.error.message, at: hit.endedAt } }
        : {}),
    };
  });
}

function errorsOf(history: readonly HistoryEntry[]): ConsoleError[] {
  return history
    .filter((h) => h.error)
    .slice(-CONSOLE_ERRORS)
    .reverse()
    .map((h) => ({
      at: h.endedAt,
      runId: h.runId,
      code: h.error!.code,
      message: h.error!.message,
      place: h.error!.place,
      fix: h.error!.fix,
    }));
}

/**
 * The blocked plan, linked to the newest stored run that computed it: blocked.json keeps the run
 * that first blocked, whose stored plan is pruned after 20 runs while every later run re-computes
 * (and stores) the same plan.
 */
function blockedView(
  blocked: BlockedPlan,
  history: readonly HistoryEntry[],
  stored: ReadonlySet<string>,
): ConsoleBlocked {
  const same = history.filter((h) => h.plan?.id === blocked.planId).map((h) => h.runId);
  const runId = [...same.reverse(), blocked.runId].find((id) => stored.has(id));
  return { ...blocked, runId: runId ?? blocked.runId, planStored: runId !== undefined };
}

async function consoleJob(u: JobUnit): Promise<ConsoleJob> {
  const dir = plansDir(u.state.dir);
  const [history, blocked, baseline, stored] = await Promise.all([
    u.state.readHistory(CONSOLE_RUNS).catch(() => [] as HistoryEntry[]),
    u.state.readBlocked().catch(() => null),
    u.state.viewBaseline(targetOf(u.job)),
    storedPlans(dir),
  ]);
  const runs: ConsoleRun[] = recentRuns(history, u.runner.recent, CONSOLE_RUNS).map((r) => ({
    ...r,
    planStored: stored.has(r.runId),
  }));
  const running = u.runner.running;
  return {
    name: u.job.name,
    project: u.job.mim.project,
    state: stateOf(u, blocked !== null),
    nextRun: nextRunOf(u),
    running: running
      ? { runId: running.runId, trigger: running.trigger, startedAt: running.startedAt.toISOString() }
      : null,
    queued: u.runner.queued,
    consecutiveFailures: u.runner.consecutiveFailures,
    baseline: baseline.known
      ? { known: true, ...snapshotFacts(baseline) }
      : { known: false, detail: baseline.detail },
    blocked: blocked ? blockedView(blocked, history, stored) : null,
    runs,
    sources: sourcesOf(u, history),
    errors: errorsOf(history),
  };
}

export function consoleData(
  units: ReadonlyMap<string, JobUnit>,
  trigger: (name: string) => TriggerResult,
): ConsoleData {
  return {
    jobNames: () => [...units.keys()],
    jobs: () => Promise.all([...units.values()].map(consoleJob)),
    job: async (name) => {
      const u = units.get(name);
      return u ? consoleJob(u) : null;
    },
    plan: async (name, runId, section, page, size) => {
      const u = units.get(name);
      if (!u) return { kind: 'not-stored', why: 'there is no such job' };
      return readPlanPage(plansDir(u.state.dir), runId, section, page, size);
    },
    approve: async (name, planId, by) => {
      const u = units.get(name);
      if (!u) return 'unknown-job';
      return approvePlan({ job: u.job, state: u.state, planId, by, now: new Date() });
    },
    runNow: (name) => (units.has(name) ? trigger(name) : 'unknown-job'),
  };
}
