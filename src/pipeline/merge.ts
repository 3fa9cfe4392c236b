/**
 * Merging the valid records of a job's sources into one set with unique Sync IDs and e-mails.
 *
 * The rule, the same for Sync ID duplicates and e-mail duplicates (Sync IDs first, then e-mails):
 *  1. last pushed: the record that matches what MIM holds (for a Sync ID the e-mail pushed with it,
 *     for an e-mail the Sync ID pushed with it), so a duplicate never replaces a working person;
 *  2. otherwise source precedence: the source listed first in the job's config;
 *  3. within one source, file order: the earlier row (the source's own order).
 * Nothing else decides — not the Sync IDs' sort order, not the order of another source's rows.
 * A loser from the same source is rejected with both places named (a data error to fix there);
 * a loser from a lower-precedence source with the same Sync ID is an expected overlap (a notice).
 */
import {
  type IdentityRecord,
  type Notice,
  type PushedRecord,
  type Rejection,
  sameFields,
} from '../core/types.js';
import { type PreviousRecords, recordList } from './packed-records.js';

export interface MergeResult {
  readonly records: IdentityRecord[];
  readonly rejections: Rejection[];
  readonly notices: Notice[];
}

type Key = 'syncId' | 'email';

interface Previous {
  readonly byId: ReadonlyMap<string, PushedRecord>;
  readonly byEmail: ReadonlyMap<string, PushedRecord>;
}

/** Why the winner won, for the messages. */
type Reason = 'last pushed' | 'first';

/** `group` is in precedence order (first source first, each in its own order). */
function pickWinner(group: IdentityRecord[], key: Key, prev: Previous): [IdentityRecord, Reason] {
  const pushed = group.find((r) => {
    const p = key === 'syncId' ? prev.byId.get(r.syncId) : prev.byEmail.get(r.email);
    return p !== undefined && p.syncId === r.syncId && p.email === r.email;
  });
  const first = group[0]!;
  if (pushed && pushed !== first) return [pushed, 'last pushed'];
  // Reported against each loser: another source lost by precedence, the same one by file order.
  return [first, 'first'];
}

function whyKept(reason: Reason, winner: IdentityRecord, loser: IdentityRecord): string {
  if (reason === 'last pushed') return 'it is what MIM holds from the last push';
  return winner.place.source === loser.place.source
    ? 'it comes first in the file'
    : `"${winner.place.source}" comes first in the job's sources`;
}

