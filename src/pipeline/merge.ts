/**
 * Merging the valid records of a job's sources into one set with unique Sync IDs and e-mails.
 *
 * The rule, applied first by Sync ID, then by e-mail:
 *  1. prefer the record that matches what was last pushed (same Sync ID and e-mail), so a
 *     duplicate never replaces a working person;
 *  2. otherwise the first one: sources in configured precedence order, then the source's order.
 * A loser from the same source is rejected with both places named (a data error to fix there);
 * a loser from a lower-precedence source is an expected overlap and reported as a notice.
 */
import type { IdentityRecord, Notice, PushedRecord, Rejection } from '../core/types.js';

export interface MergeResult {
  readonly records: IdentityRecord[];
  readonly rejections: Rejection[];
  readonly notices: Notice[];
}

type Key = 'syncId' | 'email';

function sameData(a: IdentityRecord, b: IdentityRecord): boolean {
  return (
    a.firstName === b.firstName &&
    a.lastName === b.lastName &&
    a.email === b.email &&
    a.id === b.id &&
    a.syncId === b.syncId
  );
}

function pickWinner(
  group: IdentityRecord[],
  key: Key,
  previous: ReadonlyMap<string, PushedRecord>,
  previousByEmail: ReadonlyMap<string, PushedRecord>,
): IdentityRecord {
  const matchesPrevious = (r: IdentityRecord): boolean => {
    const p = key === 'syncId' ? previous.get(r.syncId) : previousByEmail.get(r.email);
    return p !== undefined && p.syncId === r.syncId && p.email === r.email;
  };
  return group.find(matchesPrevious) ?? group[0]!;
}

function dedupeBy(
  records: IdentityRecord[],
  key: Key,
  previous: () => Previous,
  rejections: Rejection[],
  notices: Notice[],
): IdentityRecord[] {
  // One pass with a plain Map; groups are only built for the (rare) keys that repeat.
  const first = new Map<string, IdentityRecord>();
  let groups: Map<string, IdentityRecord[]> | undefined;
  for (const r of records) {
    const k = r[key];
    const seen = first.get(k);
    if (seen === undefined) first.set(k, r);
    else {
      groups ??= new Map();
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [seen, r]);
    }
  }
  if (!groups) return records;

  const { byId, byEmail } = previous();
  const losers = new Set<IdentityRecord>();
  for (const group of groups.values()) {
    const winner = pickWinner(group, key, byId, byEmail);
    for (const r of group) {
      if (r === winner) continue;
      losers.add(r);
      if (r.place.source !== winner.place.source && (key === 'syncId' || r.syncId === winner.syncId)) {
        if (!sameData(r, winner)) {
          notices.push({
            place: r.place,
            message: `same person as ${winner.place.source}: ${winner.place.ref}; kept the record of "${winner.place.source}" (higher precedence)`,
          });
        }
        continue;
      }
      const what = key === 'syncId' ? `Sync ID "${r.syncId}"` : `e-mail "${r.email}"`;
      rejections.push({
        place: r.place,
        code: key === 'syncId' ? 'duplicate-sync-id' : 'duplicate-email',
        field: key,
        reason: `duplicate ${what}, also at ${winner.place.source}: ${winner.place.ref} (that one is kept)`,
        fix: `give each person a unique ${key === 'syncId' ? 'Sync ID' : 'e-mail address'}, or remove one of the two rows`,
        related: [winner.place],
        syncId: r.syncId,
        email: r.email,
      });
      notices.push({
        place: winner.place,
        message: `kept despite duplicate ${what} at ${r.place.source}: ${r.place.ref}`,
      });
    }
  }
  return records.filter((r) => !losers.has(r));
}

interface Previous {
  readonly byId: ReadonlyMap<string, PushedRecord>;
  readonly byEmail: ReadonlyMap<string, PushedRecord>;
}

/** `records` must be in precedence order (first source first, each in its own order). */
export function mergeRecords(
  records: IdentityRecord[],
  previous: readonly PushedRecord[] | null,
): MergeResult {
  const rejections: Rejection[] = [];
  const notices: Notice[] = [];
  let prev: Previous | undefined;
  // Indexes of the last push, built only when a duplicate needs a tie-break.
  const previousIndex = (): Previous => {
    prev ??= {
      byId: new Map((previous ?? []).map((p) => [p.syncId, p])),
      byEmail: new Map((previous ?? []).map((p) => [p.email, p])),
    };
    return prev;
  };
  const bySyncId = dedupeBy(records, 'syncId', previousIndex, rejections, notices);
  const byEmail = dedupeBy(bySyncId, 'email', previousIndex, rejections, notices);
  return { records: byEmail, rejections, notices };
}
