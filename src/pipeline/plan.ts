/**
 * The plan: what MIM will do with the upload, as the diff between the desired set and the last
 * successfully pushed snapshot, keyed by Sync ID. Pure; `plan` (the dry run) prints it.
 */
import { createHash } from 'node:crypto';
import type { Field, PushedRecord } from '../core/types.js';
import type { DesiredRecord } from './carry.js';
import { PackedRecords, type PreviousRecords } from './packed-records.js';

export interface FieldChange {
  readonly field: Field;
  readonly from: string;
  readonly to: string;
}

export interface PlannedUpdate {
  readonly syncId: string;
  readonly before: PushedRecord;
  readonly after: DesiredRecord;
  readonly changes: readonly FieldChange[];
}

export interface Plan {
  /** Short hash of the changes; an approval names it, so it cannot carry over to another plan. */
  readonly id: string;
  readonly adds: readonly DesiredRecord[];
  readonly updates: readonly PlannedUpdate[];
  readonly deletes: readonly PushedRecord[];
  readonly unchanged: number;
  /** The complete set to upload, sorted by Sync ID (so payloads are byte-stable). */
  readonly desired: readonly DesiredRecord[];
  /** Number of people in the baseline; null when the baseline is unknown. */
  readonly previousCount: number | null;
  /**
   * People an earlier upload with no definite answer may have put into MIM, who are neither in
   * the baseline nor in this upload: if that upload was applied, this one deletes them.
   */
  readonly maybeDeletes: readonly PushedRecord[];
}

/** Besides the baseline, what a plan is measured against. */
export interface PlanBasis {
  /** Binds the plan id to the baseline, so an approval never carries over to another baseline. */
  readonly baselineId?: string | undefined;
  /** Union of the records of uploads MIM may have applied (pending.json). */
  readonly pending?: readonly PushedRecord[] | undefined;
}

const COMPARED: readonly Field[] = ['firstName', 'lastName', 'email', 'id'];

export function compareSyncId(a: { syncId: string }, b: { syncId: string }): number {
  return a.syncId < b.syncId ? -1 : a.syncId > b.syncId ? 1 : 0;
}

function diffFields(before: PushedRecord, after: DesiredRecord): FieldChange[] | undefined {
  // Most people are unchanged: compare first, allocate only for a real change.
  if (
    before.firstName === after.firstName &&
    before.lastName === after.lastName &&
    before.email === after.email &&
    before.id === after.id
  ) {
    return undefined;
  }
  const out: FieldChange[] = [];
  for (const field of COMPARED) {
    if (before[field] !== after[field]) out.push({ field, from: before[field], to: after[field] });
  }
  return out;
}

export function planId(
  adds: readonly DesiredRecord[],
  updates: readonly PlannedUpdate[],
  deletes: readonly PushedRecord[],
  baselineId = '',
  maybeDeletes: readonly PushedRecord[] = [],
): string {
  const h = createHash('sha256');
  h.update(`baseline\0${baselineId}\n`);
  // Hashed in batches: one update() per line costs more than the hashing at a million adds.
  let batch = '';
  const add = (line: string): void => {
    batch += line;
    if (batch.length > 65_536) {
      h.update(batch);
      batch = '';
    }
  };
  for (const a of adds) add(`+\0${a.syncId}\0${a.firstName}\0${a.lastName}\0${a.email}\0${a.id}\n`);
  for (const u of updates) add(`~\0${u.syncId}\0${u.changes.map((c) => `${c.field}\0${c.to}`).join('\0')}\n`);
  for (const d of deletes) add(`-\0${d.syncId}\n`);
  for (const d of maybeDeletes) add(`?\0${d.syncId}\n`);
  h.update(batch);
  return h.digest('hex').slice(0, 12);
}

/**
 * `records` in Sync ID order: itself when it already is (a checked snapshot, the merge stage's
 * output), else a sorted copy. Checking is one pass; copying and re-sorting a million is not free.
 */
function sortedBySyncId<T extends { syncId: string }>(records: readonly T[]): readonly T[] {
  for (let i = 1; i < records.length; i++) {
    if (records[i - 1]!.syncId > records[i]!.syncId) return [...records].sort(compareSyncId);
  }
  return records;
}

/** The previous upload as the merge-join reads it: in Sync ID order, objects only on demand. */
interface JoinSide {
  readonly length: number;
  at(j: number): PushedRecord;
  compareSyncId(j: number, syncId: string): number;
  sameFields(j: number, r: DesiredRecord): boolean;
}

function joinSide(previous: PreviousRecords | null): JoinSide {
  if (previous instanceof PackedRecords) return previous;
  const prev = previous ? sortedBySyncId(previous) : [];
  return {
    length: prev.length,
    at: (j) => prev[j]!,
    compareSyncId: (j, syncId) => {
      const s = prev[j]!.syncId;
      return s < syncId ? -1 : s > syncId ? 1 : 0;
    },
    sameFields: (j, r) => diffFields(prev[j]!, r) === undefined,
  };
}

