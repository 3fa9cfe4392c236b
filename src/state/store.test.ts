import { appendFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { forgeSnapshot } from '../../test/helpers/snapshot-file.js';
import type { PushedRecord } from '../core/types.js';
import { recordsDigest, type StoredSnapshot, type Target } from './baseline.js';
import { configureLocks } from './lock.js';
import { type HistoryEntry, JobState } from './store.js';

const TARGET: Target = { baseUrl: 'https://mim.example.com', project: 'hq', job: 'main' };
const people: PushedRecord[] = ['a', 'b'].map((x) => ({
  firstName: x,
  lastName: x,
  email: `${x}@example.com`,
  id: x,
  syncId: x,
}));
const snap = (seq: number): StoredSnapshot => ({
  version: 2,
  target: TARGET,
  seq,
  pushedAt: new Date(seq * 1000).toISOString(),
  planId: `p${seq}`,
  payloadSha256: 'h',
  inputs: [],
  records: people,
  recordsSha256: recordsDigest(people),
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'state-'));
});

const entry = (i: number): HistoryEntry => ({
  runId: `r${i}`,
  job: 'main',
  trigger: 'cli',
  startedAt: new Date(i * 1000).toISOString(),
  endedAt: new Date(i * 1000).toISOString(),
  outcome: 'unchanged',
  durationMs: 1,
});

