import { describe, expect, it } from 'vitest';
import { pushed, rec, snap } from '../../test/helpers/records.js';
import { buildPlan, RecordCollector } from './index.js';

const now = new Date('2026-11-25T10:00:00Z');

describe('buildPlan', () => {
  it('rejects a bad row by its place and still plans the rest', () => {
    const r = buildPlan({ snapshots: [snap([rec(1), rec(2, { email: 'broken' })])], previous: null, now });
    expect(r.plan.adds.map((a) => a.syncId)).toEqual(['S1']);
    expect(r.rejections).toEqual([
      expect.objectContaining({ code: 'bad-email', place: expect.objectContaining({ ref: 'staff.csv:3' }) }),
    ]);
  });

  it('carries forward a pushed person whose new row is invalid instead of deleting them', () => {
    const r = buildPlan({
      snapshots: [snap([rec(1), rec(2, { id: 'Ä' })])],
      previous: [pushed(1), pushed(2)],
      now,
    });
    expect(r.plan.deletes).toEqual([]);
    expect(r.carried.map((c) => c.syncId)).toEqual(['S2']);
    expect(r.carried[0]).toMatchObject({ id: 'ID2', carriedSince: now.toISOString() });
    expect(r.notices.some((n) => n.message.includes('keeps the data pushed last'))).toBe(true);
  });

  it('lets a carried person go after carryForwardDays, once the previous run was past it too', () => {
    const previous = [pushed(1), pushed(2, { carriedSince: '2026-11-01T00:00:00.000Z' })];
    const plan = (previousRunAt: Date | undefined) =>
      buildPlan({
        snapshots: [snap([rec(1), rec(2, { id: 'Ä' })])],
        previous,
        now,
        carryForwardDays: 14,
        previousRunAt,
      });
    expect(plan(new Date('2026-11-20T00:00:00.000Z')).plan.deletes.map((d) => d.syncId)).toEqual(['S2']);
    // Only this run's clock is past the deadline: carried one more run, and the notice says why.
    const held = plan(new Date('2026-11-10T00:00:00.000Z'));
    expect(held.plan.deletes).toEqual([]);
    expect(held.notices.map((n) => n.message)).toContainEqual(
      expect.stringMatching(
        /due to be let go .* but not by the previous run's start \(2026-11-10T00:00:00\.000Z\): carried one more run/,
      ),
    );
    // No previous run recorded (a new or rotated history.jsonl): the same, one more run.
    const unconfirmed = plan(undefined);
    expect(unconfirmed.plan.deletes).toEqual([]);
    expect(unconfirmed.notices.map((n) => n.message)).toContainEqual(
      expect.stringMatching(/but no previous run is recorded to confirm it: carried one more run/),
    );
  });

  it('does not invite someone new whose row is invalid', () => {
    const r = buildPlan({
      snapshots: [snap([rec(1), rec(2, { firstName: '' })])],
      previous: [pushed(1)],
      now,
    });
    expect(r.plan.adds).toEqual([]);
    expect(r.carried).toEqual([]);
  });

  it('keeps one of two rows with the same e-mail and rejects the other naming both places', () => {
    const r = buildPlan({
      snapshots: [snap([rec(1), rec(2, { email: 'USER1@example.com' })])],
      previous: null,
      now,
    });
    expect(r.plan.adds.map((a) => a.syncId)).toEqual(['S1']);
    const [dup] = r.rejections;
    expect(dup).toMatchObject({
      code: 'duplicate-email',
      place: { ref: 'staff.csv:3' },
      related: [{ ref: 'staff.csv:2' }],
    });
    expect(r.notices.some((n) => n.place?.ref === 'staff.csv:2' && n.message.includes('staff.csv:3'))).toBe(
      true,
    );
  });

  it('prefers the duplicate that matches what was pushed before', () => {
    const r = buildPlan({
      snapshots: [snap([rec(9, { email: 'user2@example.com' }), rec(2)])],
      previous: [pushed(2)],
      now,
    });
    expect(r.desired.map((d) => d.syncId)).toEqual(['S2']);
    expect(r.rejections[0]).toMatchObject({ code: 'duplicate-email', place: { ref: 'staff.csv:10' } });
  });

  it('merges sources by precedence and reports differing overlaps as notices', () => {
    const ldap = snap([rec(1, {}, 'ldap')], 'ldap');
    const csv = snap(
      [rec(1, { lastName: 'Other' }, 'contractors'), rec(5, {}, 'contractors')],
      'contractors',
    );
    const r = buildPlan({ snapshots: [ldap, csv], previous: null, now });
    expect(r.desired.map((d) => `${d.syncId}:${d.lastName}:${d.place.source}`)).toEqual([
      'S1:Last1:ldap',
      'S5:Last5:contractors',
    ]);
    expect(r.rejections).toEqual([]);
    expect(r.notices[0]?.message).toContain('higher precedence');
  });

  it('counts unreadable rows as rejections with their place', () => {
    const s = {
      ...snap([rec(1)]),
      unreadable: [{ ref: 'staff.csv:9', reason: 'unclosed quote', fix: 'close the quote' }],
    };
    const r = buildPlan({ snapshots: [s], previous: null, now });
    expect(r.rejections).toEqual([
      expect.objectContaining({
        code: 'unreadable-row',
        place: expect.objectContaining({ ref: 'staff.csv:9' }),
      }),
    ]);
    expect(r.counts).toEqual([{ source: 'hr', total: 2, valid: 1 }]);
  });
});

describe('buildPlan with many rejections', () => {
  it('lists the first N per source, counts the rest, and still carries a pushed person whose row is not listed', () => {
    const bad = Array.from({ length: 30 }, (_, i) => rec(100 + i, { email: `broken${i}` }));
    // The pushed person 2 is invalid now, after 30 other invalid rows: beyond the listing cap.
    const r = buildPlan({
      snapshots: [snap([rec(1), ...bad, rec(2, { id: 'Ä' })])],
      previous: [pushed(1), pushed(2)],
      now,
      maxListedRejections: 5,
    });
    expect(r.rejections).toHaveLength(5);
    expect(r.rejectedTotal).toBe(31);
    expect(r.rejectionCounts).toEqual([{ source: 'hr', total: 31, listed: 5 }]);
    expect(r.plan.deletes).toEqual([]);
    expect(r.carried.map((c) => c.syncId)).toEqual(['S2']);
    expect(r.carried[0]?.place.ref).toBe('staff.csv:3');
  });

  it('takes a streamed source pre-collected, the same as its array', () => {
    const records = [rec(1), rec(2, { email: 'broken' }), rec(3)];
    const c = new RecordCollector('hr', 'csv-folder', 1000);
    for (const x of records) c.add(x);
    const streamed = buildPlan({
      snapshots: [{ ...snap(records), collected: c.result() }],
      previous: [pushed(2)],
      now,
    });
    const plain = buildPlan({ snapshots: [snap(records)], previous: [pushed(2)], now });
    expect(streamed.plan).toEqual(plain.plan);
    expect(streamed.rejections).toEqual(plain.rejections);
    expect(streamed.carried).toEqual(plain.carried);
  });
});
