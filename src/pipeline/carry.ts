/**
 * Carry-forward: a person pushed before whose new record is invalid keeps their last pushed data
 * (and is reported) instead of being deleted by a typo in the source. After `days` of being
 * carried they are let go (and then count as a delete, under the deletion limits).
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
}

const DAY_MS = 86_400_000;

export function carryForward(
  desired: readonly IdentityRecord[],
  /** Every rejected record's keys (an iterable: a streamed source keeps them packed). */
  rejections: Iterable<RejectedKey>,
  previous: PreviousRecords | null,
  now: Date,
  days: number,
): CarryResult {
  // Peek first: with nothing rejected (the common case) no index of the last push is built.
  const it = rejections[Symbol.iterator]();
  let next = it.next();
  if (!previous || previous.length === 0 || next.done) return { carried: [], expired: [] };
  const list = recordList(previous);
  const prevById = new Map(list.map((p) => [p.syncId, p]));
  const prevByEmail = new Map(list.map((p) => [p.email, p]));
  const takenIds = new Set(desired.map((r) => r.syncId));
  const takenEmails = new Set(desired.map((r) => r.email));
  const carried: DesiredRecord[] = [];
  const expired: { record: PushedRecord; rejection: RejectedKey }[] = [];
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
    if (now.getTime() - Date.parse(since) >= days * DAY_MS) {
      expired.push({ record: p, rejection });
      continue;
    }
    carried.push({ ...p, place: rejection.place, carriedSince: since });
  }
  return { carried, expired };
}
