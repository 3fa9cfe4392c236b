/**
 * The run lock against a frozen holder, across processes and PID namespaces: a holder stopped
 * (SIGSTOP) longer than lock.staleMs is taken over by another process; when it resumes, its
 * `assertHeld()` (what a run calls right before its upload) throws, and it leaves the new
 * holder's lock alone.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';

const LOCK_MODULE = path.resolve('dist/state/lock.js');
const STALE_MS = 5_000;
const WAIT_MS = 90_000;
const canUnshare =
  process.platform === 'linux' && spawnSync('unshare', ['-p', '-f', '--mount-proc', 'true']).status === 0;

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) {
    if (c.pid) spawnSync('kill', ['-CONT', String(c.pid)]);
    c.kill('SIGKILL');
  }
});

/** A process (PID 1 of its own namespace) that takes the job lock, then answers commands on stdin. */
function holder(jobDir: string): {
  child: ChildProcess;
  next: () => Promise<string>;
  send: (cmd: string) => void;
} {
  const script = `
    const m = await import(${JSON.stringify(LOCK_MODULE)});
    m.configureLocks(${STALE_MS});
    const lock = await m.lockJob(${JSON.stringify(jobDir)}, 'main');
    console.log('held');
    for await (const line of (await import('node:readline')).createInterface({ input: process.stdin })) {
      if (line === 'assert') {
        try { await lock.assertHeld(); console.log('still held'); }
        catch (e) { console.log('lost: ' + e.message); }
      }
      if (line === 'release') { await lock(); console.log('released'); process.exit(0); }
    }`;
  const child = spawn(
    'unshare',
    ['-p', '-f', '--mount-proc', '--kill-child', process.execPath, '--input-type=module', '-e', script],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  return {
    child,
    next: () =>
      new Promise((resolve, reject) => {
        const l = lines.shift();
        if (l !== undefined) return resolve(l);
        const t = setTimeout(() => reject(new Error('no answer from the holder')), WAIT_MS);
        waiters.push((x) => {
          clearTimeout(t);
          resolve(x);
        });
      }),
    send: (cmd) => child.stdin!.write(`${cmd}\n`),
  };
}

function innerPid(c: ChildProcess): number {
  const pid = c.pid!;
  return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]);
}

it.runIf(canUnshare)(
  'a holder frozen beyond lock.staleMs is taken over; resumed, it finds the lock lost and touches nothing',
  async () => {
    const jobDir = mkdtempSync(path.join(os.tmpdir(), 'lock-freeze-'));
    const a = holder(jobDir);
    expect(await a.next()).toBe('held');
    const aPid = innerPid(a.child);
    process.kill(aPid, 'SIGSTOP');

    const b = holder(jobDir);
    const started = Date.now();
    expect(await b.next()).toBe('held'); // after watching a's lock unchanged for STALE_MS
    const takeoverMs = Date.now() - started;
    expect(takeoverMs).toBeGreaterThanOrEqual(STALE_MS - 500);

    process.kill(aPid, 'SIGCONT');
    a.send('assert');
    expect(await a.next()).toMatch(/^lost: Job "main" lost its run lock: .*this run uploads nothing/);
    a.send('release');
    expect(await a.next()).toBe('released');

    b.send('assert');
    expect(await b.next()).toBe('still held');
    const files = readdirSync(path.join(jobDir, 'run.lock'));
    expect(files).toHaveLength(1);
    b.send('release');
    expect(await b.next()).toBe('released');
    process.stdout.write(
      `run lock taken over from a frozen holder after ${takeoverMs} ms (lock.staleMs ${STALE_MS})\n`,
    );
  },
  180_000,
);
