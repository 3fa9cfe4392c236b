/**
 * The contract a sink keeps: where a job's people go. MIM is the one sink today
 * (`sinks/mim/sink.ts`); `check` and `push` both go through it, so nothing else talks to MIM.
 */
import type { CheckResult } from './source.js';
import type { PersonFields, Place } from './types.js';

/** What a failed push leaves in the sink: proven untouched, or possibly applied. */
export type FailedPushOutcome = 'not-applied' | 'unknown';

/** A push the sink confirmed. */
export interface PushReceipt {
  readonly outcome: 'applied';
  /** The sink's answer, e.g. the HTTP status. */
  readonly status: number;
  /** Attempts it took (retries included). */
  readonly attempts: number;
  /** The sink's answer text, shortened (for the log and history). */
  readonly body: string;
}

export interface Sink {
  /** For humans, as `check` prints it: "MIM project Office". */
  readonly description: string;
  /**
   * The bytes a full replacing push of `records` sends: deterministic, so their hash tells
   * whether an upload is byte-identical to the last accepted one. A record's place, when given,
   * names the person the sink cannot encode (a ConfigError).
   */
  encode(records: readonly (PersonFields & { readonly place?: Place | undefined })[]): Buffer;
  /** Tests reachability and credentials, changing nothing. Never throws for a failed check. */
  check(signal: AbortSignal): Promise<CheckResult>;
  /**
   * Sends `payload` (from `encode`). Resolves only when the sink confirmed it; otherwise throws a
   * SyncError that carries `outcome: FailedPushOutcome` (read it with `failedPushOutcome`), because
   * an upload that may have been applied must keep its intent for the next run.
   */
  push(payload: Buffer, signal: AbortSignal): Promise<PushReceipt>;
  close(): Promise<void>;
}

/** What a thrown push error leaves in the sink; 'unknown' unless the error proves otherwise. */
export function failedPushOutcome(e: unknown): FailedPushOutcome {
  const outcome = (e as { outcome?: unknown } | null)?.outcome;
  return outcome === 'not-applied' ? 'not-applied' : 'unknown';
}
