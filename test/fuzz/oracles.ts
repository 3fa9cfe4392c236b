/**
 * What every fuzz case must satisfy once a snapshot went through the pipeline — the promises
 * DESIGN §5 makes about bad input:
 *  - the upload is one MIM would accept (checked by the emulator's own whole-file validator);
 *  - nobody valid is lost: every valid record no other record competes with is uploaded as is;
 *  - nobody is invented: each uploaded person is a valid input record or someone pushed before;
 *  - every rejection names a place that exists.
 */
import type { CsvDialect } from '../../src/config/schema.js';
import type { SourceSnapshot } from '../../src/core/source.js';
import type { IdentityRecord, PushedRecord, Rejection, SourceRecord } from '../../src/core/types.js';
import { validateUpload } from '../../src/emulator/validate.js';
import { type BuildResult, buildPlan } from '../../src/pipeline/index.js';
import { normalizeToIdentity } from '../../src/pipeline/normalize.js';
import { NO_PROBLEMS, validateRecord } from '../../src/pipeline/validate.js';
import { encodePayload } from '../../src/sinks/mim/encode-csv.js';

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

/**
 * The valid records no de-duplication rule may drop: their Sync ID and e-mail occur once among
 * the valid records and belong to no one carried forward. Which of two duplicates wins depends on
 * the documented rule (last pushed, then source precedence, then file order), so a count after
 * some fixed first-wins pass is no floor: with a previous push, keeping the last-pushed duplicate
 * can rightly cost a second record its place (fuzz:long found that at case 25,665).
 */
export function unambiguous(
  valid: readonly IdentityRecord[],
  carried: readonly IdentityRecord[],
): IdentityRecord[] {
  const count = (key: 'syncId' | 'email'): Map<string, number> => {
    const m = new Map<string, number>();
    for (const r of valid) m.set(r[key], (m.get(r[key]) ?? 0) + 1);
    return m;
  };
  const ids = count('syncId');
  const emails = count('email');
  const taken = new Set(carried.flatMap((c) => [`i:${c.syncId}`, `e:${c.email}`]));
  return valid.filter(
    (r) =>
      ids.get(r.syncId) === 1 &&
      emails.get(r.email) === 1 &&
      !taken.has(`i:${r.syncId}`) &&
      !taken.has(`e:${r.email}`),
  );
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
  const pushed = new Set(build.desired.map(fieldsKey));
  for (const r of unambiguous(valid, build.carried))
    if (!pushed.has(fieldsKey(r))) problems.push(`lost ${r.syncId}, a valid record nobody else claims`);

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
