import { describe, expect, it } from 'vitest';
import type { IdentityRecord, PushedRecord, Rejection } from '../core/types.js';
import { carryForward } from './carry.js';

const DAY = 86_400_000;
const now = new Date('2026-12-01T12:00:00.000Z');
const ada: PushedRecord = {
  firstName: 'Ada',
  lastName: 'L',
  email: 'ada@example.com',
  id: '1',
  syncId: 'S1',
};
const broken: Rejection = {
  place: { source: 'hr', kind: 'csv-folder', ref: 'staff.csv:2' },
  code: 'bad-email',
  field: 'email',
  reason: 'E-mail address "ada@" is not valid',
  fix: 'fix it',
  syncId: 'S1',
  email: 'ada@',
};
const none: IdentityRecord[] = [];

/**
 * Whether Ada, invalid since `ageMs` ago, is still carried with `days` allowed; the previous run
 * started `previousAgoMs` before this one (default: a minute).
 */
function carried(days: number, ageMs: number | undefined, previousAgoMs: number | null = 60_000): boolean {
  const since = ageMs === undefined ? undefined : new Date(now.getTime() - ageMs).toISOString();
  const previousRunAt = previousAgoMs === null ? undefined : new Date(now.getTime() - previousAgoMs);
  const r = carryForward(none, [broken], [{ ...ada, carriedSince: since }], now, days, previousRunAt);
  expect(r.carried.length + r.expired.length).toBe(1);
  return r.carried.length === 1;
}

// guard.carryForwardDays (issue #10 item 15): 0 = never carried; N = carried while less than N days old.
describe('carryForward: the guard.carryForwardDays boundary', () => {
  it('0 carries nobody, not even in the run where the row first turns invalid', () => {
    expect(carried(0, undefined)).toBe(false);
  });

  it('N carries from the first invalid run until N days have passed by this run and the previous one', () => {
    expect(carried(1, undefined)).toBe(true);
    expect(carried(1, DAY - 1)).toBe(true);
    expect(carried(1, DAY + 60_000)).toBe(false);
    expect(carried(14, 14 * DAY - 1000)).toBe(true);
    expect(carried(14, 14 * DAY + 60_000)).toBe(false);
  });

  it('one clock reading past the deadline lets nobody go: the previous run must be past it too', () => {
    // This run's clock says 14 days, the previous run (a minute "before") said less.
    expect(carried(14, 14 * DAY)).toBe(true);
    // The clock jumped a year ahead for this run only (the previous run was a day after the carry began).
    expect(carried(14, 365 * DAY, 364 * DAY)).toBe(true);
    // No previous run recorded (a new or rotated history): carried one more run.
    expect(carried(14, 30 * DAY, null)).toBe(true);
    // Both readings past the deadline: let go.
    expect(carried(14, 30 * DAY, DAY)).toBe(false);
  });

  it('says who is carried one more run because only this reading is past the deadline', () => {
    const since = new Date(now.getTime() - 20 * DAY).toISOString();
    const r = carryForward(
      none,
      [broken],
      [{ ...ada, carriedSince: since }],
      now,
      14,
      new Date(now.getTime() - 7 * DAY),
    );
    expect(r.held.map((h) => h.syncId)).toEqual(['S1']);
    expect(r.carried.map((h) => h.carriedSince)).toEqual([since]);
  });

  it('an expired person comes with the rejection that explains it', () => {
    const r = carryForward(none, [broken], [ada], now, 0);
    expect(r.expired).toEqual([{ record: ada, rejection: broken }]);
  });
});
