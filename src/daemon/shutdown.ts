/**
 * Graceful stop. On SIGTERM/SIGINT the daemon takes no new triggers, lets a run in progress
 * finish within a grace period, then cancels it (its upload is aborted; state files are only
 * ever replaced atomically, and a push intent left behind makes the next run re-send), and exits 0.
 * A second signal exits at once: nothing is half-written, for the same reason.
 */
import type { Logger } from '../telemetry/logger.js';
import type { JobRunner } from './job-runner.js';

/** After cancelling, how long a run may take to unwind (close sockets, write its history line). */
const UNWIND_MS = 10_000;

function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([work.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Stops every runner and waits for runs in progress; cancels them when `graceMs` runs out.
 * Returns the jobs whose run had to be cancelled.
 */
export async function drainRunners(
  runners: readonly JobRunner[],
  graceMs: number,
  log: Logger,
): Promise<string[]> {
  for (const r of runners) {
    const dropped = r.stop();
    if (dropped) log.info({ job: r.job, trigger: dropped }, 'Queued run dropped: the daemon is stopping');
  }
  const busy = runners.filter((r) => r.running);
  if (busy.length === 0) return [];
  log.info(
    { jobs: busy.map((r) => r.job), graceMs },
    'Waiting for the runs in progress to finish before stopping',
  );
  if (await within(graceMs, Promise.all(busy.map((r) => r.idle())))) return [];
  const cancelled = busy.filter((r) => r.running).map((r) => r.job);
  log.warn({ jobs: cancelled, graceMs }, 'Grace period over: cancelling the runs in progress');
  for (const r of busy) r.abort(`the daemon is stopping (grace period of ${graceMs} ms over)`);
  if (!(await within(UNWIND_MS, Promise.all(busy.map((r) => r.idle()))))) {
    log.error(
      { jobs: busy.filter((r) => r.running).map((r) => r.job) },
      'Runs did not unwind; exiting anyway',
    );
  }
  return cancelled;
}

export interface SignalHooks {
  /** First SIGTERM/SIGINT. */
  readonly onStop: (signal: NodeJS.Signals) => void;
  /** SIGHUP: re-read the config (systemctl reload). */
  readonly onHangup: () => void;
  readonly log: Logger;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15 };

/** Installs the daemon's signal handlers; returns a function removing them. */
export function handleSignals(hooks: SignalHooks): () => void {
  let stopping = false;
  const onStopSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      hooks.log.warn({ signal }, 'Second stop signal: exiting now');
      process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 15));
    }
    stopping = true;
    hooks.onStop(signal);
  };
  const onHup = (): void => {
    if (!stopping) hooks.onHangup();
  };
  process.on('SIGTERM', onStopSignal);
  process.on('SIGINT', onStopSignal);
  process.on('SIGHUP', onHup);
  return () => {
    process.off('SIGTERM', onStopSignal);
    process.off('SIGINT', onStopSignal);
    process.off('SIGHUP', onHup);
  };
}
