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

/** Whether Ada, invalid since `ageMs` ago, is still carried with `days` allowed. */
function carried(days: number, ageMs: number | undefined): boolean {
  const since = ageMs === undefined ? undefined : new Date(now.getTime() - ageMs).toISOString();
  const r = carryForward(none, [broken], [{ ...ada, carriedSince: since }], now, days);
  expect(r.carried.length + r.expired.length).toBe(1);
  return r.carried.length === 1;
}

// guard.carryForwardDays (issue #10 item 15): 0 = never carried; N = carried while less than N days old.
describe('carryForward: the guard.carryForwardDays boundary', () => {
  it('0 carries nobody, not even in the run where the row first turns invalid', () => {
    expect(carried(0, undefined)).toBe(false);
  });

  it('N carries from the first invalid run until just before N days have passed', () => {
    expect(carried(1, undefined)).toBe(true);
    expect(carried(1, DAY - 1)).toBe(true);
    expect(carried(1, DAY)).toBe(false);
    expect(carried(14, 14 * DAY - 1000)).toBe(true);
    expect(carried(14, 14 * DAY)).toBe(false);
  });

  it('an expired person comes with the rejection that explains it', () => {
    const r = carryForward(none, [broken], [ada], now, 0);
    expect(r.expired).toEqual([{ record: ada, rejection: broken }]);
  });
});
