/**
 * What every fuzz case must satisfy once a snapshot went through the pipeline — the promises
 * DESIGN §5 makes about bad input:
 *  - the upload is one MIM would accept (checked by the emulator's own whole-file validator);
 *  - nobody valid is lost: the upload holds at least the valid records left after de-duplication;
 *  - nobody is invented: each uploaded person is a valid input record or someone pushed before;
 *  - every rejection names a place that exists.
 */
import type { CsvDialect } from '../../src/config/schema.js';
import type { IdentityRecord, PushedRecord, Rejection, SourceRecord } from '../../src/core/types.js';
import { validateUpload } from '../../src/emulator/validate.js';
import { type BuildResult, buildPlan } from '../../src/pipeline/index.js';
import { normalizeToIdentity } from '../../src/pipeline/normalize.js';
import { NO_PROBLEMS, validateRecord } from '../../src/pipeline/validate.js';
import { encodePayload } from '../../src/sinks/mim/encode-csv.js';
import type { SourceSnapshot } from '../../src/sources/types.js';

export const MIM_DIALECT: CsvDialect = {
  header: false,
  delimiter: ',',
  encoding: 'utf-8',
  lineEnding: 'crlf',
  includeSyncId: true,
};

export const NOW = new Date('2026-11-25T09:30:00.000Z');

function fieldsKey(r: {
  firstName: string;
  lastName: string;
  email: string;
  id: string;
  syncId: string;
}): string {
  return [r.firstName, r.lastName, r.email, r.id, r.syncId].join('\u0001');
}

/** The records that pass validation, normalised, in input order. */
export function validRecords(records: readonly SourceRecord[]): IdentityRecord[] {
  const out: IdentityRecord[] = [];
  for (const r of records) {
    const person = normalizeToIdentity(r);
    if (validateRecord(r.place, person) === NO_PROBLEMS) out.push({ ...person });
  }
  return out;
}

/** How many valid records survive a first-wins de-duplication by Sync ID, then by e-mail. */
export function dedupedCount(valid: readonly IdentityRecord[]): number {
  const firstOnly = (records: readonly IdentityRecord[], key: 'syncId' | 'email'): IdentityRecord[] => {
    const seen = new Set<string>();
    return records.filter((r) => {
      if (seen.has(r[key])) return false;
      seen.add(r[key]);
      return true;
    });
  };
  return firstOnly(firstOnly(valid, 'syncId'), 'email').length;
}

export interface OracleInput {
  readonly snapshots: readonly SourceSnapshot[];
  readonly previous: readonly PushedRecord[] | null;
  /** Checks one rejection's place; returns a problem or undefined. */
  readonly placeProblem: (r: Rejection) => string | undefined;
}

/** Runs buildPlan and returns every broken promise (empty = all kept). */
export function pipelineProblems(input: OracleInput): { problems: string[]; build: BuildResult } {
  const problems: string[] = [];
  const build = buildPlan({ snapshots: input.snapshots, previous: input.previous, now: NOW });
  const payload = encodePayload(build.desired, MIM_DIALECT);
  const verdict = validateUpload(payload);
  if (!verdict.ok) {
    problems.push(
      `MIM would reject the upload: ${verdict.errors
        .slice(0, 3)
        .map((e) => `line ${e.line}: ${e.message}`)
        .join('; ')}`,
    );
  } else if (verdict.rows.length !== build.desired.length) {
    problems.push(`MIM would read ${verdict.rows.length} people from an upload of ${build.desired.length}`);
  }

  const valid = input.snapshots.flatMap((s) => validRecords(s.records));
  const floor = dedupedCount(valid);
  if (build.desired.length < floor)
    problems.push(`only ${build.desired.length} people pushed, but ${floor} valid ones after de-duplication`);

  const allowed = new Set([...valid.map(fieldsKey), ...(input.previous ?? []).map(fieldsKey)]);
  for (const d of build.desired)
    if (!allowed.has(fieldsKey(d)))
      problems.push(`pushed a person no source or earlier push had: ${d.syncId}`);

  const ids = new Set(build.desired.map((d) => d.syncId));
  const emails = new Set(build.desired.map((d) => d.email));
  if (ids.size !== build.desired.length) problems.push('a Sync ID is pushed twice');
  if (emails.size !== build.desired.length) problems.push('an e-mail address is pushed twice');

  for (const r of build.rejections) {
    const p = input.placeProblem(r);
    if (p) problems.push(p);
    if (!r.reason || !r.fix) problems.push(`a rejection without reason or fix at ${r.place.ref}`);
  }
  return { problems, build };
}
