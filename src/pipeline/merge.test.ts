import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IdentityRecord, PushedRecord } from '../core/types.js';
import { emailGroups, mergeRecords } from './merge.js';

function rec(source: string, line: number, syncId: string, email: string, lastName = 'Last'): IdentityRecord {
  return {
    firstName: 'First',
    lastName,
    email,
    id: '1',
    syncId,
    place: { source, kind: 'csv-folder', ref: `${source}.csv:${line}` },
  };
}

const pushed = ({ place: _p, ...fields }: IdentityRecord): PushedRecord => fields;

describe('mergeRecords: which duplicate is kept (issue #10 item 15)', () => {
  it('one e-mail under two Sync IDs in two sources: the higher-precedence source, not the smaller Sync ID', () => {
    const hr = rec('hr', 2, 'P0041', 'new@example.com', 'Hr');
    const contractor = rec('contractors', 3, 'C0002', 'new@example.com', 'Contractor');
    const r = mergeRecords([hr, contractor], null);
    expect(r.records).toEqual([hr]);
    expect(r.rejections).toEqual([
      expect.objectContaining({
        code: 'duplicate-email',
        place: contractor.place,
        related: [hr.place],
        reason:
          'duplicate e-mail "new@example.com", also at hr: hr.csv:2 (that one is kept: "hr" comes first in the job\'s sources)',
      }),
    ]);
  });

  it('within one file on a first upload: the earlier row, not the smaller Sync ID', () => {
    const early = rec('hr', 42, 'P0099', 'dup@example.com');
    const later = rec('hr', 43, 'P0050', 'dup@example.com');
    const r = mergeRecords([early, later], null);
    expect(r.records).toEqual([early]);
    expect(r.rejections[0]?.reason).toMatch(
      /also at hr: hr\.csv:42 \(that one is kept: it comes first in the file\)/,
    );
  });

  it('what MIM holds beats precedence and file order, and says so', () => {
    const hr = rec('hr', 2, 'P0041', 'new@example.com');
    const contractor = rec('contractors', 3, 'C0002', 'new@example.com');
    const r = mergeRecords([hr, contractor], [pushed(contractor)]);
    expect(r.records).toEqual([contractor]);
    expect(r.rejections[0]).toMatchObject({
      place: hr.place,
      reason: expect.stringMatching(/that one is kept: it is what MIM holds from the last push/),
    });
  });

  it('keeps the Sync ID order of the result for the plan', () => {
    const r = mergeRecords(
      [rec('hr', 2, 'B', 'b@x.com'), rec('hr', 3, 'A', 'a@x.com'), rec('hr', 4, 'C', 'b@x.com')],
      null,
    );
    expect(r.records.map((x) => x.syncId)).toEqual(['A', 'B']);
  });
});

describe('mergeRecords: e-mail duplicates in a list in no e-mail order (hashed, not sorted)', () => {
  // 2,000 people whose e-mails come in no order (as Graph lists them): far more than the few sorted
  // runs below which the e-mails are sorted instead.
  const people = Array.from({ length: 2000 }, (_, i) =>
    rec('entra', i + 1, `S${String(i).padStart(4, '0')}`, `u${(i * 7919) % 2000}@example.com`),
  );

  it('rejects the later of two rows with one e-mail and names the kept one', () => {
    const later = rec('entra', 3000, 'S9999', people[1500]!.email);
    const r = mergeRecords([...people, later], null);
    expect(r.records).toHaveLength(2000);
    expect(r.records).not.toContain(later);
    expect(r.rejections).toEqual([
      expect.objectContaining({
        code: 'duplicate-email',
        place: later.place,
        related: [people[1500]!.place],
      }),
    ]);
  });

  it('finds the same groups, in the same order, as sorting does', () => {
    const record = fc
      .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 9 }))
      .map(([row, mail]) => rec(`src${row % 3}`, row, `S${row}`, `m${mail}@example.com`));
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), (records) => {
        const sorted = emailGroups(records, 'sort');
        expect(emailGroups(records, 'hash')).toEqual(sorted);
        expect(emailGroups(records)).toEqual(sorted);
      }),
      { numRuns: 2000, seed: 14 },
    );
  });
});
