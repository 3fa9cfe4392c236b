/**
 * Property tests of the pure pipeline (normalise → validate → merge → carry → plan → guard) on
 * generated source records: hostile text, colliding Sync IDs and e-mails across several sources,
 * and a previous push to carry people from. The upload must always be one MIM accepts, keep every
 * valid person, invent nobody, and name each rejection's place; the guard must never let a plan
 * with more deletes than allowed through without an approval, nor an empty source at all.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { GuardConfig } from '../../src/config/schema.js';
import type { Place, PushedRecord, Rejection, SourceRecord } from '../../src/core/types.js';
import { buildPlan, evaluateGuard } from '../../src/pipeline/index.js';
import type { SourceSnapshot } from '../../src/sources/types.js';
import { NOW, pipelineProblems, validRecords } from './oracles.js';

const counts = { cases: 0, records: 0, pushed: 0, rejections: 0, carried: 0, guardCases: 0 };

afterAll(() => {
  console.log(
    `Pipeline fuzz: ${counts.cases} cases (${counts.records} records: ${counts.pushed} pushed, ${counts.rejections} rejections, ${counts.carried} carried forward); guard: ${counts.guardCases} cases`,
  );
});

/** Small pools make duplicates across records, sources and the previous push likely. */
const SYNC_IDS = ['E1', 'E2', 'E3', 'E4', 'E5', 'e1', ' E1 ', 'E\u00a01', 'P-0001', 'x'.repeat(256)];
const EMAILS = [
  'ada@example.com',
  'ADA@example.com',
  ' ada@example.com ',
  'bob@example.com',
  'carol@example.co.uk',
  'dan@xn--mller-kva.de',
  'eve@münchen.de',
  'bad@',
  '@example.com',
  'a b@example.com',
  'ada@example.com\n',
];
const IDS = ['1001', '0001', '1002', 'ÄÖ', 'B 12', '', ' 7 ', 'x'.repeat(256), '\u0007', '12\r\n3'];

const text = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Z][a-z]{0,12}$/) },
  { weight: 2, arbitrary: fc.string({ maxLength: 15 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 15 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '  ', 'Jean  Luc', '\tTab', 'Zoe\u0308', 'A\u2028B', 'x'.repeat(101)),
  },
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 8 });

const fields = fc.record({
  firstName: maybe(text),
  lastName: maybe(text),
  email: maybe(fc.oneof(fc.constantFrom(...EMAILS), fc.emailAddress(), text)),
  id: maybe(fc.oneof(fc.constantFrom(...IDS), fc.stringMatching(/^[0-9]{1,6}$/), text)),
  syncId: maybe(fc.oneof(fc.constantFrom(...SYNC_IDS), fc.stringMatching(/^[A-Z][0-9]{1,3}$/), text)),
});

function snapshotOf(source: string, rows: readonly Omit<SourceRecord, 'place'>[]): SourceSnapshot {
  return {
    source,
    kind: 'csv-folder',
    description: source,
    notices: [],
    records: rows.map((r, i) => ({
      ...r,
      place: { source, kind: 'csv-folder', ref: `${source}.csv:${i + 2}` },
    })),
  };
}

/** A previous push: valid, unique people (what the state could hold). */
const previousPush = fc
  .array(
    fc.record({
      firstName: fc.stringMatching(/^[A-Z][a-z]{1,8}$/),
      lastName: fc.stringMatching(/^[A-Z][a-z]{1,8}$/),
      email: fc.constantFrom('ada@example.com', 'bob@example.com', 'carol@example.co.uk', 'old@example.com'),
      id: fc.stringMatching(/^[0-9]{1,6}$/),
      syncId: fc.constantFrom('E1', 'E2', 'E3', 'E4', 'OLD'),
      carriedSince: fc.option(fc.constantFrom('2026-11-20T00:00:00.000Z', '2026-10-01T00:00:00.000Z'), {
        nil: undefined,
      }),
    }),
    { maxLength: 6 },
  )
  .map((ps) => {
    const ids = new Set<string>();
    const emails = new Set<string>();
    return ps.filter((p) => {
      if (ids.has(p.syncId) || emails.has(p.email)) return false;
      ids.add(p.syncId);
      emails.add(p.email);
      return true;
    }) as PushedRecord[];
  });

