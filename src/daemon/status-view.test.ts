import { describe, expect, it } from 'vitest';
import { type BaselineFacts, baselineFacts, type Snapshot, type Target } from '../state/baseline.js';
import type { HistoryEntry } from '../state/store.js';
import type { LeaderStatus } from './leader.js';
import type { RunSummary } from './run-summary.js';
import {
  daemonStatusView,
  type JobFacts,
  jobStatusView,
  MAX_CONSECUTIVE_FAILURES,
  type ReadinessFacts,
  readinessView,
  recentRuns,
  STATUS_RUNS,
} from './status-view.js';

const target: Target = { baseUrl: 'https://mim.example', project: 'demo', job: 'main' };

function entry(runId: string, startedAt: string, extra: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    runId,
    job: 'main',
    trigger: 'schedule',
    startedAt,
    endedAt: startedAt,
    outcome: 'applied',
    durationMs: 5,
    ...extra,
  };
}

function summary(runId: string, startedAt: string): RunSummary {
  return { runId, trigger: 'http', startedAt, endedAt: startedAt, durationMs: 7, outcome: 'unchanged' };
}

const snapshot = {
  seq: 4,
  pushedAt: '2026-01-02T03:04:05.000Z',
  records: [{}, {}, {}],
} as unknown as Snapshot;

const unknownBaseline: BaselineFacts = {
  known: false,
  id: 'unknown',
  reason: 'missing',
  detail: 'there is no snapshot',
  place: '/state/main/snapshot.json',
};

function facts(over: Partial<JobFacts> = {}): JobFacts {
  return {
    job: 'main',
    project: 'demo',
    target,
    runner: { running: null, queued: null, consecutiveFailures: 0, recent: [] },
    schedule: null,
    nextRun: null,
    watching: [],
    lastSuccessAt: undefined,
    history: [],
    blocked: null,
    baseline: unknownBaseline,
    ...over,
  };
}

const leader: LeaderStatus = {
  role: 'active',
  since: '2026-01-01T00:00:00.000Z',
  lock: '/state/daemon.lock',
  staleMs: 30_000,
  active: { host: 'h1', pid: 42, startedAt: '2026-01-01T00:00:00.000Z' },
  takeovers: 0,
};

describe('recentRuns', () => {
  it('merges the history with runs not written yet, newest first, one per run id', () => {
    const history = [entry('a', '2026-01-01T00:00:01Z'), entry('b', '2026-01-01T00:00:03Z')];
    const recent = [summary('b', '2026-01-01T00:00:03Z'), summary('c', '2026-01-01T00:00:02Z')];
    const runs = recentRuns(history, recent, 10);
    expect(runs.map((r) => [r.runId, r.trigger])).toEqual([
      ['b', 'schedule'],
      ['c', 'http'],
      ['a', 'schedule'],
    ]);
    expect(recentRuns(history, recent, 2).map((r) => r.runId)).toEqual(['b', 'c']);
  });
});

describe('jobStatusView', () => {
  it('shows an idle job with an unknown baseline', () => {
    expect(JSON.stringify(jobStatusView(facts()))).toBe(
      JSON.stringify({
        job: 'main',
        project: 'demo',
        running: null,
        queued: null,
        nextRun: null,
        schedule: null,
        watching: [],
        consecutiveFailures: 0,
        lastSuccessAt: null,
        baseline: { known: false, target, reason: 'missing', detail: 'there is no snapshot' },
        pendingApproval: null,
        runs: [],
      }),
    );
  });

  it('shows a running job with its schedule, known baseline and at most STATUS_RUNS runs', () => {
    const history = Array.from({ length: STATUS_RUNS + 3 }, (_, i) =>
      entry(`h${i}`, `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`, {
        error: { code: 'X', message: 'boom', fix: 'f', place: 'p' },
      }),
    );
    const view = jobStatusView(
      facts({
        runner: {
          running: { runId: 'r1', trigger: 'watch', startedAt: new Date('2026-01-01T01:00:00Z') },
          queued: 'http',
          consecutiveFailures: 2,
          recent: [],
        },
        schedule: { cron: '*/5 * * * *', jitterSeconds: 30 },
        nextRun: '2026-01-01T01:05:00.000Z',
        watching: ['/drop'],
        lastSuccessAt: '2026-01-01T00:30:00.000Z',
        history,
        baseline: baselineFacts({ known: true, id: '4:abc', snapshot }),
      }),
    );
    expect(view.running).toEqual({ runId: 'r1', trigger: 'watch', startedAt: '2026-01-01T01:00:00.000Z' });
    expect(view).toMatchObject({ queued: 'http', consecutiveFailures: 2, watching: ['/drop'] });
    expect(JSON.stringify(view.baseline)).toBe(
      JSON.stringify({ known: true, target, seq: 4, users: 3, pushedAt: '2026-01-02T03:04:05.000Z' }),
    );
    expect(view.runs).toHaveLength(STATUS_RUNS);
    expect(view.runs[0]).toMatchObject({
      runId: `h${STATUS_RUNS + 2}`,
      error: { code: 'X', message: 'boom' },
    });
    expect(view.runs[0]?.error).toEqual({ code: 'X', message: 'boom' });
  });
});

