/**
 * The MIM client's errors. Each says, in `outcome`, whether MIM may hold the upload:
 * 'not-applied' is proven (every attempt was refused before MIM processed it), 'unknown' means an
 * attempt may have been applied and no later attempt was confirmed — keep the push intent and
 * re-send on the next run. `uploadOutcomeOf` reads it from any thrown value, unknown by default.
 */
import {
  AbortedError,
  ConfigError,
  type SyncErrorOptions,
  TargetAuthError,
  TargetRejectedError,
  TargetUnavailableError,
} from '../../core/errors.js';
import type { FailedPushOutcome } from '../../core/sink.js';
import type { ServerAnswer } from './outcome.js';

/** One attempt of a push: its answer (body already shortened) and what it proved. */
export interface AttemptRecord {
  readonly attempt: number;
  readonly answer: ServerAnswer;
  readonly summary: string;
  readonly proof: 'applied' | 'not-applied' | 'maybe-applied';
}

interface OutcomeDetails {
  readonly attempts: readonly AttemptRecord[];
}

/** 401/403 while nothing else may have been applied. */
export class MimAuthError extends TargetAuthError {
  readonly outcome = 'not-applied' as const;
  readonly attempts: readonly AttemptRecord[];
  constructor(message: string, options: SyncErrorOptions & { status: number } & OutcomeDetails) {
    super(message, options);
    this.attempts = options.attempts;
  }
}

/** 400/422 (or another definite refusal) while nothing else may have been applied. */
export class MimRejectedError extends TargetRejectedError {
  readonly outcome = 'not-applied' as const;
  readonly attempts: readonly AttemptRecord[];
  constructor(
    message: string,
    options: SyncErrorOptions & { status: number; body: string } & OutcomeDetails,
  ) {
    super(message, options);
    this.attempts = options.attempts;
  }
}

/** 404 (unknown project) or a missing token while nothing else may have been applied. */
export class MimConfigError extends ConfigError {
  readonly outcome = 'not-applied' as const;
  readonly attempts: readonly AttemptRecord[];
  constructor(message: string, options: SyncErrorOptions & OutcomeDetails) {
    super(message, options);
    this.attempts = options.attempts;
  }
}

/** Retries used up, and every attempt provably never reached MIM (refused connection, 429). */
export class MimUnavailableError extends TargetUnavailableError {
  readonly outcome = 'not-applied' as const;
  readonly attempts: readonly AttemptRecord[];
  constructor(message: string, options: SyncErrorOptions & { status?: number | undefined } & OutcomeDetails) {
    super(message, options);
    this.attempts = options.attempts;
  }
}

/**
 * MIM may or may not have applied the upload. Code TARGET_UNAVAILABLE (exit 69, retry later):
 * whatever the last answer was, the next run must re-send. `why` names the attempt that may have
 * been applied, `lastAnswer` what the push ended on.
 */
export class MimOutcomeUnknownError extends TargetUnavailableError {
  readonly outcome = 'unknown' as const;
  readonly attempts: readonly AttemptRecord[];
  readonly lastAnswer: ServerAnswer;
  readonly why: string;
  constructor(
    message: string,
    options: SyncErrorOptions & {
      status?: number | undefined;
      lastAnswer: ServerAnswer;
      why: string;
    } & OutcomeDetails,
  ) {
    super(message, options);
    this.attempts = options.attempts;
    this.lastAnswer = options.lastAnswer;
    this.why = options.why;
  }
}

/** The run was cancelled during the push; `outcome` says whether an attempt may have been applied. */
export class MimAbortedError extends AbortedError {
  readonly outcome: FailedPushOutcome;
  readonly attempts: readonly AttemptRecord[];
  constructor(outcome: FailedPushOutcome, attempts: readonly AttemptRecord[]) {
    super(
      outcome === 'unknown'
        ? 'The run was cancelled during the upload; MIM may or may not have applied it, and the next run re-sends it'
        : 'The run was cancelled before the upload reached MIM; nothing was applied',
    );
    this.outcome = outcome;
    this.attempts = attempts;
  }
}

/**
 * Whether MIM may hold the upload after `push()` threw `e`. Only the client's own errors can prove
 * 'not-applied'; anything else (a bug, an unexpected throw) is 'unknown', the safe reading.
 */
export function uploadOutcomeOf(e: unknown): FailedPushOutcome {
  if (
    e instanceof MimAuthError ||
    e instanceof MimRejectedError ||
    e instanceof MimConfigError ||
    e instanceof MimUnavailableError ||
    e instanceof MimOutcomeUnknownError ||
    e instanceof MimAbortedError
  ) {
    return e.outcome;
  }
  return 'unknown';
}
