import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEEP_PLANS, type PersonRow, readPlanPage, storedPlans, writePlanLog } from './plan-log.js';

const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function person(i: number): PersonRow {
  return {
    firstName: `F${i}`,
    lastName: `L${i}`,
    email: `p${i}@example.com`,
    id: String(100_000 + i),
    syncId: `S${i}`,
  };
}

const header = (runId: string) => ({
  runId,
  job: 'main',
  planId: 'plan-1',
  baselineId: 'base-1',
  outcome: 'blocked',
  at: '2026-01-01T00:00:00.000Z',
  rejectedTotal: 3,
});

function tmp(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'plan-log-')), 'plans');
}

describe('plan log', () => {
  it('pages each section, parsing only the rows shown', async () => {
    const dir = tmp();
    await writePlanLog(dir, header(uuid(1)), {
      adds: Array.from({ length: 250 }, (_, i) => person(i)),
      updates: [
        {
          syncId: 'S7',
          firstName: 'A',
          lastName: 'B',
          email: 'a@x',
          changes: [{ field: 'id', from: '1', to: '2' }],
        },
      ],
      deletes: Array.from({ length: 3 }, (_, i) => person(1000 + i)),
      rejections: [{ place: 'hr: staff.csv:9', message: 'bad e-mail', fix: 'fix it' }],
    });
    const p3 = await readPlanPage(dir, uuid(1), 'adds', 3, 100);
    expect(p3).toMatchObject({ kind: 'page', page: 3, pages: 3, first: 200 });
    if (p3.kind !== 'page') throw new Error('no page');
    expect(p3.rows).toHaveLength(50);
    expect(p3.rows[0]).toEqual(person(200));
    expect(p3.header.counts).toEqual({ adds: 250, updates: 1, deletes: 3, rejections: 1 });
    const del = await readPlanPage(dir, uuid(1), 'deletes', 1, 100);
    expect(del.kind === 'page' && del.rows).toEqual([person(1000), person(1001), person(1002)]);
    const upd = await readPlanPage(dir, uuid(1), 'updates', 9, 100);
    expect(upd).toMatchObject({ kind: 'page', page: 1, rows: [{ syncId: 'S7' }] });
    const rej = await readPlanPage(dir, uuid(1), 'rejections', 1, 100);
    expect(rej).toMatchObject({ kind: 'page', rows: [{ place: 'hr: staff.csv:9' }] });
  });

  it('shows a missing, damaged or cut-off file as not stored', async () => {
    const dir = tmp();
    expect(await readPlanPage(dir, uuid(2), 'adds', 1, 100)).toMatchObject({ kind: 'not-stored' });
    expect(await readPlanPage(dir, '../snapshot', 'adds', 1, 100)).toMatchObject({ kind: 'not-stored' });
    await writePlanLog(dir, header(uuid(2)), {
      adds: [person(1), person(2)],
      updates: [],
      deletes: [],
      rejections: [],
    });
    const file = path.join(dir, `${uuid(2)}.ndjson`);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length - 20));
    expect(await readPlanPage(dir, uuid(2), 'adds', 1, 100)).toMatchObject({ kind: 'not-stored' });
    writeFileSync(file, 'not json\n');
    expect(await readPlanPage(dir, uuid(2), 'adds', 1, 100)).toMatchObject({ kind: 'not-stored' });
  });

  it(`keeps the newest ${KEEP_PLANS} plans`, async () => {
    const dir = tmp();
    const empty = { adds: [], updates: [], deletes: [], rejections: [] };
    for (let i = 0; i < KEEP_PLANS + 3; i++) {
      await writePlanLog(dir, header(uuid(i)), empty);
      const t = new Date(Date.UTC(2026, 0, 1, 0, i));
      utimesSync(path.join(dir, `${uuid(i)}.ndjson`), t, t);
    }
    const kept = await storedPlans(dir);
    expect(kept.size).toBe(KEEP_PLANS);
    expect(kept.has(uuid(0))).toBe(false);
    expect(kept.has(uuid(KEEP_PLANS + 2))).toBe(true);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
