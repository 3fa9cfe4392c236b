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
      'runs_total{sync_job="main",outcome="applied"}': 0,
      'changes_pushed_total{sync_job="main",change="delete"}': 0,
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
      'runs_total{sync_job="main",outcome="blocked"}': 1,
      'blocked_runs_total{sync_job="main"}': 1,
      'run_duration_seconds_sum{sync_job="main"}': 1.5,
      'mim_responses_total{sync_job="main",code="503"}': 1,
      'mim_responses_total{sync_job="main",code="network"}': 1,
      'users{sync_job="main"}': 42,
      'last_success_timestamp_seconds{sync_job="main"}': 1767225600,
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
      'changes_pushed_total{sync_job="main",change="add"}': 3,
      'changes_pushed_total{sync_job="main",change="update"}': 2,
      'changes_pushed_total{sync_job="main",change="delete"}': 1,
      'users{sync_job="main"}': 12,
      'rejected_records{sync_job="main"}': 4,
      'last_success_timestamp_seconds{sync_job="main"}': 1767225600,
    });
  });

  it('says which source failed, keeps its last success, and forgets a source no longer read', async () => {
    const m = createMetrics(['main']);
    const run = (endedAt: string, sources: RunCounts['sources']): void =>
      m.runFinished({ job: 'main', outcome: 'failed', durationMs: 5, endedAt, sources });
    run('2026-01-01T00:00:00.000Z', [
      { source: 'hr', ok: true },
      { source: 'ad', ok: true },
    ]);
    run('2026-01-01T01:00:00.000Z', [
      { source: 'hr', ok: true },
      { source: 'ad', ok: false },
    ]);
    let text = await m.render();
    expectValues(text, {
      'source_up{sync_job="main",source="hr"}': 1,
      'source_up{sync_job="main",source="ad"}': 0,
      'source_last_success_timestamp_seconds{sync_job="main",source="hr"}': 1767229200,
      'source_last_success_timestamp_seconds{sync_job="main",source="ad"}': 1767225600,
    });
    run('2026-01-01T02:00:00.000Z', [{ source: 'hr', ok: true }]);
    text = await m.render();
    expect(text).not.toContain('source="ad"');
  });

  it('shows the last plan, a waiting plan and the failure streak, seeded from the state at start', async () => {
    const m = createMetrics(['main']);
    let text = await m.render();
    expectValues(text, {
      'blocked{sync_job="main"}': 0,
      'consecutive_failures{sync_job="main"}': 0,
      'last_run_changes{sync_job="main",change="reject"}': 0,
    });
    m.restore('main', {
      blocked: true,
      consecutiveFailures: 2,
      lastPlan: {
        plan: { id: 'p0', adds: 1, updates: 0, deletes: 9, unchanged: 3, carried: 0 },
        rejected: 2,
      },
    });
    text = await m.render();
    expectValues(text, {
      'blocked{sync_job="main"}': 1,
      'consecutive_failures{sync_job="main"}': 2,
      'last_run_changes{sync_job="main",change="delete"}': 9,
      'last_run_changes{sync_job="main",change="reject"}': 2,
    });
    // A failed run leaves the plan waiting; an applied one replaced it.
    m.runFinished({ job: 'main', outcome: 'failed', durationMs: 5, endedAt: '2026-01-01T00:00:00.000Z' });
    m.consecutiveFailures('main', 3);
    expectValues(await m.render(), {
      'blocked{sync_job="main"}': 1,
      'consecutive_failures{sync_job="main"}': 3,
    });
    m.runFinished({
      job: 'main',
      outcome: 'applied',
      durationMs: 5,
      endedAt: '2026-01-01T00:00:00.000Z',
      plan: { id: 'p1', adds: 0, updates: 4, deletes: 0, unchanged: 3, carried: 0 },
      rejected: 0,
    });
    m.consecutiveFailures('main', 0);
    expectValues(await m.render(), {
      'blocked{sync_job="main"}': 0,
      'consecutive_failures{sync_job="main"}': 0,
      'last_run_changes{sync_job="main",change="update"}': 4,
      'last_run_changes{sync_job="main",change="delete"}': 0,
    });
  });

  it('has run-duration buckets from 50 ms to 30 min', async () => {
    const text = await createMetrics(['main']).render();
    expect(text).toContain('mobileid_sync_run_duration_seconds_bucket{le="0.05",sync_job="main"}');
    expect(text).toContain('mobileid_sync_run_duration_seconds_bucket{le="1800",sync_job="main"}');
  });

  it("never exports `job` or `instance`, Prometheus's target labels (a plain scrape config keeps ours)", async () => {
    const m = createMetrics(['main'], ['email']);
    const endedAt = '2026-01-01T00:00:00.000Z';
    const plan = { id: 'p1', adds: 1, updates: 0, deletes: 0, unchanged: 0, carried: 0 };
    const sources = [{ source: 'hr', ok: true }];
    m.runFinished({
      job: 'main',
      outcome: 'applied',
      durationMs: 5,
      endedAt,
      plan,
      rejected: 0,
      users: 1,
      sources,
    });
    m.mimAttempt('main', 200);
    m.notification('email', 'sent');
    m.role(true);
    const text = await m.render();
    expect(text).toContain('mobileid_sync_source_up{sync_job="main",source="hr"} 1');
    expect(text).not.toMatch(/[{,](?:job|instance)="/);
  });
});