const scenario = fc.record({
  sources: fc.array(fc.array(fields, { maxLength: 20 }), { minLength: 1, maxLength: 3 }),
  previous: fc.option(previousPush, { nil: null }),
});

function placeCheck(snapshots: readonly SourceSnapshot[]): (r: Rejection) => string | undefined {
  const places = new Set(snapshots.flatMap((s) => s.records.map((r) => `${r.place.source}\0${r.place.ref}`)));
  return (r) =>
    places.has(`${r.place.source}\0${r.place.ref}`)
      ? undefined
      : `rejection at ${r.place.source}: ${r.place.ref}, which is no input record`;
}

const LIMITS: GuardConfig = {
  maxDeletes: 2,
  maxDeletePercent: 30,
  minUsers: 1,
  maxShrinkPercent: 50,
  carryForwardDays: 14,
  maxIdChangePercent: 10,
  maxNameSwapPercent: 10,
  approvalTtlHours: 24,
};

describe('the pipeline on generated records', () => {
  it('uploads only what MIM accepts, keeps every valid person, invents nobody, places every rejection', () => {
    fc.assert(
      fc.property(scenario, ({ sources, previous }) => {
        counts.cases++;
        const snapshots = sources.map((rows, i) => snapshotOf(`src${i}`, rows));
        const { problems, build } = pipelineProblems({
          snapshots,
          previous,
          placeProblem: placeCheck(snapshots),
        });
        counts.records += snapshots.reduce((n, s) => n + s.records.length, 0);
        counts.pushed += build.desired.length;
        counts.rejections += build.rejections.length;
        counts.carried += build.carried.length;
        expect(problems).toEqual([]);
      }),
      { numRuns: 10_000, seed: 20261125 },
    );
  });

  it('a person pushed before and now invalid is carried, not deleted (within carryForwardDays)', () => {
    fc.assert(
      fc.property(previousPush, fc.nat(), (previous, pick) => {
        fc.pre(previous.length > 0);
        counts.cases++;
        const victim = previous[pick % previous.length]!;
        const place: Place = { source: 'hr', kind: 'csv-folder', ref: 'hr.csv:9' };
        const rows: SourceRecord[] = previous.map((p, i) =>
          p === victim
            ? { ...p, email: 'broken@', place }
            : { ...p, place: { ...place, ref: `hr.csv:${i + 2}` } },
        );
        const build = buildPlan({
          snapshots: [snapshotOf('hr', rows)],
          previous,
          now: NOW,
          carryForwardDays: 365,
        });
        expect(build.plan.deletes.map((d) => d.syncId)).toEqual([]);
        expect(build.desired.find((d) => d.syncId === victim.syncId)?.email).toBe(victim.email);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('the guard never lets an empty source or too many deletes through without approval', () => {
    fc.assert(
      fc.property(scenario, fc.boolean(), ({ sources, previous }, approve) => {
        counts.guardCases++;
        const snapshots = sources.map((rows, i) => snapshotOf(`src${i}`, rows));
        const build = buildPlan({ snapshots, previous, now: NOW });
        const approval = approve ? { allowDeletes: 1 } : undefined;
        const verdict = evaluateGuard({ plan: build.plan, sources: build.counts, limits: LIMITS, approval });
        const empty = snapshots.some((s) => s.records.length === 0);
        const valid = snapshots.flatMap((s) => validRecords(s.records)).length;
        const deletes = build.plan.deletes.length;
        const before = previous?.length ?? 0;
        if (empty || valid === 0 || build.desired.length < LIMITS.minUsers) expect(verdict.ok).toBe(false);
        const overLimit =
          deletes > LIMITS.maxDeletes || (before > 0 && (deletes / before) * 100 > LIMITS.maxDeletePercent);
        if (overLimit && (!approve || deletes > 1)) expect(verdict.ok).toBe(false);
        if (verdict.ok === false && verdict.kind === 'hard-stop')
          expect(empty || valid === 0 || build.desired.length < LIMITS.minUsers).toBe(true);
      }),
      { numRuns: 3000, seed: 11 },
    );
  });
});
