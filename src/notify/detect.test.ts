import { describe, expect, it } from 'vitest';
import { failingEvent, POLICY, person } from '../../test/helpers/notify-events.js';
import type { HistoryEntry } from '../state/store.js';
import { digestOf, eventsOfRun, expiringApprovals, type NotifyLinks } from './detect.js';
import type { RunFacts } from './facts.js';
import { decide, EMPTY_DEDUP } from './policy.js';
import type { DedupState } from './types.js';

const LINKS: NotifyLinks = {
  approveCommand: (job, planId) => `mobileid-sync approve ${job} --plan ${planId} -c /etc/m.json5`,
  consoleUrl: (job) => `http://127.0.0.1:9464/console/jobs/${job}`,
};

function facts(over: Partial<RunFacts> = {}): RunFacts {
  return {
    job: 'main',
    project: 'Acme HQ',
    runId: 'run-1',
    outcome: 'applied',
    endedAt: '2026-03-02T10:00:00.000Z',
    guard: null,
    plan: { id: 'p-1', counts: { adds: 1, updates: 0, deletes: 30, unchanged: 70 } },
    baselineId: 'b-1',
    topDeletes: [person(1)],
    outcomeUnknown: false,
    error: null,
    consecutiveFailures: 0,
    failingSince: null,
    lastSuccessAt: '2026-03-01T10:00:00.000Z',
    ...over,
  };
}

const ERROR = { code: 'SOURCE_UNAVAILABLE', message: 'LDAP down', fix: 'Start it.' };

function failed(n: number, since = '2026-03-02T09:50:00.000Z', over: Partial<RunFacts> = {}): RunFacts {
  return facts({ outcome: 'failed', error: ERROR, consecutiveFailures: n, failingSince: since, ...over });
}

describe('eventsOfRun', () => {
  it('a run blocked for approval: plan, reasons, top deletes and the exact approve command', () => {
    const f = facts({ outcome: 'blocked', guard: { kind: 'approval', reasons: ['30 deletes exceed 10'] } });
    expect(eventsOfRun(f, EMPTY_DEDUP, POLICY, LINKS)).toEqual([
      {
        kind: 'blocked',
        at: f.endedAt,
        job: 'main',
        project: 'Acme HQ',
        runId: 'run-1',
        guardKind: 'approval',
        planId: 'p-1',
        baselineId: 'b-1',
        reasons: ['30 deletes exceed 10'],
        counts: f.plan!.counts,
        topDeletes: [person(1)],
        approveCommand: 'mobileid-sync approve main --plan p-1 -c /etc/m.json5',
        consoleUrl: 'http://127.0.0.1:9464/console/jobs/main',
      },
    ]);
  });

  it('a hard stop offers no approve command', () => {
    const f = facts({ outcome: 'blocked', guard: { kind: 'hard-stop', reasons: ['empty source'] } });
    expect(eventsOfRun(f, EMPTY_DEDUP, POLICY, LINKS)[0]).toMatchObject({
      guardKind: 'hard-stop',
      approveCommand: null,
    });
  });

  it('failing after failingAfterRuns runs in a row, not before', () => {
    expect(eventsOfRun(failed(2), EMPTY_DEDUP, POLICY, LINKS)).toEqual([]);
    expect(eventsOfRun(failed(3), EMPTY_DEDUP, POLICY, LINKS)).toEqual([
      expect.objectContaining({
        kind: 'failing',
        consecutiveFailures: 3,
        error: ERROR,
        failingSince: '2026-03-02T09:50:00.000Z',
      }),
    ]);
  });

  it('failing below the run count once it has failed for failingAfterMs', () => {
    const long = failed(1, '2026-03-02T08:59:00.000Z');
    expect(eventsOfRun(long, EMPTY_DEDUP, POLICY, LINKS).map((e) => e.kind)).toEqual(['failing']);
  });

  it('an unknown upload outcome is its own event', () => {
    const f = failed(1, undefined, {
      outcomeUnknown: true,
      error: { ...ERROR, message: 'socket hang up', place: 'https://mim' },
    });
    expect(eventsOfRun(f, EMPTY_DEDUP, POLICY, LINKS)).toEqual([
      expect.objectContaining({ kind: 'unknown-outcome', detail: 'socket hang up [https://mim]' }),
    ]);
  });

  it('recovered only after a notified condition, naming it and since when', () => {
    expect(eventsOfRun(facts(), EMPTY_DEDUP, POLICY, LINKS)).toEqual([]);
    const state: DedupState = decide(
      EMPTY_DEDUP,
      failingEvent(),
      new Date('2026-03-02T09:00:00.000Z'),
      POLICY,
    ).state;
    expect(eventsOfRun(facts({ outcome: 'unchanged' }), state, POLICY, LINKS)).toEqual([
      expect.objectContaining({
        kind: 'recovered',
        outcome: 'unchanged',
        after: 'failing',
        since: '2026-03-02T09:00:00.000Z',
      }),
    ]);
    expect(eventsOfRun(facts({ job: 'other' }), state, POLICY, LINKS)).toEqual([]);
  });
});

