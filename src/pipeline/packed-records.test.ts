import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { place } from '../../test/helpers/records.js';
import type { PushedRecord } from '../core/types.js';
import type { DesiredRecord } from './carry.js';
import { PackedRecords } from './packed-records.js';
import { compareSyncId, computePlan } from './plan.js';

const jsOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Text the packing must keep: any well-formed string without a NUL or a line break, including astral characters and U+E000–U+FFFF. */
const text = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('a', 'b', 'A', ' ', 'ä', 'ß', '中', '\uffff', '\ue000', '😀', '𝔘', '\u0085'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
    minLength: 1,
    maxLength: 6,
  })
  .filter((s) => !/[\0\n]/.test(s));

const record = fc.record(
  {
    syncId: text,
    firstName: text,
    lastName: text,
    email: text,
    id: text,
    // As a run writes it (toISOString); anything else is refused on reading (the test below).
    carriedSince: fc.option(
      fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString()),
      { nil: undefined },
    ),
  },
  { requiredKeys: ['syncId', 'firstName', 'lastName', 'email', 'id'] },
);
const records = fc.uniqueArray(record, { selector: (r) => r.syncId, maxLength: 30 }).map((rs) =>
  rs
    .map((r) => (r.carriedSince === undefined ? { ...r, carriedSince: undefined } : r))
    .map(({ carriedSince, ...r }): PushedRecord => (carriedSince ? { ...r, carriedSince } : r))
    .sort(compareSyncId),
);

function packed(rs: readonly PushedRecord[]): PackedRecords {
  const p = PackedRecords.from(rs);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

describe('PackedRecords', () => {
  it('gives back every record as it was packed, in order', () => {
    fc.assert(
      fc.property(
        records.filter((rs) => rs.length > 0),
        (rs) => {
          const p = packed(rs);
          expect(p.length).toBe(rs.length);
          expect([...p]).toEqual(rs);
          expect(p.toArray()).toEqual(rs);
        },
      ),
    );
  });

  it('compares Sync IDs in JavaScript string order and fields exactly, without building the record', () => {
    fc.assert(
      fc.property(
        records.filter((rs) => rs.length > 0),
        text,
        fc.nat(),
        (rs, other, n) => {
          const p = packed(rs);
          const i = n % rs.length;
          const r = rs[i]!;
          expect(Math.sign(p.compareSyncId(i, other))).toBe(jsOrder(r.syncId, other));
          expect(p.compareSyncId(i, r.syncId)).toBe(0);
          expect(p.sameFields(i, r)).toBe(true);
          expect(p.sameFields(i, { ...r, lastName: other })).toBe(r.lastName === other);
          expect(p.sameFields(i, { ...r, email: `${r.email}${other}` })).toBe(false);
          expect(p.sameKeys(i, r.syncId, r.carriedSince)).toBe(true);
          expect(p.sameKeys(i, r.syncId, other)).toBe(r.carriedSince === other);
        },
      ),
    );
  });

  it.each([
    ['empty', '', 'an empty list of records'],
    ['cut off', 'a\0b\0c\0d\0e\0', 'record 0 is cut off'],
    ['short of a field', 'a\0b\0c\0d\0e\n', 'record 0 has 5 fields instead of 6'],
    ['over by a field', 'a\0b\0c\0d\0e\0\0\n', 'record 0 has more than 6 fields'],
    ['without an e-mail', 'a\0b\0c\0\0e\0\n', 'record 0 has no email'],
    ['without a Sync ID', '\0b\0c\0d\0e\0\n', 'record 0 has no syncId'],
    // Carry-forward would read a non-time as an age of NaN: never expired.
    [
      'carried since no time',
      'a\0b\0c\0d\0e\0soon\n',
      'record 0 has a carriedSince that is not a time a run wrote',
    ],
    [
      'carried since a time no run writes',
      'a\0b\0c\0d\0e\u00002026-13-01T00:00:00.000Z\n',
      'record 0 has a carriedSince that is not a time a run wrote',
    ],
    [
      'unsorted',
      'b\0b\0c\0d\0e\0\na\0b\0c\0d\0e\0\n',
      'records are not sorted by unique Sync ID at record 1',
    ],
    [
      'repeating a Sync ID',
      'a\0b\0c\0d\0e\0\na\0b\0c\0d\0e\0\n',
      'records are not sorted by unique Sync ID at record 1',
    ],
    // U+FFFF sorts after U+1F600 in bytes, before it in UTF-16 (and so in the plan's order).
    [
      'sorted by bytes, not by UTF-16',
      '\uffff\0b\0c\0d\0e\0\n😀\0b\0c\0d\0e\0\n',
      'records are not sorted by unique Sync ID at record 1',
    ],
  ])('refuses packed records %s', (_what, bytes, problem) => {
    expect(PackedRecords.parse(Buffer.from(bytes))).toBe(problem);
  });

  it('refuses bytes that are not UTF-8, and records it cannot pack', () => {
    expect(PackedRecords.parse(Buffer.from([0x61, 0xff, 0, 0x62, 0, 0x63, 0, 0x64, 0, 0x65, 0, 0x0a]))).toBe(
      'the records are not UTF-8 text',
    );
    const r: PushedRecord = { firstName: 'a', lastName: 'b', email: 'c', id: 'd', syncId: 'e' };
    for (const bad of ['x\0y', 'x\ny', '\ud800'])
      expect(PackedRecords.from([{ ...r, lastName: bad }])).toEqual(expect.any(String));
  });
});

describe('computePlan against a packed baseline', () => {
  const asDesired = ({ carriedSince: _c, ...r }: PushedRecord): DesiredRecord => ({
    ...r,
    place: place(`x:${r.syncId}`),
  });

  it('plans exactly what it plans against the same records as objects (same id, same before, same deletes)', () => {
    fc.assert(
      fc.property(
        records.filter((rs) => rs.length > 0),
        records,
        fc.array(fc.constantFrom('keep', 'drop', 'change', 'email'), { maxLength: 30 }),
        records,
        (before, extra, fate, pending) => {
          // The desired set: the baseline's people kept, dropped or changed, plus others.
          const next = before.flatMap((r, i): DesiredRecord[] => {
            const f = fate[i] ?? 'keep';
            if (f === 'drop') return [];
            if (f === 'change') return [asDesired({ ...r, lastName: `${r.lastName}ä` })];
            if (f === 'email') return [asDesired({ ...r, email: `x${r.email}` })];
            return [asDesired(r)];
          });
          const taken = new Set(before.map((r) => r.syncId));
          for (const r of extra) if (!taken.has(r.syncId)) next.push(asDesired(r));
          const basis = { baselineId: '3:abc', pending };
          const fromObjects = computePlan(next, before, basis);
          const fromPacked = computePlan(next, packed(before), basis);
          expect(fromPacked).toEqual(fromObjects);
        },
      ),
    );
  });
});