describe('daemonStatusView', () => {
  it('masks e-mails everywhere when asked to', () => {
    const job = jobStatusView(
      facts({
        history: [
          entry('a', '2026-01-01T00:00:00Z', {
            error: { code: 'E', message: 'bad "ada@example.com"', fix: '' },
          }),
        ],
      }),
    );
    const base = {
      version: '1.2.3',
      pid: 7,
      startedAt: new Date(0),
      stopping: false,
      leader,
      reload: null,
      jobs: [job],
    };
    const plain = daemonStatusView({ ...base, maskEmails: false });
    expect(Object.keys(plain)).toEqual([
      'version',
      'pid',
      'startedAt',
      'stopping',
      'role',
      'leader',
      'config',
      'jobs',
    ]);
    expect(plain).toMatchObject({ startedAt: '1970-01-01T00:00:00.000Z', role: 'active' });
    expect(JSON.stringify(plain)).toContain('ada@example.com');
    expect(JSON.stringify(daemonStatusView({ ...base, maskEmails: true }))).not.toContain('ada@example.com');
  });

  it('shows a refused reload with its key, message and fix', () => {
    const view = daemonStatusView({
      version: '1.2.3',
      pid: 7,
      startedAt: new Date(0),
      stopping: false,
      leader,
      jobs: [],
      maskEmails: false,
      reload: {
        outcome: 'refused',
        at: '2026-01-01T00:00:00.000Z',
        trigger: 'sighup',
        error: {
          message: 'The cron expression "nope" is not valid',
          place: 'jobs[main].schedule.cron',
          fix: 'Use five fields.',
        },
      },
    });
    expect(view.config.reload?.summary).toBe(
      'config: reload refused at 2026-01-01T00:00:00.000Z: jobs[main].schedule.cron: The cron expression "nope" is not valid (fix: Use five fields.); still running on the previous config',
    );
  });
});

describe('readinessView', () => {
  const ok: ReadinessFacts = {
    stateDir: '/state',
    stateDirProblem: null,
    jobs: [{ job: 'main', consecutiveFailures: MAX_CONSECUTIVE_FAILURES, lastError: undefined }],
    stopping: false,
    leader,
    maskEmails: false,
  };

  it('is ready with a writable state dir and no long failure streak', () => {
    expect(readinessView(ok)).toEqual({
      ready: true,
      role: 'active',
      checks: [
        { name: 'config', ok: true },
        { name: 'stateDir', ok: true },
        { name: 'job:main', ok: true },
        { name: 'role', ok: true, detail: 'active: this daemon runs the jobs' },
      ],
    });
  });

  it('names every failing check; a standby is ready', () => {
    const r = readinessView({
      ...ok,
      stateDirProblem: 'EACCES',
      jobs: [
        {
          job: 'main',
          consecutiveFailures: MAX_CONSECUTIVE_FAILURES + 1,
          lastError: { code: 'MIM_REJECTED', message: 'bad "ada@example.com"' },
        },
      ],
      stopping: true,
      leader: { ...leader, role: 'standby' },
      maskEmails: true,
    });
    expect(r.ready).toBe(false);
    expect(r.role).toBe('standby');
    expect(r.checks).toEqual([
      { name: 'config', ok: true },
      { name: 'stateDir', ok: false, detail: '/state is not writable (EACCES)' },
      {
        name: 'job:main',
        ok: false,
        detail: expect.stringMatching(
          /^failed 4 runs in a row \(last: MIM_REJECTED: bad "a\*\*\*@example.com"\)$/,
        ),
      },
      { name: 'daemon', ok: false, detail: 'shutting down' },
      { name: 'role', ok: true, detail: 'standby: process 42 on host "h1" is active' },
    ]);
    expect(
      readinessView({ ...ok, leader: { ...leader, role: 'standby', active: null } }).checks.at(-1),
    ).toEqual({
      name: 'role',
      ok: true,
      detail: 'standby: another daemon is active',
    });
  });
});
