/**
 * The daemon when MIM misbehaves: /readyz after repeated failures, and SIGTERM during a slow
 * upload — finished within the grace period, or cancelled when it runs out — always exit 0 with a
 * state the next run can build on. Each daemon starts on a baseline an admin pushed by hand
 * (seedBaseline), so its runs really upload; counts are relative to that seed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { readSnapshotBytes } from '../helpers/snapshot-file.js';
import { pause, scaled } from '../helpers/timing.js';
import {
  type DaemonProcess,
  dropFile,
  emulator,
  fault,
  isRunFinished,
  isRunStarted,
  seedBaseline,
  staffCsv,
  startDaemon,
  until,
  uploads,
  workspace,
} from './daemon-harness.js';

let emu: RunningEmulator;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  emu = await emulator();
});

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
  await emu.close();
});

function snapshot(state: string): { seq: number; records: unknown[] } {
  const s = readSnapshotBytes(readFileSync(path.join(state, 'main', 'snapshot.json')));
  if (s === 'corrupt') throw new Error('snapshot.json is not a snapshot file');
  return s as { seq: number; records: unknown[] };
}

function history(state: string): { outcome: string; error?: { code: string } }[] {
  const file = path.join(state, 'main', 'history.jsonl');
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { outcome: string; error?: { code: string } });
}

describe('mobileid-sync run under failures', () => {
  it('/readyz turns 503 after more than 3 failed runs in a row and 200 after a success', async () => {
    await fetch(`${emu.url}/_admin/reset`, { method: 'POST' });
    const ws = workspace(emu.url, { retries: 0, watch: false });
    const seed = await seedBaseline(ws, emu, 2);
    dropFile(ws, 'staff.csv', staffCsv(3));
    const d = startDaemon(ws);
    daemons.push(d);
    const admin = await d.adminUrl();
    const ready = async (): Promise<{ status: number; body: { ready: boolean; checks: unknown[] } }> => {
      const r = await fetch(`${admin}/readyz`);
      return { status: r.status, body: (await r.json()) as { ready: boolean; checks: unknown[] } };
    };
    expect((await ready()).status).toBe(200);

    await fault(emu, { type: 'status', status: 500, count: 4 });
    for (let n = 1; n <= 4; n++) {
      expect((await fetch(`${admin}/jobs/main/run`, { method: 'POST' })).status).toBe(202);
      const done = await d.waitForNth(isRunFinished(), n, 5_000);
      expect(done).toMatchObject({
        outcome: 'failed',
        consecutiveFailures: n,
        error: { code: 'TARGET_UNAVAILABLE' },
      });
      expect((await ready()).status).toBe(n > 3 ? 503 : 200);
    }
    const notReady = await ready();
    expect(notReady.body.ready).toBe(false);
    expect(notReady.body.checks).toContainEqual({
      name: 'job:main',
      ok: false,
      detail: expect.stringMatching(/failed 4 runs in a row \(last: TARGET_UNAVAILABLE/),
    });
    expect(notReady.body.checks).toContainEqual({ name: 'stateDir', ok: true });
    expect((await fetch(`${admin}/healthz`)).status).toBe(200); // alive, just not ready

    expect((await fetch(`${admin}/jobs/main/run`, { method: 'POST' })).status).toBe(202);
    expect(await d.waitForNth(isRunFinished(), 5, 5_000)).toMatchObject({ outcome: 'applied' });
    expect((await ready()).status).toBe(200);
    expect(history(ws.state).map((h) => h.outcome)).toEqual([
      ...Array<string>(seed.runs).fill('applied'),
      'failed',
      'failed',
      'failed',
      'failed',
      'applied',
    ]);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  });

  it('SIGTERM during a slow upload lets it finish, records it, and exits 0', async () => {
    await fetch(`${emu.url}/_admin/reset`, { method: 'POST' });
    const ws = workspace(emu.url, { onStart: true, watch: false });
    const seed = await seedBaseline(ws, emu, 2);
    dropFile(ws, 'staff.csv', staffCsv(3));
    await fault(emu, { type: 'delay', ms: scaled(1_500), count: 1 });
    const d = startDaemon(ws);
    daemons.push(d);
    const admin = await d.adminUrl();
    await d.waitFor(isRunStarted());
    await pause(300); // the upload is now waiting on MIM
    d.child.kill('SIGTERM');
    await d.waitFor((l) => l.msg === 'Stopping: no new runs');
    // Stopping: no new triggers; readiness says so while the run drains.
    expect((await fetch(`${admin}/jobs/main/run`, { method: 'POST' })).status).toBe(503);
    expect((await fetch(`${admin}/readyz`)).status).toBe(503);

    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(d.matching(isRunFinished())).toEqual([expect.objectContaining({ outcome: 'applied' })]);
    expect(
      history(ws.state)
        .map((h) => h.outcome)
        .slice(seed.runs),
    ).toEqual(['applied']);
    const dir = path.join(ws.state, 'main');
    // The baseline advanced past the seed to the 3 people just uploaded.
    expect(snapshot(ws.state)).toMatchObject({ seq: 2, records: { length: 3 } });
    expect(existsSync(path.join(dir, 'pending.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'run.lock'))).toBe(false);
    expect((await uploads(emu)).map((u) => u.status).slice(seed.uploads)).toEqual([200]);
  });

  it('cancels the upload when the grace period runs out, keeping the push intent, and exits 0', async () => {
    await fetch(`${emu.url}/_admin/reset`, { method: 'POST' });
    const ws = workspace(emu.url, { onStart: true, watch: false });
    const seed = await seedBaseline(ws, emu, 2);
    dropFile(ws, 'staff.csv', staffCsv(3));
    await fault(emu, { type: 'delay', ms: scaled(2_000), count: 1 });
    const d = startDaemon(ws, { MOBILEID_SYNC_DAEMON_SHUTDOWN_GRACE_MS: '400' });
    daemons.push(d);
    await d.adminUrl();
    await d.waitFor(isRunStarted());
    await pause(300);
    const t0 = Date.now();
    d.child.kill('SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(scaled(3_000));
    expect(d.matching((l) => l.msg === 'Grace period over: cancelling the runs in progress')).toHaveLength(1);
    const h = history(ws.state).slice(seed.runs);
    expect(h).toEqual([
      expect.objectContaining({ outcome: 'failed', error: expect.objectContaining({ code: 'ABORTED' }) }),
    ]);
    const dir = path.join(ws.state, 'main');
    // MIM may or may not have applied it: the intent stays, so the next run re-sends.
    expect(existsSync(path.join(dir, 'pending.json'))).toBe(true);
    // The baseline is still the seed: nothing is recorded as pushed before MIM confirms it.
    expect(snapshot(ws.state)).toMatchObject({ seq: 1, records: { length: seed.users } });
    expect(existsSync(path.join(dir, 'run.lock'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    // The emulator saw the client leave and did not apply the upload.
    await until(async () => ((await uploads(emu)).length > seed.uploads ? true : undefined), 4_000, 50);
    expect((await uploads(emu))[seed.uploads]?.status).toBeNull();

    // The next daemon start re-sends and records it.
    const again = startDaemon(ws);
    daemons.push(again);
    expect(await again.waitFor(isRunFinished(), 5_000)).toMatchObject({ outcome: 'applied' });
    expect(existsSync(path.join(dir, 'pending.json'))).toBe(false);
    expect(snapshot(ws.state)).toMatchObject({ seq: 2, records: { length: 3 } });
    expect(await again.stop()).toEqual({ code: 0, signal: null });
  });

  it('a second signal exits at once', async () => {
    const ws = workspace(emu.url, { onStart: true, watch: false });
    await seedBaseline(ws, emu, 2);
    dropFile(ws, 'staff.csv', staffCsv(3));
    await fault(emu, { type: 'delay', ms: scaled(5_000), count: 1 });
    const d = startDaemon(ws);
    daemons.push(d);
    await d.waitFor(isRunStarted());
    d.child.kill('SIGTERM');
    await d.waitFor((l) => l.msg === 'Stopping: no new runs');
    const t0 = Date.now();
    d.child.kill('SIGINT');
    expect(await d.exited).toEqual({ code: 130, signal: null });
    expect(Date.now() - t0).toBeLessThan(scaled(1_000));
    await fetch(`${emu.url}/_admin/faults`, { method: 'DELETE' });
  });
});
