import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  configureLocks,
  type HeldLock,
  type Holder,
  holderIsDeadHere,
  type LockTiming,
  lockJob,
  retireLegacyPidFile,
  tryAcquire,
} from './lock.js';

/** Short times for tests; proper-lockfile refreshes at most once a second. */
const T: LockTiming = { staleMs: 2_500, beatMs: 1_000, pollMs: 100 };

let dir: string;
const held: HeldLock[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lock-'));
});
afterEach(async () => {
  await Promise.all(held.splice(0).map((h) => h.release()));
  await rm(dir, { recursive: true, force: true });
});

async function take(lockDir: string, purpose = 'test'): Promise<HeldLock> {
  const r = await tryAcquire(lockDir, { purpose, timing: T });
  if (!('acquired' in r)) throw new Error(`busy: ${JSON.stringify(r.busy)}`);
  held.push(r.acquired);
  return r.acquired;
}

function ownIdentity(): Pick<Holder, 'host' | 'bootId' | 'pidNs' | 'procStart'> {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return {
    host: os.hostname(),
    bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    pidNs: readlinkSync('/proc/self/ns/pid'),
    procStart: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19],
  };
}

/** A holder record: by default another host's PID 1, with our stale time. */
function holderOf(over: Partial<Holder> = {}): Holder {
  return {
    v: 2,
    token: '11111111-2222-4333-8444-555555555555',
    purpose: 'test',
    host: 'other-host',
    pid: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    staleMs: T.staleMs,
    ...over,
  };
}

/** A lock directory as a process that is gone left it. */
async function leftover(lockDir: string, holder: Partial<Holder> = {}): Promise<Holder> {
  const h = holderOf(holder);
  await mkdir(lockDir, { recursive: true });
  await writeFile(path.join(lockDir, `holder.${h.token}.7.json`), JSON.stringify(h));
  return h;
}

