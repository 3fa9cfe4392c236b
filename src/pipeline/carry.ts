/**
 * Carry-forward: a person pushed before whose new record is invalid keeps their last pushed data
 * (and is reported) instead of being deleted by a typo in the source. After `days` of being
 * carried they are let go (and then count as a delete, under the deletion limits).
 *
 * Letting go is a delete decided by the clock, so one reading is not enough: the previous run's
 * start (from history.jsonl) must be past the deadline too. A clock that jumps forward for one
 * run (a VM booted with a wrong RTC before NTP) then removes nobody; the person goes one run
 * later than the clock alone would say. carryForwardDays 0 carries nobody, so nothing waits.
 */
import type { IdentityRecord, PushedRecord } from '../core/types.js';
import type { RejectedKey } from './collect.js';
import { type PreviousRecords, recordList } from './packed-records.js';

export interface DesiredRecord extends IdentityRecord {
  /** ISO time since which this person is carried with old data. */
  readonly carriedSince?: string | undefined;
}

export interface CarryResult {
  readonly carried: DesiredRecord[];
  /** Carried for longer than allowed: now treated as removed. */
  readonly expired: { readonly record: PushedRecord; readonly rejection: RejectedKey }[];
  /** Past the deadline by this run's clock, not by the previous run's: carried one more run. */
  readonly held: readonly DesiredRecord[];
}

/** When the previous run started (its history.jsonl line), or undefined when none is recorded. */
export type PreviousRunAt = Date | undefined;

const DAY_MS = 86_400_000;

export function carryForward(
  desired: readonly IdentityRecord[],
  /** Every rejected record's keys (an iterable: a streamed source keeps them packed). */
  rejections: Iterable<RejectedKey>,
  previous: PreviousRecords | null,
  now: Date,
  days: number,
  previousRunAt?: PreviousRunAt,
): CarryResult {
  // Peek first: with nothing rejected (the common case) no index of the last push is built.
  const it = rejections[Symbol.iterator]();
  let next = it.next();
  if (!previous || previous.length === 0 || next.done) return { carried: [], expired: [], held: [] };
  const list = recordList(previous);
  const prevById = new Map(list.map((p) => [p.syncId, p]));
  const prevByEmail = new Map(list.map((p) => [p.email, p]));
  const takenIds = new Set(desired.map((r) => r.syncId));
  const takenEmails = new Set(desired.map((r) => r.email));
  const carried: DesiredRecord[] = [];
  const held: DesiredRecord[] = [];
  const expired: { record: PushedRecord; rejection: RejectedKey }[] = [];
  const limitMs = days * DAY_MS;
  /** Whether `at` is `limitMs` or more after `since`; a reading that is not a time never is. */
  const past = (at: Date | undefined, since: string): boolean =>
    at !== undefined && at.getTime() - Date.parse(since) >= limitMs;
  for (; !next.done; next = it.next()) {
    const rejection = next.value;
    const p =
      (rejection.syncId !== undefined ? prevById.get(rejection.syncId) : undefined) ??
      (rejection.email !== undefined ? prevByEmail.get(rejection.email) : undefined);
    // Someone valid already holds this Sync ID or e-mail: nothing to carry.
    if (!p || takenIds.has(p.syncId) || takenEmails.has(p.email)) continue;
    takenIds.add(p.syncId);
    takenEmails.add(p.email);
    const since = p.carriedSince ?? now.toISOString();
    const due = past(now, since);
    if (due && (days === 0 || past(previousRunAt, since))) {
      expired.push({ record: p, rejection });
      continue;
    }
    const record = { ...p, place: rejection.place, carriedSince: since };
    carried.push(record);
    if (due) held.push(record);
  }
  return { carried, expired, held };
}