/**
 * A merge-join of the desired set and the previous snapshot, both in Sync ID order: no hashing,
 * which matters at a million people. The snapshot is stored sorted and the merge stage hands on
 * Sync ID order, so neither is sorted again here. A packed snapshot is compared in place: an
 * unchanged person builds no object.
 */
export function computePlan(
  desiredIn: readonly DesiredRecord[],
  previous: PreviousRecords | null,
  basis: PlanBasis = {},
): Plan {
  const desired = sortedBySyncId(desiredIn);
  const prev = joinSide(previous);
  const adds: DesiredRecord[] = [];
  const updates: PlannedUpdate[] = [];
  const deletes: PushedRecord[] = [];
  let unchanged = 0;
  let i = 0;
  let j = 0;
  while (i < desired.length || j < prev.length) {
    const d = desired[i];
    const order = d === undefined ? -1 : j < prev.length ? prev.compareSyncId(j, d.syncId) : 1;
    if (order > 0) {
      adds.push(d!);
      i++;
    } else if (order < 0) {
      deletes.push(prev.at(j));
      j++;
    } else {
      if (prev.sameFields(j, d!)) unchanged++;
      else {
        const before = prev.at(j);
        updates.push({ syncId: d!.syncId, before, after: d!, changes: diffFields(before, d!)! });
      }
      i++;
      j++;
    }
  }
  const maybe = maybeDeleted(desired, prev, basis.pending ?? []);
  return {
    id: planId(adds, updates, deletes, basis.baselineId ?? '', maybe),
    adds,
    updates,
    deletes,
    unchanged,
    desired,
    previousCount: previous ? previous.length : null,
    maybeDeletes: maybe,
  };
}

/**
 * People of the pending uploads in neither the desired set nor the baseline, in Sync ID order:
 * one walk of the three sorted lists, so a million-person baseline is not put in a set.
 */
function maybeDeleted(
  desired: readonly DesiredRecord[],
  prev: JoinSide,
  pendingIn: readonly PushedRecord[],
): PushedRecord[] {
  if (pendingIn.length === 0) return [];
  const pending = sortedBySyncId(pendingIn);
  const out: PushedRecord[] = [];
  let i = 0;
  let j = 0;
  for (const p of pending) {
    while (i < desired.length && desired[i]!.syncId < p.syncId) i++;
    while (j < prev.length && prev.compareSyncId(j, p.syncId) < 0) j++;
    const inDesired = i < desired.length && desired[i]!.syncId === p.syncId;
    const inPrev = j < prev.length && prev.compareSyncId(j, p.syncId) === 0;
    if (!inDesired && !inPrev) out.push(p);
  }
  return out;
}

export function hasChanges(plan: Plan): boolean {
  return plan.adds.length + plan.updates.length + plan.deletes.length + plan.maybeDeletes.length > 0;
}

/** Updates that change the credential ID of someone already pushed (re-keys their phone). */
export function idChanges(plan: Plan): readonly PlannedUpdate[] {
  return plan.updates.filter((u) => u.changes.some((c) => c.field === 'id'));
}

/** Updates that swap first and last name: a mapping or export with the two columns swapped. */
export function nameSwaps(plan: Plan): readonly PlannedUpdate[] {
  return plan.updates.filter(
    (u) =>
      u.before.firstName !== u.before.lastName &&
      u.before.firstName === u.after.lastName &&
      u.before.lastName === u.after.firstName,
  );
}

/** What the state will hold after MIM accepts this plan. */
export function toPushed(desired: readonly DesiredRecord[]): PushedRecord[] {
  return desired.map(({ firstName, lastName, email, id, syncId, carriedSince }) =>
    carriedSince
      ? { firstName, lastName, email, id, syncId, carriedSince }
      : { firstName, lastName, email, id, syncId },
  );
}

/**
 * Delete + add pairs that look like one person whose e-mail changed (same ID and name). Without
 * a stable Sync ID, MIM deletes that person and sends a new invitation; the plan says so.
 */
export function likelyEmailChanges(
  plan: Plan,
): { readonly from: PushedRecord; readonly to: DesiredRecord }[] {
  if (plan.deletes.length === 0 || plan.adds.length === 0) return [];
  const deleted = new Map<string, PushedRecord>();
  for (const d of plan.deletes) deleted.set(`${d.id}\0${d.firstName}\0${d.lastName}`, d);
  const out: { from: PushedRecord; to: DesiredRecord }[] = [];
  for (const a of plan.adds) {
    const from = deleted.get(`${a.id}\0${a.firstName}\0${a.lastName}`);
    if (from && from.email !== a.email) out.push({ from, to: a });
  }
  return out;
}
