/**
 * The baseline: the last set of people MIM accepted for one target, as stored in snapshot.json.
 * Every guard limit is measured against it, so it is never taken on trust: each read checks its
 * shape, its integrity hash and that it belongs to this target (MIM base URL + project + job).
 * Anything else is an *unknown baseline*, which the guard treats as "MIM may hold anyone".
 *
 * Pure: parses and checks values; the store does the file I/O.
 */
import { createHash } from 'node:crypto';
import type { InputIdentity } from '../core/source.js';
import type { PushedRecord } from '../core/types.js';

/** Where a baseline applies. A snapshot, a pending upload and an approval are each bound to one. */
export interface Target {
  /** Normalised MIM base URL: scheme, host, port and path; no user-info, query or trailing slash. */
  readonly baseUrl: string;
  readonly project: string;
  readonly job: string;
}

export interface StoredSnapshot {
  readonly version: 2;
  readonly target: Target;
  /** Counts accepted uploads of this state dir: 1, 2, 3 … Orders snapshots without a clock. */
  readonly seq: number;
  /** When MIM accepted it (informational: shown as the age, never used to order anything). */
  readonly pushedAt: string;
  readonly planId: string;
  readonly payloadSha256: string;
  /** Which input each source delivered for this baseline (a drop file's name and hash). */
  readonly inputs: readonly { readonly source: string; readonly input: InputIdentity }[];
  /** Sorted by Sync ID, unique. */
  readonly records: readonly PushedRecord[];
  /** SHA-256 of the records (see recordsDigest); a hand edit or a torn copy shows up here. */
  readonly recordsSha256: string;
}

export type UnknownReason = 'missing' | 'unreadable' | 'wrong-shape' | 'damaged' | 'foreign' | 'legacy';

export type Baseline =
  | { readonly known: true; readonly id: string; readonly snapshot: StoredSnapshot }
  | {
      readonly known: false;
      readonly id: 'unknown';
      readonly reason: UnknownReason;
      /** One sentence for people: what is wrong with the baseline. */
      readonly detail: string;
      /** The file involved. */
      readonly place: string;
    };

/** A baseline as the views show it: its facts, without the records (a view never holds 100k people). */
export type BaselineFacts =
  | {
      readonly known: true;
      readonly id: string;
      readonly seq: number;
      readonly users: number;
      readonly pushedAt: string;
    }
  | Extract<Baseline, { known: false }>;

export function baselineFacts(b: Baseline): BaselineFacts {
  if (!b.known) return b;
  const { seq, records, pushedAt } = b.snapshot;
  return { known: true, id: b.id, seq, users: records.length, pushedAt };
}

export function normalizeBaseUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return raw.replace(/\/+$/, '');
  }
}

export function targetOf(job: {
  readonly name: string;
  readonly mim: { readonly baseUrl: string; readonly project: string };
}): Target {
  return { baseUrl: normalizeBaseUrl(job.mim.baseUrl), project: job.mim.project, job: job.name };
}

export function sameTarget(a: Target, b: Target): boolean {
  return a.baseUrl === b.baseUrl && a.project === b.project && a.job === b.job;
}

export function describeTarget(t: Target): string {
  return `project "${t.project}" at ${t.baseUrl} (job ${t.job})`;
}

/** Hash of the records in order, field by field; batched because a baseline may hold a million. */
export function recordsDigest(records: readonly PushedRecord[]): string {
  const h = createHash('sha256');
  let batch = '';
  for (const r of records) {
    batch += `${r.syncId}\0${r.firstName}\0${r.lastName}\0${r.email}\0${r.id}\0${r.carriedSince ?? ''}\n`;
    if (batch.length > 65_536) {
      h.update(batch);
      batch = '';
    }
  }
  h.update(batch);
  return h.digest('hex');
}

/** The id an approval and a plan are bound to: which baseline, in which version. */
export function baselineId(s: Pick<StoredSnapshot, 'seq' | 'recordsSha256'>): string {
  return `${s.seq}:${s.recordsSha256.slice(0, 12)}`;
}

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

export function targetShape(v: unknown): string | undefined {
  if (!isObj(v)) return 'no target';
  if (!isStr(v.baseUrl) || !isStr(v.project) || !isStr(v.job)) return 'the target is incomplete';
  return undefined;
}

function recordShape(v: unknown, i: number): string | undefined {
  if (!isObj(v)) return `record ${i} is not an object`;
  for (const f of ['firstName', 'lastName', 'email', 'id', 'syncId'] as const) {
    if (!isStr(v[f]) || v[f] === '') return `record ${i} has no ${f}`;
  }
  if (v.carriedSince !== undefined && !isStr(v.carriedSince)) return `record ${i} has a bad carriedSince`;
  return undefined;
}

/** What is wrong with the shape of a parsed snapshot file, or undefined when it is well-formed. */
export function snapshotShapeProblem(v: unknown): string | undefined {
  if (!isObj(v))
    return `it holds ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}, not a snapshot`;
  if (v.version !== 2) return `format version ${String(v.version)} instead of 2`;
  const t = targetShape(v.target);
  if (t) return t;
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 1) return 'no valid sequence number';
  for (const k of ['pushedAt', 'planId', 'payloadSha256', 'recordsSha256'] as const)
    if (!isStr(v[k]) || v[k] === '') return `no ${k}`;
  if (!Array.isArray(v.inputs)) return 'no list of inputs';
  if (!Array.isArray(v.records)) return 'no list of records';
  // MIM never accepted an empty upload from us (the guard stops an empty source), so an empty
  // list is a damaged file, not "nobody is in the project".
  if (v.records.length === 0) return 'an empty list of records';
  return recordsProblem(v.records);
}

/** What is wrong with a list of pushed records (each whole, sorted by unique Sync ID), if anything. */
export function recordsProblem(records: readonly unknown[]): string | undefined {
  let prev = '';
  for (let i = 0; i < records.length; i++) {
    const p = recordShape(records[i], i);
    if (p) return p;
    const id = (records[i] as { syncId: string }).syncId;
    if (i > 0 && id <= prev) return `records are not sorted by unique Sync ID at record ${i}`;
    prev = id;
  }
  return undefined;
}

/** Checks a parsed snapshot.json against its target. `raw` undefined means the file is missing. */
export function checkBaseline(raw: unknown, target: Target, place: string): Baseline {
  const unknown = (reason: UnknownReason, detail: string): Baseline => ({
    known: false,
    id: 'unknown',
    reason,
    detail,
    place,
  });
  if (raw === undefined)
    return unknown('missing', 'there is no snapshot of the last accepted upload (new state directory?)');
  if (isObj(raw) && raw.version === 1)
    return unknown('legacy', 'the snapshot was written by an older version and is not bound to a MIM target');
  const shape = snapshotShapeProblem(raw);
  if (shape) return unknown('wrong-shape', `the snapshot is not usable: ${shape}`);
  const s = raw as unknown as StoredSnapshot;
  if (!sameTarget(s.target, target)) {
    return unknown(
      'foreign',
      `the snapshot belongs to ${describeTarget(s.target)}, not to ${describeTarget(target)}`,
    );
  }
  if (recordsDigest(s.records) !== s.recordsSha256)
    return unknown('damaged', 'the snapshot does not match its integrity hash (edited or damaged)');
  return { known: true, id: baselineId(s), snapshot: s };
}
