import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { scaled } from '../../test/helpers/timing.js';
import { EVENT_LOOP_LAG_NAMES, LAG_RESOLUTION_MS } from './event-loop.js';
import { createMetrics } from './metrics.js';

function gauge(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} missing from:\n${text}`);
  return Number(line.slice(name.length + 1));
}

/** Lets the sampler tick a few times, so a window has samples. */
const ticks = (n: number) => sleep(LAG_RESOLUTION_MS * n);

describe('event-loop lag gauges', () => {
  it('read a few ms on an idle loop, not the sampling interval (they read ≈ 1 s before)', async () => {
    const m = createMetrics(['main']);
    await m.render(); // starts a fresh window
    await ticks(10);
    const text = await m.render();
    // Generous on a loaded machine, and still far below the old permanent ≈ 1 s.
    const idle = Math.min(scaled(20), 500) / 1000;
    expect(gauge(text, 'nodejs_eventloop_lag_p50_seconds')).toBeLessThan(idle);
    expect(gauge(text, 'nodejs_eventloop_lag_seconds')).toBeLessThan(idle);
    for (const name of EVENT_LOOP_LAG_NAMES) expect(text.split(`\n${name} `)).toHaveLength(2);
  });

  it('show a blocked loop in the max of the next scrape', async () => {
    const m = createMetrics(['main']);
    await m.render();
    // Node's reset (each scrape) drops the tick in progress: a block must start after the next one.
    await ticks(2);
    const until = performance.now() + 200;
    while (performance.now() < until) {
      // a handler that holds the loop for 200 ms
    }
    await ticks(2);
    const text = await m.render();
    // The sampler sees the block up to one tick short of its length.
    expect(gauge(text, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(
      0.2 - LAG_RESOLUTION_MS / 1000,
    );
    // The window was reset: the scrape after a quiet spell no longer shows the block.
    await ticks(4);
    expect(gauge(await m.render(), 'nodejs_eventloop_lag_max_seconds')).toBeLessThan(
      0.2 - LAG_RESOLUTION_MS / 1000,
    );
  });
});
