/**
 * One job's run queue. Runs of a job never overlap: a trigger during a run queues one follow-up
 * (further triggers fold into it), so a burst of triggers costs at most two runs — the one in
 * progress may have read the sources before the newest change, the follow-up sees it.
 * Jobs have their own runner each and so run independently.
 */
import { randomUUID } from 'node:crypto';
import type { RunReport } from '../run/report.js';
import { fromReport, type RunSummary } from './run-summary.js';

/** What started a run; becomes `trigger` in the history and logs. */
export type TriggerKind = 'start' | 'takeover' | 'schedule' | 'watch' | 'http';

export type TriggerResult =
  /** A run started now. */
  | 'started'
  /** A run is in progress; a follow-up will start when it ends. */
  | 'queued'
  /** A follow-up was already queued; this trigger is folded into it. */
  | 'already-queued'
  /** The daemon is shutting down and takes no new runs. */
  | 'stopping'
  /** This daemon is on standby: another daemon on the state directory runs the jobs. */
  | 'standby';

export interface RunningRun {
  readonly runId: string;
  readonly trigger: TriggerKind;
  readonly startedAt: Date;
}

export type RunFn = (trigger: TriggerKind, runId: string, signal: AbortSignal) => Promise<RunReport>;

export interface FinishedRun {
  readonly run: RunningRun;
  readonly report?: RunReport | undefined;
  /** A thrown value instead of a report: a bug, counted as a failure. */
  readonly crash?: unknown;
  /** The follow-up that starts right after this run, if a trigger came in meanwhile. */
  readonly followUp: TriggerKind | null;
}

export interface JobRunnerHooks {
  /** Performs one run; must not throw (runJob turns every failure into a report). */
  readonly run: RunFn;
  readonly onStart?: (run: RunningRun) => void;
  /** Called after every run (after a follow-up took the slot). Must not throw. */
  readonly onFinish: (result: FinishedRun) => void;
}

const KEEP_RECENT = 20;

export class JobRunner {
  #current: { run: RunningRun; controller: AbortController; done: Promise<void> } | null = null;
  #queued: TriggerKind | null = null;
  #stopping = false;
  #recent: RunSummary[] = [];
  #consecutiveFailures = 0;

  constructor(
    readonly job: string,
    private readonly hooks: JobRunnerHooks,
  ) {}

  /** Starts a run now, or queues one follow-up if a run is in progress. */
  trigger(kind: TriggerKind): TriggerResult {
    if (this.#stopping) return 'stopping';
    if (this.#current) {
      if (this.#queued) return 'already-queued';
      this.#queued = kind;
      return 'queued';
    }
    this.#start(kind);
    return 'started';
  }

  get running(): RunningRun | null {
    return this.#current?.run ?? null;
  }

  get queued(): TriggerKind | null {
    return this.#queued;
  }

  /** Newest last; at most the last 20 runs of this process, as summaries. */
  get recent(): readonly RunSummary[] {
    return this.#recent;
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** Seeds the failure streak from the history a previous process left. */
  restoreFailures(count: number): void {
    this.#consecutiveFailures = count;
  }

  /** Takes no more triggers and drops a queued follow-up; a run in progress goes on. */
  stop(): TriggerKind | null {
    this.#stopping = true;
    const dropped = this.#queued;
    this.#queued = null;
    return dropped;
  }

  /** Drops a queued follow-up (the daemon went standby); later triggers are taken again. */
  clearQueued(): void {
    this.#queued = null;
  }

  /** Cancels the run in progress (it ends as failed/ABORTED; state is written atomically). */
  abort(reason: string): void {
    this.#current?.controller.abort(new Error(reason));
  }

  /** Resolves when no run is in progress (including a follow-up that starts meanwhile). */
  async idle(): Promise<void> {
    while (this.#current) await this.#current.done;
  }

  #start(kind: TriggerKind): void {
    const controller = new AbortController();
    const run: RunningRun = { runId: randomUUID(), trigger: kind, startedAt: new Date() };
    const done = this.#execute(run, controller.signal);
    this.#current = { run, controller, done };
  }

  async #execute(run: RunningRun, signal: AbortSignal): Promise<void> {
    // Let trigger() return before the run's synchronous part (and its hooks) start.
    await Promise.resolve();
    this.hooks.onStart?.(run);
    let result: { report?: RunReport; crash?: unknown };
    try {
      result = { report: await this.hooks.run(run.trigger, run.runId, signal) };
    } catch (crash) {
      result = { crash };
    }
    const failed = result.report === undefined || result.report.outcome === 'failed';
    this.#consecutiveFailures = failed ? this.#consecutiveFailures + 1 : 0;
    if (result.report) {
      this.#recent.push(fromReport(result.report));
      if (this.#recent.length > KEEP_RECENT) this.#recent.shift();
    }
    const followUp = this.#stopping ? null : this.#queued;
    this.#queued = null;
    this.#current = null;
    // The follow-up takes the slot before the hook runs, so a trigger from the hook only queues.
    if (followUp) this.#start(followUp);
    try {
      this.hooks.onFinish({ ...result, run, followUp });
    } catch {
      // Hooks log for themselves; a failing one must not stall the queue.
    }
  }
}
