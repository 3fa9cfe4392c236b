import { describe, expect, it } from 'vitest';
import type { Snapshot, Target } from '../state/baseline.js';
import type { BlockedPlan, HistoryEntry } from '../state/store.js';
import { age, formatNotifications, formatStatus, type JobStatusFacts, statusJson } from './format-status.js';

const target: Target = { baseUrl: 'https://mim.example', project: 'demo', job: 'main' };
const now = new Date('2026-01-03T00:00:00.000Z');

const snapshot = {
  seq: 2,
  pushedAt: '2026-01-02T23:30:00.000Z',
  planId: 'p1',
  inputs: [{ source: 'hr', input: { name: '000002-staff.csv', sha256: 'x', seq: 2 } }],
  records: [{}, {}],
} as unknown as Snapshot;

const run: HistoryEntry = {
  runId: 'r',
  job: 'main',
  trigger: 'schedule',
  startedAt: '2026-01-02T23:30:00.000Z',
  endedAt: '2026-01-02T23:30:01.000Z',
  outcome: 'applied',
  durationMs: 1234,
  plan: { id: 'p1', adds: 2, updates: 0, deletes: 1, unchanged: 5, carried: 0 },
  rejected: 0,
  approval: { by: 'ada' },
};

const blocked = {
  planId: 'p9',
  blockedAt: '2026-01-02T23:40:00.000Z',
  reasons: ['too many deletes', 'source shrank'],
} as unknown as BlockedPlan;

function facts(over: Partial<JobStatusFacts> = {}): JobStatusFacts {
  return {
    job: 'main',
    target,
    baseline: { known: true, id: '2:abc', snapshot },
    pending: { kind: 'none' },
    blocked: null,
    runs: [run],
    ...over,
  };
}

describe('age', () => {
  it('says minutes, hours or days, and when the clock moved', () => {
    expect(age('2026-01-02T23:50:00Z', now)).toBe('10 min ago');
    expect(age('2026-01-02T21:00:00Z', now)).toBe('3.0 h ago');
    expect(age('2025-12-30T00:00:00Z', now)).toBe('4.0 days ago');
    expect(age('2026-01-04T00:00:00Z', now)).toBe('dated in the future (clock moved?)');
    expect(age('yesterday', now)).toBe('unknown age');
  });
});

describe('status', () => {
  it('shows a known baseline with its inputs and the runs', () => {
    const view = statusJson(facts());
    expect(view.baseline).toEqual({
      known: true,
      id: '2:abc',
      seq: 2,
      users: 2,
      pushedAt: snapshot.pushedAt,
      planId: 'p1',
      inputs: snapshot.inputs,
    });
    expect(view.pending).toBeNull();
    expect(formatStatus(view, now, '')).toEqual([
      'Job main → project "demo" at https://mim.example (job main)',
      '  baseline #2: 2 users pushed at 2026-01-02T23:30:00.000Z (30 min ago), from hr: 000002-staff.csv',
      '  started               trigger   outcome    +add  ~upd  -del  rej  duration  note',
      '  2026-01-02 23:30:00  schedule  applied       2     0     1    0      1.2s  approved by ada',
      '',
    ]);
  });

  it('shows an unknown baseline, an unknown upload and a blocked plan with the commands to go on', () => {
    const view = statusJson(
      facts({
        baseline: { known: false, id: 'unknown', reason: 'missing', detail: 'no snapshot', place: 'x' },
        pending: { kind: 'unusable', detail: 'pending.json: damaged' },
        blocked,
        runs: [],
      }),
    );
    expect(view.baseline).toEqual({ known: false, reason: 'missing', detail: 'no snapshot' });
    expect(view.pending).toEqual({ unusable: 'pending.json: damaged' });
    expect(formatStatus(view, now, ' -c my.json5').slice(1, 5)).toEqual([
      '  baseline UNKNOWN: no snapshot. The next push needs an approval of its exact plan (or restore one: see `mobileid-sync baseline list --job main -c my.json5`)',
      '  upload with UNKNOWN outcome and content: pending.json: damaged',
      '  BLOCKED plan p9 since 2026-01-02T23:40:00.000Z: too many deletes; source shrank',
      '  approve: mobileid-sync approve main --plan p9 -c my.json5',
    ]);
  });
});

describe('formatNotifications', () => {
  const now = new Date('2026-03-02T12:00:00.000Z');
  it('says OK with the last delivery, or FAILING with the error and its fix', () => {
    const lines = formatNotifications(
      [
        {
          name: 'email',
          target: 'smtp.example.org:587',
          lastSentAt: '2026-03-02T11:00:00.000Z',
          lastError: null,
          consecutiveFailures: 0,
          sent: 3,
          failed: 0,
        },
        {
          name: 'teams',
          target: 'example.webhook.office.com',
          lastSentAt: null,
          lastError: {
            at: '2026-03-02T11:50:00.000Z',
            message: 'HTTP 404 not found',
            fix: 'Create the workflow again.',
          },
          consecutiveFailures: 2,
          sent: 0,
          failed: 2,
        },
      ],
      now,
    );
    expect(lines).toEqual([
      'notify email smtp.example.org:587: OK, last delivered 1.0 h ago',
      'notify teams example.webhook.office.com: FAILING (2 in a row, nothing delivered yet); last error 10 min ago: HTTP 404 not found',
      '  fix: Create the workflow again.',
    ]);
  });
});
