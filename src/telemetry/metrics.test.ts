import { describe, expect, it } from 'vitest';
import { createMetrics, type RunCounts } from './metrics.js';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Expects each series (its name after `mobileid_sync_`, with its labels) to have the value given. */
function expectValues(text: string, expected: Readonly<Record<string, number>>): void {
  const actual = Object.fromEntries(
    Object.keys(expected).map((series) => [series, value(text, `mobileid_sync_${series}`)]),
  );
  expect(actual).toEqual(expected);
}

describe('metrics', () => {
  it('starts every job at zero and counts runs, MIM answers and blocked runs', async () => {
    const m = createMetrics(['main']);
    let text = await m.render();
    expectValues(text, {
      'runs_total{job="main",outcome="applied"}': 0,
      'changes_pushed_total{job="main",change="delete"}': 0,
    });

    const blocked: RunCounts = {
      job: 'main',
      outcome: 'blocked',
      durationMs: 1500,
      endedAt: new Date().toISOString(),
    };
    m.runFinished(blocked);
    m.mimAttempt('main', 503);
    m.mimAttempt('main', 'network');
    m.restore('main', { users: 42, lastSuccessAt: '2026-01-01T00:00:00.000Z' });
    text = await m.render();
    expectValues(text, {
      'runs_total{job="main",outcome="blocked"}': 1,
      'blocked_runs_total{job="main"}': 1,
      'run_duration_seconds_sum{job="main"}': 1.5,
      'mim_responses_total{job="main",code="503"}': 1,
      'mim_responses_total{job="main",code="network"}': 1,
      'users{job="main"}': 42,
      'last_success_timestamp_seconds{job="main"}': 1767225600,
    });
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('counts the changes, users and rejected rows of an applied run', async () => {
    const m = createMetrics(['main']);
    m.runFinished({
      job: 'main',
      outcome: 'applied',
      durationMs: 10,
      endedAt: '2026-01-01T00:00:00.000Z',
      plan: { id: 'p1', adds: 3, updates: 2, deletes: 1, unchanged: 7, carried: 0 },
      rejected: 4,
      users: 12,
    });
    const text = await m.render();
    expectValues(text, {
      'changes_pushed_total{job="main",change="add"}': 3,
      'changes_pushed_total{job="main",change="update"}': 2,
      'changes_pushed_total{job="main",change="delete"}': 1,
      'users{job="main"}': 12,
      'rejected_records{job="main"}': 4,
      'last_success_timestamp_seconds{job="main"}': 1767225600,
    });
  });
});
