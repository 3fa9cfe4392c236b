/** What one run carries from step to step: the job, its options and effects, and once planned, the plan. */
import type { JobConfig } from '../config/schema.js';
import type { Sink } from '../core/sink.js';
import type { Source, SourceSnapshot } from '../core/source.js';
import type { Approval, BuildResult, GuardVerdict } from '../pipeline/index.js';
import type { Baseline, Target } from '../state/baseline.js';
import type { RunLock } from '../state/lock.js';
import type { JobState, PendingState } from '../state/store.js';
import type { Logger } from '../telemetry/logger.js';

/** `plan` is the dry run: it changes nothing on disk or in MIM. */
export type RunMode = 'plan' | 'sync';

export interface RunObserver {
  onMimAttempt?(job: string, outcome: number | 'network'): void;
}

export interface RunOptions {
  readonly mode: RunMode;
  readonly trigger: string;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** One-shot approval from the CLI (`--allow-deletes N`, `--accept-unknown-baseline`). */
  readonly approval?: Approval | undefined;
  readonly now?: () => Date;
  readonly observer?: RunObserver | undefined;
  /** Lets the caller (the daemon) log and show the run before it starts; default a new UUID. */
  readonly runId?: string | undefined;
  /**
   * `plan --explain`: called in a dry run once the plan and the guard's verdict are known, while
   * the sources are still open (so they can be asked about one person). Never in a sync.
   */
  readonly inspect?: ((planned: Inspected) => Promise<void>) | undefined;
}

/** The run itself: who, how, and the effects it may use. */
export interface RunContext {
  readonly job: JobConfig;
  readonly opts: RunOptions;
  readonly runId: string;
  readonly startedAt: Date;
  readonly log: Logger;
  readonly state: JobState;
  readonly sink: Sink;
  readonly now: () => Date;
  /** Set by the upload when it failed without proof that the sink did not apply it. */
  uploadUnknown: boolean;
  /** The job's run lock (sync mode); checked right before anything goes to the sink. */
  lock?: RunLock | undefined;
}

/** The baseline, and any uploads MIM may hold, as read at the start of a run. */
export interface Basis {
  readonly target: Target;
  readonly baseline: Baseline;
  readonly pending: PendingState;
  /** When the previous sync run started (history.jsonl), for carry-forward's second clock reading. */
  readonly previousRunAt?: Date | undefined;
}

/** What the later steps (approval, push, record, settle) work on: what was read and planned. */
export interface Planned {
  readonly basis: Basis;
  readonly snapshots: readonly SourceSnapshot[];
  readonly build: BuildResult;
}

/** What `RunOptions.inspect` sees: the plan, the guard's verdict and the open sources. */
export interface Inspected extends Planned {
  readonly guard: GuardVerdict;
  readonly sources: readonly Source[];
}
