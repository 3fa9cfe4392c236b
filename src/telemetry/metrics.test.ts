import { describe, expect, it } from 'vitest';
import type { RunReport } from '../pipeline/sync-once.js';
import { createMetrics } from './metrics.js';

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

    const blocked = {
      job: 'main',
      outcome: 'blocked',
      durationMs: 1500,
      endedAt: new Date().toISOString(),
    } as unknown as RunReport;
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
});
