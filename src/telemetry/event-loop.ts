/**
 * The `nodejs_eventloop_lag_*` gauges, reading the lag rather than the sampling interval.
 *
 * Node's `monitorEventLoopDelay` records the time between two ticks of its libuv timer, i.e.
 * resolution + lag (prom-client issue #370), and prom-client reports those samples as they are:
 * at a 1,000 ms resolution every gauge read ≈ 1 s on an idle daemon, so an alert on them always
 * fired. Here each reading has the resolution taken off, so an idle loop reads ≈ 0 and a loop
 * blocked for B ms reads between B − resolution and B.
 *
 * Each scrape starts a new window (`reset()`), which also drops the tick in progress: a block that
 * begins within one tick (50 ms) after a scrape is not seen — 0.3 % of a 15 s scrape interval.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/**
 * The sampler's tick. Measured on an idle process over 60 s (2-core reference): 10 ms costs
 * ≈ 410 ms CPU, 20 ms ≈ 260 ms, 50 ms ≈ 120 ms, 100 ms ≈ 90 ms, 1,000 ms ≈ 50 ms; 50 ms keeps
 * the idle cost near 0.2 % of a core and the error (≤ 50 ms) far below any useful alert threshold.
 */
export const LAG_RESOLUTION_MS = 50;

/** The gauges prom-client's default metrics register for the loop delay; replaced by ours. */
export const EVENT_LOOP_LAG_NAMES = [
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
] as const;

/**
 * prom-client always starts its own sampler with the default metrics; given this resolution
 * (≈ 24.8 days, the largest a libuv timer takes as a 32-bit value) it never wakes the process.
 */
export const INERT_RESOLUTION_MS = 2 ** 31 - 1;

/**
 * Registers the lag gauges on `registry` (after prom-client's were removed). Each scrape reads
 * the samples taken since the previous one, then starts a new window.
 */
export function registerEventLoopLag(registry: Registry, resolutionMs = LAG_RESOLUTION_MS): void {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const lag = (ns: number): number => Math.max(0, (ns - resolutionMs * 1e6) / 1e9);
  // Registered first: a scrape reads the metrics in registration order, and this one's collect
  // fills the others for the window.
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: `Mean event-loop delay since the last scrape (sampled every ${resolutionMs} ms, the sampling interval taken off).`,
    registers: [registry],
    collect() {
      // Two scrapes within one tick: keep the last window's values rather than report "no delay".
      if (histogram.count === 0) return;
      this.set(lag(histogram.mean));
      min.set(lag(histogram.min));
      max.set(lag(histogram.max));
      mean.set(lag(histogram.mean));
      stddev.set(histogram.stddev / 1e9);
      p50.set(lag(histogram.percentile(50)));
      p90.set(lag(histogram.percentile(90)));
      p99.set(lag(histogram.percentile(99)));
      histogram.reset();
    },
  });
  const gauge = (name: string, help: string): Gauge =>
    new Gauge({ name: `nodejs_eventloop_lag_${name}_seconds`, help, registers: [registry] });
  const min = gauge('min', 'Smallest event-loop delay since the last scrape.');
  const max = gauge(
    'max',
    'Largest event-loop delay since the last scrape (a blocked loop reads the block).',
  );
  const mean = gauge('mean', 'Mean event-loop delay since the last scrape.');
  const stddev = gauge('stddev', 'Standard deviation of the event-loop delays since the last scrape.');
  const p50 = gauge('p50', 'Median event-loop delay since the last scrape.');
  const p90 = gauge('p90', '90th percentile of the event-loop delays since the last scrape.');
  const p99 = gauge('p99', '99th percentile of the event-loop delays since the last scrape.');
}
