/**
 * The baseline: the last set of people MIM accepted for one target, as stored in snapshot.json.
 * Every guard limit is measured against it, so it is never taken on trust: each read checks its
 * shape, its integrity hash and that it belongs to this target (MIM base URL + project + job).
 * Anything else is an *unknown baseline*, which the guard treats as "MIM may hold anyone".
 *
 * Pure: parses and checks values; the store does the file I/O.
 */
import type { InputIdentity } from '../core/source.js';
import type { PushedRecord } from '../core/types.js';
import { isCarriedSince, PackedRecords, type PreviousRecords } from '../pipeline/packed-records.js';

/** Where a baseline applies. A snapshot, a pending upload and an approval are each bound to one. */
export interface Target {
  /** Normalised MIM base URL: scheme, host, port and path; no user-info, query or trailing slash. */
  readonly baseUrl: string;
  readonly project: string;
  readonly job: string;
}

/**
 * snapshot.json in format version 2: one JSON value, the records as objects. Still read as it is;
 * written only for records that cannot be packed (a NUL, a line break, a lone surrogate).
 */
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

/** A snapshot as a run records it: the store writes it (format 3) and computes its hash. */
export type NewSnapshot = Omit<StoredSnapshot, 'version' | 'recordsSha256'>;

/**
 * A checked snapshot as read back, from either format: its records packed, or (a format 2 file
 * whose records cannot be packed: a lone surrogate) as they were parsed.
 */
export interface Snapshot extends Omit<StoredSnapshot, 'version' | 'records'> {
  readonly version: 2 | 3;
  readonly records: PreviousRecords;
}

/**
 * Format version 3: the first line is a JSON header (the facts of StoredSnapshot but the records,
 * plus `count`), then the records packed (see PackedRecords): exactly the bytes `recordsDigest`
 * hashes, so the hash, the baseline id and every plan id are those format 2 gives the same records.
 */
interface SnapshotHeader extends Omit<StoredSnapshot, 'version' | 'records'> {
  readonly version: 3;
  readonly count: number;
}

export type UnknownReason = 'missing' | 'unreadable' | 'wrong-shape' | 'damaged' | 'foreign' | 'legacy';

export type Baseline =
  | { readonly known: true; readonly id: string; readonly snapshot: Snapshot }
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
  const h = sha256Hash();
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
export const isStr = (v: unknown): v is string => typeof v === 'string';

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
  if (v.carriedSince !== undefined && !(isStr(v.carriedSince) && isCarriedSince(v.carriedSince)))
    return `record ${i} has a carriedSince that is not a time a run wrote`;
  return undefined;
}

/** What is wrong with the facts every format holds (all but the records), if anything. */
function factsProblem(v: Record<string, unknown>): string | undefined {
  const t = targetShape(v.target);
  if (t) return t;
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 1) return 'no valid sequence number';
  for (const k of ['pushedAt', 'planId', 'payloadSha256', 'recordsSha256'] as const)
    if (!isStr(v[k]) || v[k] === '') return `no ${k}`;
  if (!Array.isArray(v.inputs)) return 'no list of inputs';
  const bad = v.inputs.findIndex((x) => !isAcceptedInput(x));
  if (bad >= 0) return `input ${bad} is not a source and the file it read`;
  return undefined;
}

/**
 * One entry of `inputs`: a source and the drop file it read (status prints them; the next run of
 * that source looks the file up by name in its archive, so the name must be a file name, no path;
 * a backslash is a legal character of a Linux file name).
 */
function isAcceptedInput(x: unknown): boolean {
  if (!isObj(x) || !isStr(x.source) || !isObj(x.input)) return false;
  const { name, sha256, seq } = x.input;
  return (
    isStr(name) &&
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    !/[/\0]/.test(name) &&
    isStr(sha256) &&
    (seq === undefined || Number.isSafeInteger(seq))
  );
}

/**
 * A parsed file's version field for a message. Never String() of an object: an edited file may
 * hold `{"toString": ""}`, which makes String() throw instead of the file being reported.
 */
function shownVersion(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return v === null ? 'null' : Array.isArray(v) ? 'a list' : 'an object';
  return String(v);
}