describe('JobState', () => {
  it('writes the snapshot atomically, keeps a copy, and reads it back as a known baseline', async () => {
    const s = new JobState(dir, 'main');
    await s.writeSnapshot(snap(1));
    const b = await s.readBaseline(TARGET);
    expect(b).toMatchObject({ known: true, id: `1:${snap(1).recordsSha256.slice(0, 12)}` });
    expect((await readdir(path.join(dir, 'main'))).sort()).toEqual(['baselines', 'snapshot.json']);
    expect(await readdir(path.join(dir, 'main', 'baselines'))).toEqual(['snapshot-1.json']);
  });

  it('views the baseline without its records, and sees a new or edited snapshot.json at once', async () => {
    const s = new JobState(dir, 'main');
    expect(await s.viewBaseline(TARGET)).toMatchObject({ known: false, reason: 'missing' });
    await s.writeSnapshot(snap(1));
    const first = await s.viewBaseline(TARGET);
    expect(first).toEqual({
      known: true,
      id: expect.any(String),
      seq: 1,
      users: snap(1).records.length,
      pushedAt: snap(1).pushedAt,
    });
    expect(await s.viewBaseline(TARGET)).toBe(first); // unchanged file: remembered
    await s.writeSnapshot(snap(2));
    expect(await s.viewBaseline(TARGET)).toMatchObject({ known: true, seq: 2 });
    await writeFile(path.join(dir, 'main', 'snapshot.json'), '{"version":2,');
    expect(await s.viewBaseline(TARGET)).toMatchObject({ known: false, reason: 'unreadable' });
    expect(await s.viewBaseline({ ...TARGET, project: 'other' })).toMatchObject({ known: false });
  });

  it.each([
    ['missing', null, 'missing'],
    ['not JSON', '{"version":2,', 'unreadable'],
    ['null', 'null', 'wrong-shape'],
    ['{}', '{}', 'wrong-shape'],
    [
      'an empty record list',
      JSON.stringify({ ...snap(1), records: [], recordsSha256: recordsDigest([]) }),
      'wrong-shape',
    ],
    ['unsorted records', JSON.stringify({ ...snap(1), records: [...people].reverse() }), 'wrong-shape'],
    [
      'a hand-edited record',
      JSON.stringify({ ...snap(1), records: [{ ...people[0], email: 'x@example.com' }, people[1]] }),
      'damaged',
    ],
    [
      'another target',
      JSON.stringify({ ...snap(1), target: { ...TARGET, baseUrl: 'http://127.0.0.1:1' } }),
      'foreign',
    ],
    ['another project', JSON.stringify({ ...snap(1), target: { ...TARGET, project: 'other' } }), 'foreign'],
    ['an old unbound snapshot', JSON.stringify({ version: 1, job: 'main', records: people }), 'legacy'],
    [
      'a record carried since no time (its hash recomputed)',
      (() => {
        const records = [{ ...people[0]!, carriedSince: 'yesterday' }, people[1]!];
        return JSON.stringify({ ...snap(1), records, recordsSha256: recordsDigest(records) });
      })(),
      'wrong-shape',
    ],
  ])('a snapshot.json that is %s is an unknown baseline, never an empty one', async (_what, text, reason) => {
    const s = new JobState(dir, 'main');
    await s.ensureDir();
    if (text !== null) await writeFile(path.join(dir, 'main', 'snapshot.json'), text);
    expect(await s.readBaseline(TARGET)).toMatchObject({ known: false, id: 'unknown', reason });
  });

  /** A format-3 snapshot.json as the store writes it, with `change` applied to its facts and records. */
  const forged = (
    change: (h: Record<string, unknown>, r: PushedRecord[]) => Buffer | undefined = () => undefined,
  ) => {
    const { records, ...header } = snap(1);
    return change(header, [...records]) ?? forgeSnapshot(header, records);
  };
  const body = (b: Buffer): Buffer => b.subarray(b.indexOf(10) + 1);

  it.each([
    ['cut off in its header', () => forged().subarray(0, 40), 'unreadable'],
    ['cut off in its records', () => forged().subarray(0, -3), 'wrong-shape'],
    [
      'missing a record its header counts',
      () => forged((h, r) => forgeSnapshot({ ...h, count: 2 }, r.slice(0, 1))),
      'wrong-shape',
    ],
    ['empty of records', () => forged((h) => forgeSnapshot({ ...h, count: 1 }, [])), 'wrong-shape'],
    ['without a target', () => forged((h, r) => forgeSnapshot({ ...h, target: 'x' }, r)), 'wrong-shape'],
    [
      // The next run looks the file up by this name in the drop folder's archive.
      'naming an input by a path',
      () =>
        forged((h, r) =>
          forgeSnapshot({ ...h, inputs: [{ source: 'hr', input: { name: '../../x.csv', sha256: 'f' } }] }, r),
        ),
      'wrong-shape',
    ],
    [
      'with an input that is not one',
      () => forged((h, r) => forgeSnapshot({ ...h, inputs: [{ source: { toString: '' } }] }, r)),
      'wrong-shape',
    ],
    [
      'without its hash',
      () => forged((h, r) => forgeSnapshot({ ...h, recordsSha256: '' }, r)),
      'wrong-shape',
    ],
    [
      'with a record of five fields',
      () => Buffer.from(forged().toString().replace('\0\n', '\n')),
      'wrong-shape',
    ],
    [
      'with a record of seven fields',
      () => Buffer.from(forged().toString().replace('\0\n', '\0\0\n')),
      'wrong-shape',
    ],
    [
      'with an empty e-mail',
      () => forged((h, r) => forgeSnapshot(h, [{ ...r[0]!, email: '' }, r[1]!])),
      'wrong-shape',
    ],
    ['with unsorted records', () => forged((h, r) => forgeSnapshot(h, r.reverse())), 'wrong-shape'],
    ['with a repeated Sync ID', () => forged((h, r) => forgeSnapshot(h, [r[0]!, r[0]!])), 'wrong-shape'],
    [
      'with a record carried since no time',
      () =>
        forged((h, r) => {
          const rs = [{ ...r[0]!, carriedSince: 'NaN' }, r[1]!];
          return forgeSnapshot({ ...h, recordsSha256: recordsDigest(rs) }, rs);
        }),
      'wrong-shape',
    ],
    [
      'not UTF-8',
      () =>
        forged((h, r) => Buffer.concat([forgeSnapshot(h, r).subarray(0, -4), Buffer.from([0xff, 0, 0x0a])])),
      'wrong-shape',
    ],
    [
      'edited by hand',
      () => forged((h, r) => forgeSnapshot(h, [{ ...r[0]!, email: 'x@example.com' }, r[1]!])),
      'damaged',
    ],
    [
      'of another project',
      () => forged((h, r) => forgeSnapshot({ ...h, target: { ...TARGET, project: 'o' } }, r)),
      'foreign',
    ],
    ['of a format not known', () => forged((h, r) => forgeSnapshot(h, r).fill(0x34, 11, 12)), 'wrong-shape'],
  ])('a format-3 snapshot.json %s is an unknown baseline', async (_what, bytes, reason) => {
    const s = new JobState(dir, 'main');
    await s.ensureDir();
    await writeFile(path.join(dir, 'main', 'snapshot.json'), bytes());
    expect(await s.readBaseline(TARGET)).toMatchObject({ known: false, id: 'unknown', reason });
  });

  it('writes format 3, whose hash and baseline id are those format 2 gives the same records', async () => {
    const s = new JobState(dir, 'main');
    await s.writeSnapshot(snap(1));
    const written = await readFile(path.join(dir, 'main', 'snapshot.json'));
    expect(JSON.parse(written.toString('utf8', 0, written.indexOf(10)))).toMatchObject({
      version: 3,
      count: 2,
    });
    expect(body(written).toString()).toBe('a\0a\0a\0a@example.com\0a\0\nb\0b\0b\0b@example.com\0b\0\n');
    const v3 = await s.readBaseline(TARGET);
    await writeFile(path.join(dir, 'main', 'snapshot.json'), `${JSON.stringify(snap(1))}\n`);
    const v2 = await s.readBaseline(TARGET);
    expect(v2).toMatchObject({ known: true, id: `1:${recordsDigest(people).slice(0, 12)}` });
    expect(v3).toMatchObject({ known: true, id: v2.id });
    if (!v2.known || !v3.known) throw new Error('unreachable');
    expect([...v3.snapshot.records]).toEqual(people);
    expect([...v2.snapshot.records]).toEqual(people);
  });

  it('round-trips every record it can pack, and keeps format 2 for one it cannot', async () => {
    const s = new JobState(dir, 'main');
    const odd: PushedRecord[] = [
      {
        firstName: 'Zoë',
        lastName: 'Weiß',
        email: 'z@example.com',
        id: '7',
        syncId: 'A',
        carriedSince: '2026-01-01T00:00:00.000Z',
      },
      { firstName: '𝔘nicode', lastName: '中文', email: 'u@example.com', id: '8', syncId: 'B\u{1f600}' },
      { firstName: 'x', lastName: 'y', email: 'e@example.com', id: '9', syncId: 'B\uffff' },
    ];
    await s.writeSnapshot({ ...snap(1), records: odd });
    const b = await s.readBaseline(TARGET);
    if (!b.known) throw new Error(b.detail);
    expect(b.snapshot.version).toBe(3);
    expect([...b.snapshot.records]).toEqual(odd);
    // A lone surrogate has no UTF-8 form: such a name (valid to MIM's rules) stays in format 2.
    const unpackable = [{ ...people[0]!, lastName: 'a\ud800b' }, people[1]!];
    await s.writeSnapshot({ ...snap(2), records: unpackable });
    const again = await s.readBaseline(TARGET);
    expect(again).toMatchObject({ known: true, snapshot: { version: 2 } });
    if (again.known) expect([...again.snapshot.records]).toEqual(unpackable);
    expect(JSON.parse(await readFile(path.join(dir, 'main', 'snapshot.json'), 'utf8'))).toMatchObject({
      version: 2,
      seq: 2,
    });
  });

  it('keeps the newest five snapshots, restores an intact one and refuses a damaged one', async () => {
    const s = new JobState(dir, 'main');
    for (let i = 1; i <= 7; i++) await s.writeSnapshot(snap(i));
    expect((await s.listBaselines(TARGET)).map((k) => k.seq)).toEqual([3, 4, 5, 6, 7]);
    expect(await s.lastSeq()).toBe(7);
    await s.restoreBaseline(TARGET, 4);
    expect(await s.readBaseline(TARGET)).toMatchObject({ known: true, snapshot: { seq: 4 } });
    // The kept file itself, byte for byte: the same baseline id as when it was kept.
    expect(await readFile(path.join(dir, 'main', 'snapshot.json'))).toEqual(
      await readFile(path.join(dir, 'main', 'baselines', 'snapshot-4.json')),
    );
    await writeFile(path.join(dir, 'main', 'baselines', 'snapshot-5.json'), '{');
    await expect(s.restoreBaseline(TARGET, 5)).rejects.toMatchObject({ code: 'STATE_IO' });
    await expect(s.restoreBaseline({ ...TARGET, project: 'x' }, 6)).rejects.toThrow(/belongs to/);
  });

  it('keeps a damaged snapshot.json beside the new one instead of overwriting it', async () => {
    const s = new JobState(dir, 'main');
    await s.ensureDir();
    await writeFile(path.join(dir, 'main', 'snapshot.json'), 'garbage');
    await s.writeSnapshot(snap(1));
    expect(await readFile(path.join(dir, 'main', 'snapshot.json.replaced-1'), 'utf8')).toBe('garbage');
  });

  it('reads a pending upload only when it is whole and of this target', async () => {
    const s = new JobState(dir, 'main');
    const pending = {
      version: 2 as const,
      target: TARGET,
      uploads: [{ runId: 'r', startedAt: 'x', payloadSha256: 'h', count: 2 }],
      records: people,
    };
    expect(await s.readPending(TARGET)).toEqual({ kind: 'none' });
    await s.writePending(pending);
    expect(await s.readPending(TARGET)).toEqual({ kind: 'pending', pending });
    expect(await s.readPending({ ...TARGET, job: 'other' })).toMatchObject({ kind: 'unusable' });
    await writeFile(
      path.join(dir, 'main', 'pending.json'),
      JSON.stringify({ startedAt: 'x', runId: 'r', payloadSha256: 'h', count: 2 }),
    );
    expect(await s.readPending(TARGET)).toMatchObject({
      kind: 'unusable',
      detail: expect.stringContaining('older version'),
    });
  });

  it('does not vouch for a pending upload whose upload list an edit or damage changed', async () => {
    const s = new JobState(dir, 'main');
    await s.ensureDir();
    const upload = { runId: 'r', startedAt: '2026-12-03T10:00:00.000Z', payloadSha256: 'h', count: 2 };
    const hostile = [
      ...Object.keys(upload).map((k) => ({ ...upload, [k]: { toString: '' } })),
      { ...upload, count: -1 },
      { ...upload, count: 1.5 },
      null,
      'r',
    ];
    for (const u of hostile) {
      const pending = { version: 2, target: TARGET, uploads: [upload, u], records: people };
      await writeFile(path.join(dir, 'main', 'pending.json'), JSON.stringify(pending));
      // Unusable, not a crash: status says so and the next run treats the baseline as unknown.
      expect(await s.readPending(TARGET), JSON.stringify(u)).toEqual({
        kind: 'unusable',
        detail: 'pending.json: it lists an upload that is not what a run writes',
      });
    }
  });

  it('skips a torn last history line and rotates at 1 MiB', async () => {
    const s = new JobState(dir, 'main');
    await s.appendHistory(entry(1));
    await appendFile(path.join(dir, 'main', 'history.jsonl'), '{"runId":"torn"');
    await appendFile(path.join(dir, 'main', 'history.jsonl'), '\n');
    await s.appendHistory(entry(2));
    expect((await s.readHistory()).map((e) => e.runId)).toEqual(['r1', 'r2']);
    await appendFile(path.join(dir, 'main', 'history.jsonl'), 'x'.repeat(1024 * 1024 + 1));
    await s.appendHistory(entry(3));
    expect((await readdir(path.join(dir, 'main'))).sort()).toEqual(['history.1.jsonl', 'history.jsonl']);
    expect((await s.readHistory()).map((e) => e.runId)).toEqual(['r3']);
  });

  it('skips history lines whose fields are not what a run writes (an edited or damaged file)', async () => {
    const s = new JobState(dir, 'main');
    const full = {
      ...entry(2),
      sources: [{ source: 'hr', description: 'a.csv', input: 'a.csv', total: 2, valid: 2 }],
      plan: { id: 'p', adds: 1, updates: 0, deletes: 0, unchanged: 1, carried: 0 },
      rejected: 0,
      error: { code: 'X', message: 'm', fix: 'f' },
      guard: { kind: 'needs-approval', reasons: ['r'] },
      approval: { by: 'admin', planId: 'p' },
    };
    // Every field, and every field one level down, in turn replaced by a value String() throws on.
    const hostile: unknown[] = [];
    for (const [k, v] of Object.entries(full)) {
      hostile.push({ ...full, [k]: { toString: '' } });
      if (v && typeof v === 'object' && !Array.isArray(v))
        for (const k2 of Object.keys(v)) hostile.push({ ...full, [k]: { ...v, [k2]: { toString: '' } } });
    }
    hostile.push(
      { ...full, guard: { kind: 'x', reasons: 'r' } },
      { ...full, startedAt: 'yesterday' },
      7,
      null,
    );
    await s.appendHistory(entry(1));
    for (const h of hostile)
      await appendFile(path.join(dir, 'main', 'history.jsonl'), `${JSON.stringify(h)}\n`);
    await s.appendHistory(full);
    expect((await s.readHistory(1000)).map((e) => e.runId)).toEqual(['r1', 'r2']);
    // The carry-forward clock reads the last line: a damaged one gives no second clock reading,
    // which only delays letting a carried person go (run/basis.ts), never a crash.
    await appendFile(
      path.join(dir, 'main', 'history.jsonl'),
      `${JSON.stringify({ ...entry(3), startedAt: { toString: '' } })}\n`,
    );
    expect(await s.readHistory(1)).toEqual([]);
  });

  it('trusts no blocked plan whose reasons or counts are not what a run writes', async () => {
    const s = new JobState(dir, 'main');
    const blocked = {
      version: 2 as const,
      target: TARGET,
      planId: 'p',
      baselineId: 'b',
      blockedAt: new Date(0).toISOString(),
      runId: 'r',
      reasons: ['too many deletes'],
      deletes: 5,
      adds: 0,
      updates: 0,
    };
    expect(await s.readBlockedState()).toEqual({ kind: 'none' });
    await s.writeBlocked(blocked);
    expect(await s.readBlocked()).toEqual(blocked);
    expect(await s.readBlockedState()).toEqual({ kind: 'blocked', plan: blocked });
    for (const edit of [{ reasons: { toString: '' } }, { reasons: [{}] }, { deletes: '5' }, { seenAt: 1 }]) {
      await writeFile(path.join(dir, 'main', 'blocked.json'), JSON.stringify({ ...blocked, ...edit }));
      expect(await s.readBlocked()).toBeNull();
      // status names why the file is not used.
      expect(await s.readBlockedState()).toEqual({
        kind: 'unusable',
        detail: expect.stringMatching(/^(no list of reasons|no count of deletes|a malformed seenAt)$/),
      });
    }
  });

  it('lets one run hold the job lock; a second one is told who holds it', async () => {
    configureLocks(5_000);
    const s = new JobState(dir, 'main');
    const release = await s.lock();
    await expect(new JobState(dir, 'main').lock()).rejects.toMatchObject({
      code: 'STATE_IO',
      message: expect.stringContaining(`already running in process ${process.pid}`),
    });
    await release.assertHeld();
    await release();
    const again = await new JobState(dir, 'main').lock();
    expect(await readdir(path.join(dir, 'main', 'run.lock'))).toHaveLength(1);
    await again();
  });
});
