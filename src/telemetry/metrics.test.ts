import { describe, expect, it } from 'vitest';
import { createMetrics, type RunCounts } from './metrics.js';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  it('starts every job at zero and counts runs, MIM answers and blocked runs', async () => {
    const m = createMetrics(['main']);
    let text = await m.render();
    expect(value(text, 'mobileid_sync_runs_total{job="main",outcome="applied"}')).toBe(0);
    expect(value(text, 'mobileid_sync_changes_pushed_total{job="main",change="delete"}')).toBe(0);

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
    expect(value(text, 'mobileid_sync_runs_total{job="main",outcome="blocked"}')).toBe(1);
    expect(value(text, 'mobileid_sync_blocked_runs_total{job="main"}')).toBe(1);
    expect(value(text, 'mobileid_sync_run_duration_seconds_sum{job="main"}')).toBe(1.5);
    expect(value(text, 'mobileid_sync_mim_responses_total{job="main",code="503"}')).toBe(1);
    expect(value(text, 'mobileid_sync_mim_responses_total{job="main",code="network"}')).toBe(1);
    expect(value(text, 'mobileid_sync_users{job="main"}')).toBe(42);
    expect(value(text, 'mobileid_sync_last_success_timestamp_seconds{job="main"}')).toBe(1767225600);
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
    expect(value(text, 'mobileid_sync_changes_pushed_total{job="main",change="add"}')).toBe(3);
    expect(value(text, 'mobileid_sync_changes_pushed_total{job="main",change="update"}')).toBe(2);
    expect(value(text, 'mobileid_sync_changes_pushed_total{job="main",change="delete"}')).toBe(1);
    expect(value(text, 'mobileid_sync_users{job="main"}')).toBe(12);
    expect(value(text, 'mobileid_sync_rejected_records{job="main"}')).toBe(4);
    expect(value(text, 'mobileid_sync_last_success_timestamp_seconds{job="main"}')).toBe(1767225600);
  });
});