/** What is wrong with the shape of a parsed snapshot file, or undefined when it is well-formed. */
export function snapshotShapeProblem(v: unknown): string | undefined {
  if (!isObj(v))
    return `it holds ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}, not a snapshot`;
  if (v.version !== 2) return `format version ${shownVersion(v.version)} instead of 2 or 3`;
  const facts = factsProblem(v);
  if (facts) return facts;
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

function unknownBaseline(reason: UnknownReason, detail: string, place: string): Baseline {
  return { known: false, id: 'unknown', reason, detail, place };
}

/** Checks a parsed snapshot.json (format 2 or older) against its target. `raw` undefined: the file is missing. */
export function checkBaseline(raw: unknown, target: Target, place: string): Baseline {
  const unknown = (reason: UnknownReason, detail: string): Baseline => unknownBaseline(reason, detail, place);
  if (raw === undefined)
    return unknown('missing', 'there is no snapshot of the last accepted upload (new state directory?)');
  if (isObj(raw) && raw.version === 1)
    return unknown('legacy', 'the snapshot was written by an older version and is not bound to a MIM target');
  const shape = snapshotShapeProblem(raw);
  if (shape) return unknown('wrong-shape', `the snapshot is not usable: ${shape}`);
  const s = raw as unknown as StoredSnapshot;
  if (!sameTarget(s.target, target)) return foreign(s.target, target, place);
  // The packed bytes are what recordsDigest hashes: one pass instead of two.
  const packed = PackedRecords.from(s.records);
  const records = typeof packed === 'string' ? s.records : packed;
  const digest = typeof packed === 'string' ? recordsDigest(s.records) : sha256(packed.bytes);
  if (digest !== s.recordsSha256) return damaged(place);
  return known(2, s, records);
}

/** A checked snapshot's facts (only the known keys: nothing else read from the file is kept). */
function known(
  version: 2 | 3,
  s: Omit<StoredSnapshot, 'version' | 'records'>,
  records: PreviousRecords,
): Baseline {
  const { target, seq, pushedAt, planId, payloadSha256, inputs, recordsSha256 } = s;
  const snapshot: Snapshot = {
    version,
    target,
    seq,
    pushedAt,
    planId,
    payloadSha256,
    inputs,
    records,
    recordsSha256,
  };
  return { known: true, id: baselineId(snapshot), snapshot };
}

function foreign(stored: Target, target: Target, place: string): Baseline {
  return unknownBaseline(
    'foreign',
    `the snapshot belongs to ${describeTarget(stored)}, not to ${describeTarget(target)}`,
    place,
  );
}

function damaged(place: string): Baseline {
  return unknownBaseline(
    'damaged',
    'the snapshot does not match its integrity hash (edited or damaged)',
    place,
  );
}

function sha256(bytes: Uint8Array): string {
  return sha256Hash().update(bytes).digest('hex');
}

/** node:crypto is loaded on first use: its ~20 modules cost `status` a few ms when no snapshot is read. */
function sha256Hash(): import('node:crypto').Hash {
  return process.getBuiltinModule('node:crypto').createHash('sha256');
}

/** snapshot.json as read: format 3 (header line + packed records) or one JSON value (format 2 or older). */
export type SnapshotFile =
  | { readonly format: 3; readonly header: Record<string, unknown>; readonly body: Buffer }
  | { readonly format: 'json'; readonly value: unknown };

/**
 * Splits snapshot.json's bytes by format; undefined when they are neither (not JSON: damaged or
 * cut off). A one-line JSON file is parsed once, whatever its size.
 */
export function splitSnapshotFile(bytes: Buffer): SnapshotFile | undefined {
  const nl = bytes.indexOf(0x0a);
  const end = nl === -1 ? bytes.length : nl;
  let first: unknown;
  try {
    first = JSON.parse(bytes.toString('utf8', 0, end));
  } catch {
    first = undefined;
  }
  if (isObj(first) && first.version === 3)
    return { format: 3, header: first, body: bytes.subarray(Math.min(end + 1, bytes.length)) };
  if (first !== undefined && bytes.length - end <= 1) return { format: 'json', value: first };
  // The header line of a format this version does not know: said so, not "not JSON".
  if (isObj(first) && first.version !== 2) return { format: 'json', value: first };
  try {
    return { format: 'json', value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch {
    return undefined;
  }
}

/** Checks snapshot.json's content against its target, in either format. */
export function checkSnapshotFile(file: SnapshotFile, target: Target, place: string): Baseline {
  if (file.format === 'json') return checkBaseline(file.value, target, place);
  const h = file.header;
  const wrong = (problem: string): Baseline =>
    unknownBaseline('wrong-shape', `the snapshot is not usable: ${problem}`, place);
  const facts = factsProblem(h);
  if (facts) return wrong(facts);
  if (!Number.isSafeInteger(h.count) || (h.count as number) < 1) return wrong('no valid record count');
  const records = PackedRecords.parse(file.body);
  if (typeof records === 'string') return wrong(records);
  if (records.length !== h.count)
    return wrong(`it holds ${records.length} records where its header says ${String(h.count)}`);
  const s = h as unknown as SnapshotHeader;
  if (!sameTarget(s.target, target)) return foreign(s.target, target, place);
  if (sha256(file.body) !== s.recordsSha256) return damaged(place);
  return known(3, s, records);
}

/**
 * The bytes of snapshot.json for a new snapshot, as chunks: format 3, or format 2 when a record
 * cannot be packed (what is written must read back as the same records).
 */
export function encodeSnapshot(s: NewSnapshot): readonly (string | Buffer)[] {
  const { target, seq, pushedAt, planId, payloadSha256, inputs, records } = s;
  const packed = PackedRecords.from(records);
  if (typeof packed === 'string') {
    const v2: StoredSnapshot = {
      version: 2,
      target,
      seq,
      pushedAt,
      planId,
      payloadSha256,
      inputs,
      records,
      recordsSha256: recordsDigest(records),
    };
    return [`${JSON.stringify(v2)}\n`];
  }
  const header: SnapshotHeader = {
    version: 3,
    target,
    seq,
    pushedAt,
    planId,
    payloadSha256,
    inputs,
    count: packed.length,
    recordsSha256: sha256(packed.bytes),
  };
  return [`${JSON.stringify(header)}\n`, packed.bytes];
}