function resolveGroups(
  groups: IdentityRecord[][],
  key: Key,
  prev: Previous,
  losers: Set<IdentityRecord>,
  rejections: Rejection[],
  notices: Notice[],
): void {
  for (const group of groups) {
    const [winner, reason] = pickWinner(group, key, prev);
    for (const r of group) {
      if (r === winner) continue;
      losers.add(r);
      const why = whyKept(reason, winner, r);
      if (r.place.source !== winner.place.source && r.syncId === winner.syncId) {
        if (!sameFields(r, winner)) {
          notices.push({
            place: r.place,
            message: `same person as ${winner.place.source}: ${winner.place.ref}; kept the record of "${winner.place.source}" (${reason === 'last pushed' ? 'what MIM holds' : 'higher precedence'})`,
          });
        }
        continue;
      }
      // A file without a Sync ID column uses the e-mail as Sync ID: name what the file holds.
      const byEmail = key === 'email' || (r.syncId === r.email && winner.syncId === winner.email);
      const what = byEmail
        ? `e-mail "${r.email}"${key === 'syncId' ? ' (used as the Sync ID)' : ''}`
        : `Sync ID "${r.syncId}"`;
      rejections.push({
        place: r.place,
        code: byEmail ? 'duplicate-email' : 'duplicate-sync-id',
        field: byEmail ? 'email' : 'syncId',
        reason: `duplicate ${what}, also at ${winner.place.source}: ${winner.place.ref} (that one is kept: ${why})`,
        fix: `give each person a unique ${byEmail ? 'e-mail address' : 'Sync ID'}, or remove one of the two rows`,
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
}

// One comparator per key: a fixed property read is much faster than \`a[key]\` in a hot sort.
const bySyncId = (a: IdentityRecord, b: IdentityRecord): number =>
  a.syncId < b.syncId ? -1 : a.syncId > b.syncId ? 1 : 0;
const byEmail = (a: IdentityRecord, b: IdentityRecord): number =>
  a.email < b.email ? -1 : a.email > b.email ? 1 : 0;

/** Adjacent records sharing a key, in a list sorted by it: each group in the list's order. */
function adjacentGroups(sorted: readonly IdentityRecord[], key: Key): IdentityRecord[][] {
  const groups: IdentityRecord[][] = [];
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]![key] !== sorted[i - 1]![key]) continue;
    const group = [sorted[i - 1]!];
    while (i < sorted.length && sorted[i]![key] === group[0]![key]) group.push(sorted[i++]!);
    groups.push(group);
  }
  return groups;
}

/**
 * Records sharing a Sync ID, each group in input order, and the records sorted by Sync ID (the
 * plan needs that order anyway; the stable sort keeps input order within a group, so the input
 * must be in precedence order for the groups to be).
 */
function syncIdGroups(records: readonly IdentityRecord[]): {
  sorted: IdentityRecord[];
  groups: IdentityRecord[][];
} {
  const sorted = records.slice().sort(bySyncId);
  return { sorted, groups: adjacentGroups(sorted, 'syncId') };
}

/** Sorting wins while the list is a few sorted runs (the sort merges them in near-linear time). */
const MAX_RUNS_TO_SORT = 256;

function fewRuns(records: readonly IdentityRecord[]): boolean {
  let runs = 1;
  for (let i = 1; i < records.length; i++)
    if (records[i - 1]!.email > records[i]!.email && ++runs > MAX_RUNS_TO_SORT) return false;
  return true;
}

/**
 * Records sharing an e-mail, each group in input order, the groups in e-mail order. A list in
 * (nearly) e-mail order is sorted; any other is hashed: Graph and exports sorted by name or ID list
 * e-mails in no order, where sorting costs 2-3 times as much (bench/merge.mjs). `how` is for the
 * test that both ways find the same groups.
 */
export function emailGroups(
  records: readonly IdentityRecord[],
  how: 'auto' | 'sort' | 'hash' = 'auto',
): IdentityRecord[][] {
  if (how === 'sort' || (how === 'auto' && fewRuns(records)))
    return adjacentGroups(records.slice().sort(byEmail), 'email');
  const first = new Map<string, IdentityRecord>();
  const shared = new Map<string, IdentityRecord[]>();
  for (const r of records) {
    const seen = first.get(r.email);
    if (seen === undefined) first.set(r.email, r);
    else {
      const group = shared.get(r.email);
      if (group) group.push(r);
      else shared.set(r.email, [seen, r]);
    }
  }
  return [...shared.values()].sort((a, b) => byEmail(a[0]!, b[0]!));
}

/**
 * `records` must be in precedence order (first source first, each in its own order). The result
 * is sorted by Sync ID (the plan sorts by Sync ID, and sorting sorted input is linear).
 */
export function mergeRecords(
  records: readonly IdentityRecord[],
  previous: PreviousRecords | null,
): MergeResult {
  const rejections: Rejection[] = [];
  const notices: Notice[] = [];
  let prev: Previous | undefined;
  // Indexes of the last push, built only when a duplicate needs a tie-break.
  const previousIndex = (): Previous => {
    const list = previous ? recordList(previous) : [];
    prev ??= {
      byId: new Map(list.map((p) => [p.syncId, p])),
      byEmail: new Map(list.map((p) => [p.email, p])),
    };
    return prev;
  };
  const losers = new Set<IdentityRecord>();
  const ids = syncIdGroups(records);
  if (ids.groups.length > 0)
    resolveGroups(ids.groups, 'syncId', previousIndex(), losers, rejections, notices);
  // E-mail duplicates among the survivors, still in precedence order — never in Sync ID order.
  const survivors = losers.size > 0 ? records.filter((r) => !losers.has(r)) : records;
  const emails = emailGroups(survivors);
  if (emails.length > 0) resolveGroups(emails, 'email', previousIndex(), losers, rejections, notices);
  return {
    records: losers.size > 0 ? ids.sorted.filter((r) => !losers.has(r)) : ids.sorted,
    rejections,
    notices,
  };
}
