/**
 * How often a lock holder beats and a contender looks, from the one configured stale time
 * (`lock.staleMs`). See lock.ts for how staleness is observed.
 */
import { ConfigError } from '../core/errors.js';

export interface LockTiming {
  /** A lock unchanged for this long (monotonic, as seen by the contender) is stale. */
  readonly staleMs: number;
  /** The holder renames its holder file this often. */
  readonly beatMs: number;
  /** A contender looks at the lock this often. */
  readonly pollMs: number;
}

export const DEFAULT_STALE_MS = 30_000;
export const MIN_STALE_MS = 5_000;
export const MAX_STALE_MS = 3_600_000;
/** proper-lockfile refreshes at most once a second. */
const MIN_BEAT_MS = 1_000;
/** Disables proper-lockfile's own wall-clock staleness (mtime vs Date.now()); we observe instead. */
export const NEVER_STALE_MS = 1e15;
export const MAX_ATTEMPTS = 20;

export function lockTiming(staleMs: number = DEFAULT_STALE_MS): LockTiming {
  const beatMs = Math.max(MIN_BEAT_MS, Math.floor(staleMs / 6));
  return { staleMs, beatMs, pollMs: Math.min(1_000, Math.max(100, Math.floor(beatMs / 2))) };
}

let configured: LockTiming = lockTiming();

/** Sets the stale time of every lock this process takes (config key `lock.staleMs`). */
export function configureLocks(staleMs: number): LockTiming {
  if (!Number.isInteger(staleMs) || staleMs < MIN_STALE_MS || staleMs > MAX_STALE_MS) {
    throw new ConfigError(`lock.staleMs must be an integer from ${MIN_STALE_MS} to ${MAX_STALE_MS}`, {
      place: 'lock.staleMs',
      fix: `Set it to e.g. ${DEFAULT_STALE_MS} (MOBILEID_SYNC_LOCK_STALE_MS); it must exceed the longest pause of a holder (GC, a busy host).`,
    });
  }
  configured = lockTiming(staleMs);
  return configured;
}

export function currentLockTiming(): LockTiming {
  return configured;
}
