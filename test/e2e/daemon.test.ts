/**
 * `mobileid-sync run` as a real process against the MIM emulator: drop-folder, cron and HTTP
 * triggers (SIGHUP reloads the config: daemon-reload.test.ts); one follow-up instead of overlapping runs; /metrics, /status and the admin
 * listener's exposure rules. Each daemon starts on a baseline an admin pushed by hand
 * (seedBaseline); uploads, users and runs are counted from there. The first run on a fresh state
 * dir is daemon-first-run.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { pause, scaled } from '../helpers/timing.js';
import {
  type DaemonProcess,
  dropFile,
  emulator,
  fault,
  isRunFinished,
  isRunStarted,
  parsePrometheus,
  sample,
  seedBaseline,
  staffCsv,
  startDaemon,
  until,
  uploads,
  users,
  workspace,
} from './daemon-harness.js';

let emu: RunningEmulator;
const daemons: DaemonProcess[] = [];

function track(d: DaemonProcess): DaemonProcess {
  daemons.push(d);
  return d;
}

beforeAll(async () => {
  emu = await emulator();
});

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
  await emu.close();
});

async function resetEmulator(): Promise<void> {
  await fetch(`${emu.url}/_admin/reset`, { method: 'POST' });
}

describe('mobileid-sync run', () => {
  it('pushes a dropped file within the quiet window, one run per burst', async () => {
    await resetEmulator();
    // The quiet window grows with the load: the test itself must drop a burst inside it.
    const quiet = scaled(300);
    const ws = workspace(emu.url, { debounceMs: quiet, stableMs: quiet });
    const seed = await seedBaseline(ws, emu, 2);
    const d = track(startDaemon(ws));
    await d.adminUrl();

    const dropped = dropFile(ws, 'staff.csv', staffCsv(5));
    const first = await until(async () => (await uploads(emu))[seed.uploads], 5_000);
    const latency = Date.parse(first.at) - dropped;
    // The quiet window (max of debounce and stableMs), then one run; generous bound for CI.
    expect(latency).toBeGreaterThanOrEqual(quiet - 50);
    expect(latency).toBeLessThan(quiet + scaled(1_500));
    expect(first.status).toBe(200);
    expect(await users(emu)).toHaveLength(5);
    const start = await d.waitFor(isRunStarted());
    expect(start.trigger).toBe('watch');
    await d.waitFor(isRunFinished());

    // A burst of three files, 50 ms apart (well inside the quiet window), is one run.
    dropFile(ws, 'a.csv', staffCsv(6));
    await new Promise((r) => setTimeout(r, 50));
    dropFile(ws, 'b.csv', staffCsv(7));
    await new Promise((r) => setTimeout(r, 50));
    dropFile(ws, 'c.csv', staffCsv(8));
    const second = await d.waitForNth(isRunFinished(), 2, 5_000);
    expect(second).toMatchObject({ trigger: 'watch', outcome: 'applied', users: 8 });
    await pause(700); // nothing else may follow
    expect(d.matching(isRunStarted())).toHaveLength(2);
    expect(await uploads(emu)).toHaveLength(seed.uploads + 2);
    // The source archived what it read; temp files and reports never triggered anything.
    expect(
      readFileSync(path.join(ws.state, 'main', 'history.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(seed.runs + 2);

    expect(await d.stop()).toEqual({ code: 0, signal: null });
  });

  it('fires on its cron schedule (per second, no jitter) and on POST /jobs/<job>/run', async () => {
    await resetEmulator();
    const ws = workspace(emu.url, { cron: '*/1 * * * * *', watch: false });
    const seed = await seedBaseline(ws, emu, 2);
    dropFile(ws, 'staff.csv', staffCsv(3));
    const d = track(startDaemon(ws));
    const started = await d.waitFor((l) => l.msg === 'Daemon started');
    const admin = String(started.admin);
    expect(started.jobs).toEqual([
      expect.objectContaining({ job: 'main', cron: '*/1 * * * * *', nextRun: expect.any(String) }),
    ]);
    const a = await d.waitForNth(isRunFinished(), 1, 3_000);
    const b = await d.waitForNth(isRunFinished(), 2, 3_000);
    expect(a).toMatchObject({ trigger: 'schedule', outcome: 'applied' });
    expect(b).toMatchObject({ trigger: 'schedule', outcome: 'unchanged', skipped: 'identical-payload' });
    expect(Date.parse(String(b.nextRun))).toBeGreaterThan(Date.parse(String(b.time)) - 1);

    expect((await fetch(`${admin}/jobs/main/run`, { method: 'POST' })).status).toBe(202);
    await d.waitFor((l) => isRunStarted()(l) && l.trigger === 'http', 3_000, 'a run asked over HTTP');
    // One upload by the daemon; unchanged payloads are never re-sent.
    expect(await uploads(emu)).toHaveLength(seed.uploads + 1);
    expect(await d.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('queues one follow-up for triggers during a run, never a parallel run', async () => {
    await resetEmulator();
    const ws = workspace(emu.url, { onStart: true, watch: false });
    const seed = await seedBaseline(ws, emu, 2);
    dropFile(ws, 'staff.csv', staffCsv(4));
    // The run must outlast the triggers the test sends meanwhile, however busy the machine.
    const delay = scaled(1_500);
    await fault(emu, { type: 'delay', ms: delay, count: 1 });
    const d = track(startDaemon(ws));
    const admin = await d.adminUrl();
    await d.waitFor(isRunStarted());

    const post = async (): Promise<unknown> =>
      (await fetch(`${admin}/jobs/main/run`, { method: 'POST' })).json();
    expect(await post()).toEqual({ job: 'main', result: 'queued' });
    expect(await post()).toEqual({ job: 'main', result: 'already-queued' });
    expect(await post()).toEqual({ job: 'main', result: 'already-queued' });

    const status = (await (await fetch(`${admin}/status`)).json()) as { jobs: Record<string, unknown>[] };
    expect(status.jobs[0]).toMatchObject({ job: 'main', queued: 'http', running: { trigger: 'start' } });

    const first = await d.waitForNth(isRunFinished(), 1, 5_000);
    const second = await d.waitForNth(isRunFinished(), 2, 5_000);
    expect(first).toMatchObject({ trigger: 'start', outcome: 'applied', followUp: 'http' });
    expect(second).toMatchObject({ trigger: 'http', outcome: 'unchanged', followUp: null });
    await pause(300);
    expect(d.matching(isRunStarted())).toHaveLength(2);
    const history = readFileSync(path.join(ws.state, 'main', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { startedAt: string; endedAt: string })
      .slice(seed.runs);
    expect(history).toHaveLength(2);
    expect(Date.parse(history[1]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(history[0]!.endedAt));

    // /metrics: parses, and counts what happened; no e-mail anywhere.
    const res = await fetch(`${admin}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).not.toMatch(/@example\.com/);
    const m = parsePrometheus(text);
    const job = { sync_job: 'main' };
    expect(sample(m, 'mobileid_sync_runs_total', { ...job, outcome: 'applied' })).toBe(1);
    expect(sample(m, 'mobileid_sync_runs_total', { ...job, outcome: 'unchanged' })).toBe(1);
    expect(sample(m, 'mobileid_sync_runs_total', { ...job, outcome: 'failed' })).toBe(0);
    expect(sample(m, 'mobileid_sync_run_duration_seconds_count', job)).toBe(2);
    expect(sample(m, 'mobileid_sync_run_duration_seconds_sum', job)).toBeGreaterThan((delay - 100) / 1000);
    expect(sample(m, 'mobileid_sync_users', job)).toBe(4);
    expect(sample(m, 'mobileid_sync_changes_pushed_total', { ...job, change: 'add' })).toBe(4 - seed.users);
    expect(sample(m, 'mobileid_sync_changes_pushed_total', { ...job, change: 'delete' })).toBe(0);
    expect(sample(m, 'mobileid_sync_rejected_records', job)).toBe(0);
    expect(sample(m, 'mobileid_sync_mim_responses_total', { ...job, code: '200' })).toBe(1);
    expect(sample(m, 'mobileid_sync_blocked_runs_total', job)).toBe(0);
    const lastSuccess = sample(m, 'mobileid_sync_last_success_timestamp_seconds', job) ?? 0;
    expect(Math.abs(lastSuccess - Date.now() / 1000)).toBeLessThan(30);
    expect(sample(m, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(m, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    // /status: both runs, newest first, with counts, after the admin's first sync.
    const after = (await (await fetch(`${admin}/status`)).json()) as {
      jobs: {
        runs: { trigger: string; outcome: string; plan?: { adds: number } }[];
        pendingApproval: unknown;
      }[];
    };
    expect(after.jobs[0]?.runs.map((r) => [r.trigger, r.outcome])).toEqual([
      ['http', 'unchanged'],
      ['start', 'applied'],
      ['cli', 'applied'],
    ]);
    expect(after.jobs[0]?.runs[1]?.plan?.adds).toBe(4 - seed.users);
    expect(after.jobs[0]?.pendingApproval).toBeNull();
    expect((await fetch(`${admin}/jobs/nope/run`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${admin}/status`, { method: 'DELETE' })).status).toBe(405);
    expect(
      (await fetch(`${admin}/jobs/main/run`, { method: 'POST', headers: { origin: 'https://evil.example' } }))
        .status,
    ).toBe(403);

    expect(await d.stop()).toEqual({ code: 0, signal: null });
  });

  it('refuses a non-loopback bind without a token, and wants the token when set', async () => {
    const open = workspace(emu.url, {}, { admin: { listen: '0.0.0.0:0' } });
    const refused = track(startDaemon(open));
    expect((await refused.exited).code).toBe(78);
    expect(refused.stderr.join('\n')).toMatch(/admin\.listen/);
    expect(refused.stderr.join('\n')).toMatch(/admin\.token/);

    const ws = workspace(emu.url, {}, { admin: { listen: '127.0.0.1:0', token: 'admin-secret-1' } });
    // Under systemd (Type=notify) readiness goes out through systemd-notify; a stand-in records it.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'fake-systemd-'));
    const calls = path.join(bin, 'calls.txt');
    writeFileSync(path.join(bin, 'systemd-notify'), `#!/bin/sh\necho "$*" >> '${calls}'\n`, { mode: 0o755 });
    const d = track(
      startDaemon(ws, { NOTIFY_SOCKET: path.join(bin, 'sock'), PATH: `${bin}:${process.env.PATH}` }),
    );
    const admin = await d.adminUrl();
    // `>>` creates the file before echo writes to it: wait for the whole line.
    await until(
      async () => (existsSync(calls) && readFileSync(calls, 'utf8').endsWith('\n') ? true : undefined),
      3_000,
    );
    expect(readFileSync(calls, 'utf8')).toMatch(/^READY=1 STATUS=Watching 1 job\(s\)\n$/);
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    for (const p of ['/readyz', '/metrics', '/status']) {
      expect((await fetch(`${admin}${p}`)).status).toBe(401);
      expect((await fetch(`${admin}${p}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect(
        (await fetch(`${admin}${p}`, { headers: { authorization: 'Bearer admin-secret-1' } })).status,
      ).toBe(200);
    }
    expect((await fetch(`${admin}/jobs/main/run`, { method: 'POST' })).status).toBe(401);
    expect(d.lines.map((l) => JSON.stringify(l)).join('\n')).not.toContain('admin-secret-1');
    expect(await d.stop()).toEqual({ code: 0, signal: null });
    expect(readFileSync(calls, 'utf8')).toMatch(/\nSTOPPING=1 STATUS=Stopping\n$/);
  });
});
