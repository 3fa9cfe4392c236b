import { describe, expect, it } from 'vitest';
import { pushed } from '../../test/helpers/records.js';
import { SourceUnavailableError } from '../core/errors.js';
import type { BuildResult } from '../pipeline/index.js';
import type { RunReport } from '../run/report.js';
import type { HistoryEntry } from '../state/store.js';
import { NO_STREAK, nextStreak, runFacts, streakOfHistory } from './facts.js';
import { TOP_DELETES } from './types.js';

const OPTS = { project: 'Acme HQ', maskEmails: false };

function report(over: Partial<RunReport> = {}): RunReport {
  return {
    runId: 'run-1',
    job: 'main',
    mode: 'sync',
    trigger: 'schedule',
    outcome: 'applied',
    startedAt: '2026-03-02T10:00:00.000Z',
    endedAt: '2026-03-02T10:00:05.000Z',
    durationMs: 5000,
    sources: [],
    pushNeeded: true,
    firstPush: false,
    pendingFromCrash: false,
    warnings: [],
    ...over,
  };
}

/** A build whose plan deletes `n` people (only the fields notifications read). */
function buildDeleting(n: number): BuildResult {
  const deletes = Array.from({ length: n }, (_, i) => pushed(i + 1));
  return {
    plan: { id: 'p-1', adds: [], updates: [], deletes, unchanged: 90, maybeDeletes: [] },
  } as unknown as BuildResult;
}

describe('runFacts', () => {
  const blocked = report({
    outcome: 'blocked',
    build: buildDeleting(25),
    guard: {
      ok: false,
      kind: 'needs-approval',
      reasons: [{ code: 'too-many-deletes', message: '25 deletes exceed guard.maxDeletes (10)' }],
    },
    baseline: {
      target: { baseUrl: 'https://mim.example', project: 'Acme HQ', job: 'main' },
      known: true,
      id: 'b-1',
      seq: 3,
      users: 115,
      pushedAt: '2026-03-01T00:00:00.000Z',
    },
  });

  it('gives a blocked run its plan, reasons, baseline and the first TOP_DELETES deletes', () => {
    const f = runFacts(blocked, NO_STREAK, OPTS);
    expect(f).toMatchObject({
      job: 'main',
      project: 'Acme HQ',
      outcome: 'blocked',
      guard: { kind: 'approval', reasons: ['25 deletes exceed guard.maxDeletes (10)'] },
      plan: { id: 'p-1', counts: { adds: 0, updates: 0, deletes: 25, unchanged: 90 } },
      baselineId: 'b-1',
      outcomeUnknown: false,
      error: null,
    });
    expect(f.topDeletes).toHaveLength(TOP_DELETES);
    const first = pushed(1);
    expect(f.topDeletes[0]).toEqual({
      name: `${first.firstName} ${first.lastName}`,
      email: first.email,
      id: first.id,
    });
  });

  it('masks e-mails in people, reasons and error texts when log.maskEmails is set', () => {
    const f = runFacts(
      report({
        outcome: 'failed',
        build: buildDeleting(1),
        error: new SourceUnavailableError('No answer for bob@corp.example', {
          place: 'uid=bob@corp.example',
          fix: 'Ask bob@corp.example',
        }),
      }),
      NO_STREAK,
      { ...OPTS, maskEmails: true },
    );
    expect(JSON.stringify(f), JSON.stringify(f)).not.toMatch(/bob@|user1@/);
    expect(f.topDeletes[0]!.email).toMatch(/^.\*\*\*@/);
    expect(f.error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', message: 'No answer for b***@corp.example' });
  });

  it('says hard stop and carries the unknown upload outcome', () => {
    const hard = runFacts(
      report({ outcome: 'blocked', guard: { ok: false, kind: 'hard-stop', reasons: [] } }),
      NO_STREAK,
      OPTS,
    );
    expect(hard.guard?.kind).toBe('hard-stop');
    expect(
      runFacts(report({ outcome: 'failed', outcomeUnknown: true }), NO_STREAK, OPTS).outcomeUnknown,
    ).toBe(true);
  });
});

describe('nextStreak / streakOfHistory', () => {
  const h = (outcome: HistoryEntry['outcome'], minute: number): HistoryEntry => ({
    runId: `r${minute}`,
    job: 'main',
    trigger: 'schedule',
    startedAt: `2026-03-02T10:${String(minute).padStart(2, '0')}:00.000Z`,
    endedAt: `2026-03-02T10:${String(minute).padStart(2, '0')}:30.000Z`,
    outcome,
    durationMs: 30_000,
  });

  it('counts failures in a row from the start of the first, and keeps the last success', () => {
    expect(streakOfHistory([h('applied', 0), h('failed', 15), h('failed', 30)])).toEqual({
      consecutiveFailures: 2,
      failingSince: '2026-03-02T10:15:00.000Z',
      lastSuccessAt: '2026-03-02T10:00:30.000Z',
    });
  });

  it('a blocked run ends the streak (as the runner counts it), a dry run changes nothing', () => {
    const s = streakOfHistory([h('failed', 0), h('blocked', 15)]);
    expect(s).toEqual({ consecutiveFailures: 0, failingSince: null, lastSuccessAt: null });
    const failing = nextStreak(NO_STREAK, h('failed', 0));
    expect(nextStreak(failing, h('planned', 15))).toBe(failing);
  });
});
