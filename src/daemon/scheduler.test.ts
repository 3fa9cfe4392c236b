import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import { silentLogger } from '../telemetry/logger.js';
import { createSchedule, validateSchedule } from './scheduler.js';

function job(cron: string, jitterSeconds = 0): JobConfig {
  return {
    name: 'main',
    schedule: { cron, jitterSeconds, onStart: false, watch: false, debounceMs: 0 },
  } as unknown as JobConfig;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('schedule', () => {
  it('validates the cron expression, naming the key', () => {
    expect(() => validateSchedule(job('*/15 * * * *'))).not.toThrow();
    expect(() => validateSchedule(job('*/1 * * * * *'))).not.toThrow();
    expect(() => validateSchedule(job(''))).not.toThrow();
    expect(() => validateSchedule(job('every 5 minutes'))).toThrow(ConfigError);
    expect(() => validateSchedule(job('61 * * * *'))).toThrow(/jobs\[main\]|not valid/);
  });

  it('is off for an empty expression', () => {
    expect(createSchedule(job('  '), () => undefined, silentLogger)).toBeNull();
  });

  it('fires each tick after a random jitter, which shows as the next run', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00.500Z') });
    const fired: number[] = [];
    const s = createSchedule(
      job('*/10 * * * * *', 5),
      () => fired.push(Date.now()),
      silentLogger,
      () => 0.5,
    );
    s?.start();
    expect(s?.nextRun()?.toISOString()).toBe('2026-01-01T00:00:10.000Z');
    await vi.advanceTimersByTimeAsync(9_600); // the 00:00:10 tick
    expect(fired).toEqual([]);
    expect(s?.nextRun()?.toISOString()).toBe('2026-01-01T00:00:12.500Z');
    await vi.advanceTimersByTimeAsync(2_500);
    expect(fired.map((t) => new Date(t).toISOString())).toEqual(['2026-01-01T00:00:12.500Z']);
    s?.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fired).toHaveLength(1);
  });
});
