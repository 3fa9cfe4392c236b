/**
 * Active/standby: daemons on one shared state directory, each in its own PID namespace (both are
 * PID 1 there, as in containers). Only the active one runs jobs; kill -9 of the active one, or
 * freezing it (SIGSTOP) beyond lock.staleMs, lets a standby take over; a frozen one that resumes
 * goes standby and uploads nothing. Takeover times are measured and printed, not asserted tightly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import {
  CLI,
  DaemonProcess,
  dropFile,
  emulator,
  isRunFinished,
  type LogLine,
  parsePrometheus,
  sample,
  staffCsv,
  until,
  uploads,
  type Workspace,
  workspace,
} from './daemon-harness.js';

const STALE_MS = 6_000;
/** Generous: CI is busy. Takeover is measured, and only bounded by this. */
const WAIT_MS = 90_000;

const canUnshare =
  process.platform === 'linux' && spawnSync('unshare', ['-p', '-f', '--mount-proc', 'true']).status === 0;

let emu: RunningEmulator;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  emu = await emulator();
});

afterAll(async () => {
  for (const d of daemons) {
    const pid = innerPid(d);
    if (pid) spawnSync('kill', ['-CONT', String(pid)]);
  }
  await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
  await emu?.close();
});

/** `mobileid-sync run` as PID 1 of a new PID namespace; killing `unshare` kills it (--kill-child). */
function startInNamespace(ws: Workspace, name: string): DaemonProcess {
  const child = spawn(
    'unshare',
    ['-p', '-f', '--mount-proc', '--kill-child', process.execPath, CLI, 'run', '--config', ws.configFile],
    {
      cwd: ws.dir,
      env: {
        ...process.env,
        NOTIFY_SOCKET: '',
        MOBILEID_SYNC_LOCK_STALE_MS: String(STALE_MS),
        DAEMON_NAME: name,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const d = new DaemonProcess(child);
  daemons.push(d);
  return d;
}

/** The daemon's PID as the test's namespace sees it (the child of `unshare`). */
function innerPid(d: DaemonProcess): number | undefined {
  const pid = d.child.pid;
  if (!pid) return undefined;
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return children ? Number(children.split(' ')[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** The CLI as a process (async: the emulator lives in this process and must keep answering). */
function runCli(ws: Workspace, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args, '--config', ws.configFile], { cwd: ws.dir });
    let output = '';
    child.stdout.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

const started = (d: DaemonProcess): Promise<LogLine> =>
  d.waitFor((l) => l.msg === 'Daemon started', WAIT_MS, 'Daemon started');
const tookOver = (l: LogLine): boolean => String(l.msg).startsWith('Took over as the active daemon');
const applied = (l: LogLine): boolean => isRunFinished()(l) && l.outcome === 'applied';

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function activeGauge(adminUrl: string): Promise<number | undefined> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return sample(parsePrometheus(text), 'mobileid_sync_daemon_active');
}

describe.runIf(canUnshare)('active/standby daemons on one state directory, separate PID namespaces', () => {
  it('runs jobs on one only; kill -9 or a freeze hands over; a resumed frozen daemon uploads nothing', async () => {
    const ws = workspace(emu.url, { cron: '', onStart: true, watch: true, debounceMs: 200, stableMs: 300 });
    // A baseline first, by hand (a fresh state directory is an unknown baseline).
    dropFile(ws, 'staff-1.csv', staffCsv(10));
    const seed = await runCli(ws, ['sync', '--accept-unknown-baseline']);
    expect(seed.code, seed.output).toBe(0);
    expect(await uploads(emu)).toHaveLength(1);

    // A first; then B, which finds A active and waits.
    const a = startInNamespace(ws, 'A');
    expect(await started(a)).toMatchObject({ role: 'active' });
    const b = startInNamespace(ws, 'B');
    expect(await started(b)).toMatchObject({ role: 'standby' });
    const [aUrl, bUrl] = [await a.adminUrl(), await b.adminUrl()];
    expect(await get(`${aUrl}/readyz`)).toMatchObject({ status: 200, body: { role: 'active' } });
    expect(await get(`${bUrl}/readyz`)).toMatchObject({ status: 200, body: { role: 'standby' } });
    const bStatus = await get(`${bUrl}/status`);
    expect(bStatus.body).toMatchObject({ role: 'standby', leader: { role: 'standby', active: { pid: 1 } } });
    expect(await activeGauge(aUrl)).toBe(1);
    expect(await activeGauge(bUrl)).toBe(0);
    expect((await fetch(`${bUrl}/jobs/main/run`, { method: 'POST' })).status).toBe(503);

    // A file lands: only A uploads it.
    dropFile(ws, 'staff-2.csv', staffCsv(11));
    await a.waitFor(applied, WAIT_MS, 'A applies staff-2');
    expect(await uploads(emu)).toHaveLength(2);
    expect(b.matching((l) => l.msg === 'Run started')).toEqual([]);

    // kill -9 A (and its namespace): B takes over once A's lock stayed unchanged for STALE_MS.
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    const bTook = await b.waitFor(tookOver, WAIT_MS, 'B takes over');
    const afterKill = Date.parse(String(bTook.time)) - killedAt;
    expect(afterKill).toBeGreaterThanOrEqual(STALE_MS - 1_000);
    dropFile(ws, 'staff-3.csv', staffCsv(12));
    await b.waitFor(applied, WAIT_MS, 'B applies staff-3');
    expect(await uploads(emu)).toHaveLength(3);
    await until(async () => ((await activeGauge(bUrl)) === 1 ? true : undefined), WAIT_MS, 100);

    // C joins as standby; B is frozen beyond the stale time: C takes over and uploads.
    const c = startInNamespace(ws, 'C');
    expect(await started(c)).toMatchObject({ role: 'standby' });
    const bPid = innerPid(b);
    expect(bPid).toBeGreaterThan(1);
    const frozenAt = Date.now();
    process.kill(bPid!, 'SIGSTOP');
    const cTook = await c.waitFor(tookOver, WAIT_MS, 'C takes over');
    const afterFreeze = Date.parse(String(cTook.time)) - frozenAt;
    dropFile(ws, 'staff-4.csv', staffCsv(13));
    await c.waitFor(applied, WAIT_MS, 'C applies staff-4');
    expect(await uploads(emu)).toHaveLength(4);

    // B resumes with a new file landing at once: it notices it lost the role and runs nothing.
    const bAppliedBefore = b.matching(applied).length;
    process.kill(bPid!, 'SIGCONT');
    dropFile(ws, 'staff-5.csv', staffCsv(14));
    await b.waitFor((l) => String(l.msg).startsWith('Lost the active role'), WAIT_MS, 'B goes standby');
    await c.waitForNth(applied, 2, WAIT_MS);
    await until(async () => ((await activeGauge(bUrl)) === 0 ? true : undefined), WAIT_MS, 100);
    expect(b.matching(applied)).toHaveLength(bAppliedBefore);
    expect(await uploads(emu)).toHaveLength(5);
    expect(await get(`${bUrl}/readyz`)).toMatchObject({ body: { role: 'standby' } });
    expect(await get(`${await c.adminUrl()}/status`)).toMatchObject({ body: { role: 'active' } });

    process.stdout.write(
      `active/standby takeover (lock.staleMs ${STALE_MS}): after kill -9 ${afterKill} ms, after SIGSTOP ${afterFreeze} ms\n`,
    );
  }, 300_000);
});
