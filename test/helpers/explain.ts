/** `plan --explain` for pipeline-level tests: one source of records against a last upload (or none). */
import type { PushedRecord, SourceRecord } from '../../src/core/types.js';
import { buildPlan, type GuardVerdict } from '../../src/pipeline/index.js';
import { explainPerson, lookupFromSnapshot, type SourceLookup } from '../../src/run/explain.js';
import { snap } from './records.js';

const now = new Date('2026-11-25T10:00:00Z');
const OK: GuardVerdict = { ok: true, overridden: [] };

export interface ExplainOptions {
  readonly guard?: GuardVerdict;
  /** What each source found; default: looked up in the fetched snapshot. */
  readonly lookups?: SourceLookup[];
  readonly carryForwardDays?: number;
}

export function explainFor(
  key: string,
  records: SourceRecord[],
  previous: PushedRecord[] | null,
  options: ExplainOptions = {},
) {
  const snapshots = [snap(records)];
  const build = buildPlan({ snapshots, previous, now, carryForwardDays: options.carryForwardDays });
  return explainPerson({
    key,
    job: 'main',
    snapshots,
    build,
    baseline: previous
      ? { known: true, records: previous, pushedAt: '2026-11-24T10:00:00Z' }
      : { known: false, detail: 'there is no snapshot' },
    guard: options.guard ?? OK,
    lookups: options.lookups ?? snapshots.map((s) => lookupFromSnapshot(s, key)),
  });
}