describe('expiringApprovals', () => {
  const now = new Date('2026-03-02T10:00:00.000Z');
  const plan = (expiresAt: string | null) => ({
    job: 'main',
    project: 'Acme HQ',
    blocked: { planId: 'p-1', ...(expiresAt ? { approval: { by: 'alice', expiresAt } } : {}) },
  });

  it('warns of an approval running out within approvalWarningMs, not of one expired, far off or absent', () => {
    const events = expiringApprovals(
      [
        plan('2026-03-02T11:00:00.000Z'),
        plan('2026-03-02T09:59:00.000Z'),
        plan('2026-03-02T13:00:00.000Z'),
        plan(null),
        { job: 'x', project: 'y', blocked: null },
      ],
      now,
      POLICY,
      LINKS,
    );
    expect(events).toEqual([
      {
        kind: 'approval-expiring',
        at: now.toISOString(),
        job: 'main',
        project: 'Acme HQ',
        planId: 'p-1',
        approvedBy: 'alice',
        expiresAt: '2026-03-02T11:00:00.000Z',
        consoleUrl: 'http://127.0.0.1:9464/console/jobs/main',
      },
    ]);
  });
});

describe('digestOf', () => {
  const h = (outcome: HistoryEntry['outcome'], endedAt: string, deletes = 0): HistoryEntry => ({
    runId: endedAt,
    job: 'main',
    trigger: 'schedule',
    startedAt: endedAt,
    endedAt,
    outcome,
    durationMs: 1,
    plan: { id: 'p', adds: 1, updates: 2, deletes, unchanged: 5, carried: 0 },
  });

  it('counts runs and applied changes since the last digest, and says the last outcome', () => {
    const d = digestOf(
      [
        {
          job: 'main',
          project: 'Acme HQ',
          users: 120,
          blocked: false,
          history: [
            h('applied', '2026-03-01T09:00:00.000Z', 9), // before `since`
            h('applied', '2026-03-01T12:00:00.000Z', 1),
            h('unchanged', '2026-03-01T13:00:00.000Z'),
            h('blocked', '2026-03-01T14:00:00.000Z', 50),
            h('failed', '2026-03-02T09:00:00.000Z'),
          ],
        },
      ],
      '2026-03-01T10:00:00.000Z',
      new Date('2026-03-02T10:00:00.000Z'),
    );
    expect(d).toEqual({
      kind: 'digest',
      at: '2026-03-02T10:00:00.000Z',
      since: '2026-03-01T10:00:00.000Z',
      jobs: [
        {
          job: 'main',
          project: 'Acme HQ',
          lastOutcome: 'failed',
          lastSuccessAt: '2026-03-01T13:00:00.000Z',
          runs: { applied: 1, unchanged: 1, blocked: 1, failed: 1 },
          changes: { adds: 1, updates: 2, deletes: 1 },
          users: 120,
          blocked: false,
        },
      ],
    });
  });
});
