import { appendFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
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
  ])('a snapshot.json that is %s is an unknown baseline, never an empty one', async (_what, text, reason) => {
    const s = new JobState(dir, 'main');
    await s.ensureDir();
    if (text !== null) await writeFile(path.join(dir, 'main', 'snapshot.json'), text);
    expect(await s.readBaseline(TARGET)).toMatchObject({ known: false, id: 'unknown', reason });
  });

  it('keeps the newest five snapshots, restores an intact one and refuses a damaged one', async () => {
    const s = new JobState(dir, 'main');
    for (let i = 1; i <= 7; i++) await s.writeSnapshot(snap(i));
    expect((await s.listBaselines(TARGET)).map((k) => k.seq)).toEqual([3, 4, 5, 6, 7]);
    expect(await s.lastSeq()).toBe(7);
    await s.restoreBaseline(TARGET, 4);
    expect(await s.readBaseline(TARGET)).toMatchObject({ known: true, snapshot: { seq: 4 } });
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
