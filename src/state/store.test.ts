import { appendFile, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { configureLocks } from './lock.js';
import { type HistoryEntry, JobState } from './store.js';

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
  it('writes the snapshot atomically and leaves no temp file', async () => {
    const s = new JobState(dir, 'main');
    await s.writeSnapshot({
      version: 1,
      job: 'main',
      pushedAt: 'now',
      planId: 'p',
      payloadSha256: 'h',
      records: [],
    });
    expect((await s.readSnapshot())?.planId).toBe('p');
    expect(await readdir(path.join(dir, 'main'))).toEqual(['snapshot.json']);
  });

  it('names a corrupt state file and how to recover', async () => {
    const s = new JobState(dir, 'main');
    await s.ensureDir();
    await writeFile(path.join(dir, 'main', 'snapshot.json'), '{"version":1,');
    await expect(s.readSnapshot()).rejects.toMatchObject({
      code: 'STATE_IO',
      place: path.join(dir, 'main', 'snapshot.json'),
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