describe('tryAcquire', () => {
  it('gives the lock to one holder and reports it as busy, by name, to everyone else', async () => {
    const lockDir = path.join(dir, 'run.lock');
    const a = await take(lockDir, 'job "main"');
    const started = performance.now();
    const b = await tryAcquire(lockDir, { purpose: 'job "main"', timing: T });
    expect(b).toEqual({
      busy: expect.objectContaining({ pid: process.pid, host: os.hostname(), token: a.holder.token }),
    });
    // answered once a beat was seen, long before the stale time
    expect(performance.now() - started).toBeLessThan(T.staleMs);
    await a.assertHeld();
  });

  it('takes over a lock whose holder (another host or container) stopped beating, after the stale time', async () => {
    const lockDir = path.join(dir, 'run.lock');
    const gone = await leftover(lockDir);
    const started = performance.now();
    const r = await tryAcquire(lockDir, { purpose: 'test', timing: T });
    expect('acquired' in r).toBe(true);
    if (!('acquired' in r)) return;
    held.push(r.acquired);
    expect(r.tookOverFrom).toMatchObject({ token: gone.token, host: 'other-host' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(T.staleMs);
    const files = await readdir(lockDir);
    expect(files).toEqual([
      expect.stringMatching(new RegExp(`^holder\\.${r.acquired.holder.token}\\.\\d+\\.json$`)),
    ]);
  });

  it('uses the holder’s stale time when it is longer than ours (mismatched configs stay safe)', async () => {
    const lockDir = path.join(dir, 'run.lock');
    await leftover(lockDir, { staleMs: 4_000 });
    const started = performance.now();
    const r = await tryAcquire(lockDir, { purpose: 'test', timing: T });
    if ('acquired' in r) held.push(r.acquired);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4_000);
  });

  it('treats an edited holder file as no holder: named unknown, taken over after our own stale time', async () => {
    const lockDir = path.join(dir, 'run.lock');
    const edits: Record<string, unknown>[] = [
      { staleMs: { toString: '' } },
      { staleMs: -1 },
      { pid: { toString: '' } }, // the message naming the holder would throw
      { host: 7 },
      { procStart: [] },
      { staleMs: 'x' }, // Math.max with it is NaN: without the check, a take-over that never comes
    ];
    for (const edit of edits) {
      const h = { ...holderOf(), ...edit };
      await rm(lockDir, { recursive: true, force: true });
      await mkdir(lockDir);
      await writeFile(path.join(lockDir, `holder.${h.token}.7.json`), JSON.stringify(h));
      expect(
        await tryAcquire(lockDir, { purpose: 'test', timing: T, watch: false }),
        JSON.stringify(edit),
      ).toEqual({
        busy: null,
      });
    }
    // The last one left in place is taken over after our stale time, not never.
    const started = performance.now();
    const r = await tryAcquire(lockDir, { purpose: 'test', timing: T });
    expect(r).toMatchObject({ tookOverFrom: null });
    if ('acquired' in r) held.push(r.acquired);
    expect(performance.now() - started).toBeGreaterThanOrEqual(T.staleMs);
  });

  it('ignores the clock: a live lock with mtimes far in the past stays busy', async () => {
    const lockDir = path.join(dir, 'run.lock');
    const a = await take(lockDir);
    const old = new Date('2001-01-01T00:00:00Z');
    await utimes(lockDir, old, old);
    for (const f of await readdir(lockDir))
      await utimes(path.join(lockDir, f), old, old).catch(() => undefined);
    expect(await tryAcquire(lockDir, { purpose: 'test', timing: T })).toEqual({
      busy: expect.objectContaining({ token: a.holder.token }),
    });
  });

  it.runIf(process.platform === 'linux')(
    'takes over at once when the holder was on this host and kernel and its PID is gone or reused',
    async () => {
      const lockDir = path.join(dir, 'run.lock');
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
      const deadPid = Number(child.stdout.toString());
      for (const holder of [
        { ...ownIdentity(), pid: deadPid },
        // PID 1 is alive, but it is not the process that took the lock (another start time)
        { ...ownIdentity(), pid: 1, procStart: '1' },
      ]) {
        const gone = await leftover(lockDir, holder);
        expect(holderIsDeadHere(gone)).toBe(true);
        const started = performance.now();
        const r = await tryAcquire(lockDir, { purpose: 'test', timing: T });
        expect(r).toMatchObject({ tookOverFrom: { pid: holder.pid }, takeoverMs: 0 });
        expect(performance.now() - started).toBeLessThan(T.staleMs);
        if ('acquired' in r) await r.acquired.release();
      }
    },
  );

  it('never calls a holder dead from a PID alone (another namespace, another host)', async () => {
    const me = ownIdentity();
    const gone = 999_999_999;
    expect(holderIsDeadHere(holderOf({ ...me, pid: gone, pidNs: 'pid:[1]' }))).toBe(false);
    expect(holderIsDeadHere(holderOf({ ...me, pid: gone, host: 'elsewhere' }))).toBe(false);
    expect(holderIsDeadHere(holderOf({ ...me, pid: process.pid }))).toBe(false);
  });

  it('takes an empty leftover lock directory at once, and a junk file in its place after the stale time', async () => {
    const lockDir = path.join(dir, 'run.lock');
    await mkdir(lockDir);
    const started = performance.now();
    const a = await take(lockDir);
    expect(performance.now() - started).toBeLessThan(T.staleMs);
    await a.release();
    await writeFile(lockDir, '4242');
    await take(lockDir);
  });

  it('notices its lock was removed by hand: assertHeld throws, the signal aborts, a new holder is left alone', async () => {
    const lockDir = path.join(dir, 'run.lock');
    const a = await take(lockDir);
    await rm(lockDir, { recursive: true });
    const b = await take(lockDir);
    await expect(a.assertHeld()).rejects.toMatchObject({
      code: 'STATE_IO',
      message: expect.stringContaining('Lost the lock'),
    });
    expect(a.signal.aborted).toBe(true);
    await a.release();
    await b.assertHeld(); // a's release touched nothing of b's
    expect(await readdir(lockDir)).toHaveLength(1);
  });

  it('keeps beating while held, so a contender watching for longer than the stale time still sees it alive', async () => {
    const lockDir = path.join(dir, 'run.lock');
    const a = await take(lockDir);
    await new Promise((r) => setTimeout(r, T.staleMs + 500));
    expect(await tryAcquire(lockDir, { purpose: 'test', timing: T })).toMatchObject({
      busy: { token: a.holder.token },
    });
    await a.assertHeld();
  });

  it('releases: the directory is gone and the next holder gets it at once', async () => {
    const lockDir = path.join(dir, 'run.lock');
    const a = await take(lockDir);
    await a.release();
    await expect(readdir(lockDir)).rejects.toMatchObject({ code: 'ENOENT' });
    await take(lockDir);
  });
});

describe('retireLegacyPidFile (the previous version’s `lock` file)', () => {
  it('does not trust a PID file naming a live PID: removed once it stayed unchanged for the stale time', async () => {
    const file = path.join(dir, 'lock');
    await writeFile(file, '1'); // PID 1 is alive everywhere
    expect(await retireLegacyPidFile(file, T)).toBe('removed');
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports a PID file that changes as a run of the previous version in progress', async () => {
    const file = path.join(dir, 'lock');
    await writeFile(file, '1');
    setTimeout(() => void writeFile(file, '22'), 300);
    expect(await retireLegacyPidFile(file, T)).toBe('busy');
  });
});

describe('lockJob', () => {
  it('says who runs the job and how the lock ends, as a STATE_IO error', async () => {
    configureLocks(5_000);
    const release = await lockJob(dir, 'main');
    await expect(lockJob(dir, 'main')).rejects.toMatchObject({
      code: 'STATE_IO',
      message: expect.stringMatching(/already running in process \d+ on host/),
      fix: expect.stringContaining('lock.staleMs'),
    });
    await release.assertHeld();
    await release();
    await (await lockJob(dir, 'main'))();
  });

  it('refuses lock.staleMs values that would make the lock unsafe', () => {
    for (const bad of [Number.NaN, 0, 1_000, 4_999, 1.5e9, 10_000.5]) {
      expect(() => configureLocks(bad)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', place: 'lock.staleMs' }),
      );
    }
    expect(configureLocks(30_000)).toMatchObject({ staleMs: 30_000, beatMs: 5_000 });
  });
});
