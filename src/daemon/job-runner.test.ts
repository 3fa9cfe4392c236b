import { describe, expect, it } from 'vitest';
import type { RunReport } from '../run/report.js';
import { type FinishedRun, JobRunner, type TriggerKind } from './job-runner.js';

function report(trigger: string, outcome: RunReport['outcome']): RunReport {
  const now = new Date().toISOString();
  return {
    runId: 'r',
    job: 'main',
    mode: 'sync',
    trigger,
    outcome,
    startedAt: now,
    endedAt: now,
    durationMs: 0,
    sources: [],
    pushNeeded: false,
    firstPush: false,
    pendingFromCrash: false,
    warnings: [],
  };
}

/** A runner whose runs end when the test says so. */
function harness(outcomes: RunReport['outcome'][] = []) {
  const finished: FinishedRun[] = [];
  const releases: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  const runner = new JobRunner('main', {
    run: async (trigger: TriggerKind, _runId, signal) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((resolve) => {
        releases.push(resolve);
        signal.addEventListener('abort', () => resolve());
      });
      active--;
      return report(trigger, signal.aborted ? 'failed' : (outcomes.shift() ?? 'applied'));
    },
    onFinish: (f) => finished.push(f),
  });
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return { runner, finished, releases, tick, maxActive: () => maxActive };
}

describe('JobRunner', () => {
  it('starts a run, queues one follow-up and folds further triggers into it', async () => {
    const h = harness();
    expect(h.runner.trigger('schedule')).toBe('started');
    expect(h.runner.trigger('watch')).toBe('queued');
    expect(h.runner.trigger('http')).toBe('already-queued');
    expect(h.runner.trigger('schedule')).toBe('already-queued');
    expect(h.runner.queued).toBe('watch');
    await h.tick();
    h.releases.shift()?.();
    await h.tick();
    expect(h.finished.map((f) => [f.run.trigger, f.followUp])).toEqual([['schedule', 'watch']]);
    expect(h.runner.running?.trigger).toBe('watch');
    expect(h.runner.queued).toBeNull();
    h.releases.shift()?.();
    await h.runner.idle();
    expect(h.finished.map((f) => f.run.trigger)).toEqual(['schedule', 'watch']);
    expect(h.maxActive()).toBe(1);
    expect(h.runner.trigger('http')).toBe('started');
  });

  it('counts failures in a row and resets on success', async () => {
    const h = harness(['failed', 'failed', 'applied']);
    for (let i = 0; i < 3; i++) {
      h.runner.trigger('http');
      await h.tick();
      h.releases.shift()?.();
      await h.runner.idle();
      expect(h.runner.consecutiveFailures).toBe([1, 2, 0][i]);
    }
    expect(h.runner.recent.map((r) => r.outcome)).toEqual(['failed', 'failed', 'applied']);
  });

  it('stop() drops the follow-up and refuses triggers; abort() ends the run', async () => {
    const h = harness();
    h.runner.trigger('start');
    h.runner.trigger('http');
    expect(h.runner.stop()).toBe('http');
    expect(h.runner.trigger('http')).toBe('stopping');
    await h.tick();
    h.runner.abort('test');
    await h.runner.idle();
    expect(h.finished).toHaveLength(1);
    expect(h.finished[0]?.report?.outcome).toBe('failed');
    expect(h.finished[0]?.followUp).toBeNull();
    expect(h.runner.running).toBeNull();
  });

  it('treats a throwing run as a failure and keeps going', async () => {
    const finished: FinishedRun[] = [];
    const runner = new JobRunner('main', {
      run: async () => {
        throw new Error('boom');
      },
      onFinish: (f) => finished.push(f),
    });
    runner.trigger('http');
    await runner.idle();
    expect(finished[0]?.crash).toBeInstanceOf(Error);
    expect(runner.consecutiveFailures).toBe(1);
    expect(runner.trigger('http')).toBe('started');
    await runner.idle();
  });
});
