/**
 * The daemon's first run on a fresh state dir: mobileid-sync cannot know who is in the MIM project,
 * and MIM deletes everyone missing from an upload, so the run is blocked as an unknown baseline —
 * in the log, in /status, without the daemon exiting and without touching MIM. An admin approves
 * exactly the printed plan with the CLI; a different file voids that approval; the next trigger
 * after approving the current plan pushes exactly that plan.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { runCli } from '../helpers/cli.js';
import { readSnapshotBytes } from '../helpers/snapshot-file.js';
import {
  type DaemonProcess,
  dropFile,
  emulator,
  isRunFinished,
  type LogLine,
  PROJECT,
  staffCsv,
  startDaemon,
  uploads,
  users,
  type Workspace,
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

interface JobStatus {
  job: string;
  baseline: { known: boolean; reason?: string; seq?: number; users?: number };
  pendingApproval: {
    planId: string;
    reasons: string[];
    adds: number;
    deletes: number;
    approval?: { by: string; expiresAt: string };
  } | null;
  runs: { trigger: string; outcome: string }[];
}

async function jobStatus(admin: string): Promise<JobStatus> {
  const body = (await (await fetch(`${admin}/status`)).json()) as { jobs: JobStatus[] };
  return body.jobs[0]!;
}

function cli(ws: Workspace, ...args: string[]): ReturnType<typeof runCli> {
  return runCli([...args, '--config', ws.configFile], { cwd: ws.dir });
}

const isBlockedLine = (l: LogLine): boolean => l.msg === 'Run blocked by the guard; nothing pushed';

describe('the daemon on a fresh state dir', () => {
  it('blocks its first run as an unknown baseline until the exact plan is approved', async () => {
    const ws = workspace(emu.url, { debounceMs: 200, stableMs: 200 });
    const d = startDaemon(ws);
    daemons.push(d);
    const admin = await d.adminUrl();

    // 1. The first file: blocked, MIM untouched, the daemon keeps running.
    dropFile(ws, 'staff.csv', staffCsv(5));
    expect(await d.waitForNth(isRunFinished(), 1, 10_000)).toMatchObject({
      trigger: 'watch',
      outcome: 'blocked',
      adds: 5,
      deletes: 0,
    });
    const blockedLine = await d.waitForNth(isBlockedLine, 1);
    expect(blockedLine).toMatchObject({ level: 'warn', kind: 'needs-approval' });
    expect(blockedLine.reasons).toEqual([
      expect.stringMatching(
        new RegExp(
          `does not know who is in project "${PROJECT}" now .*MIM will delete everyone who is not among these 5 people`,
        ),
      ),
    ]);
    const planA = String(blockedLine.planId);
    expect(await uploads(emu)).toEqual([]);
    expect(await users(emu)).toEqual([]);
    expect(d.child.exitCode).toBeNull();
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    let status = await jobStatus(admin);
    expect(status.baseline).toMatchObject({ known: false, reason: 'missing' });
    expect(status.pendingApproval).toMatchObject({ planId: planA, adds: 5, deletes: 0 });
    expect(status.pendingApproval?.reasons[0]).toMatch(/does not know who is in project/);
    expect(status.pendingApproval?.approval).toBeUndefined();

    // 2. The admin reads the plan id from `status` and approves exactly it.
    const shown = await cli(ws, 'status');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/baseline UNKNOWN/);
    const printed = /mobileid-sync approve main --plan (\S+)/.exec(shown.stdout)?.[1];
    expect(printed).toBe(planA);
    const approved = await cli(ws, 'approve', 'main', '--plan', planA);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`Approved plan ${planA}`);

    // 3. A different file arrives before the next run: its plan differs, so the approval is
    //    void and the run is blocked again. Still nothing reaches MIM.
    dropFile(ws, 'staff-2.csv', staffCsv(6));
    expect(await d.waitForNth(isRunFinished(), 2, 10_000)).toMatchObject({
      trigger: 'watch',
      outcome: 'blocked',
      adds: 6,
    });
    const blockedAgain = await d.waitForNth(isBlockedLine, 2);
    const planB = String(blockedAgain.planId);
    expect(planB).not.toBe(planA);
    expect(
      d.matching(
        (l) => typeof l.msg === 'string' && l.msg.startsWith(`The blocked plan ${planA} and its approval`),
      ),
    ).toHaveLength(1);
    expect(await uploads(emu)).toEqual([]);
    status = await jobStatus(admin);
    expect(status.baseline.known).toBe(false);
    expect(status.pendingApproval).toMatchObject({ planId: planB, adds: 6 });
    expect(status.pendingApproval?.approval).toBeUndefined();
    // The voided plan can no longer be approved.
    const stale = await cli(ws, 'approve', 'main', '--plan', planA);
    expect(stale.code).toBe(64);
    expect(stale.stderr).toContain(`Plan ${planA} is not the blocked plan (${planB}`);

    // 4. Approve the current plan; the next trigger (POST /jobs/main/run) pushes exactly it.
    expect((await cli(ws, 'approve', 'main', '--plan', planB)).code).toBe(0);
    expect((await jobStatus(admin)).pendingApproval?.approval).toBeDefined();
    expect((await fetch(`${admin}/jobs/main/run`, { method: 'POST' })).status).toBe(202);
    expect(await d.waitForNth(isRunFinished(), 3, 10_000)).toMatchObject({
      trigger: 'http',
      outcome: 'applied',
      adds: 6,
      deletes: 0,
      httpStatus: 200,
    });
    expect((await uploads(emu)).map((u) => u.status)).toEqual([200]);
    const inMim = (await users(emu)) as { syncId: string }[];
    expect(inMim.map((u) => u.syncId).sort()).toEqual(['S0', 'S1', 'S2', 'S3', 'S4', 'S5']);
    const snapshot = readSnapshotBytes(readFileSync(path.join(ws.state, 'main', 'snapshot.json')));
    expect(snapshot).toMatchObject({ seq: 1, planId: planB });
    status = await jobStatus(admin);
    expect(status.baseline).toMatchObject({ known: true, seq: 1, users: 6 });
    expect(status.pendingApproval).toBeNull();

    // 5. From now on the baseline is known: a run over the same file (POST /jobs/main/run)
    //    sends nothing, and the approval is used up.
    expect((await fetch(`${admin}/jobs/main/run`, { method: 'POST' })).status).toBe(202);
    expect(await d.waitForNth(isRunFinished(), 4, 10_000)).toMatchObject({
      trigger: 'http',
      outcome: 'unchanged',
    });
    expect(await uploads(emu)).toHaveLength(1);
    expect(d.matching(isBlockedLine)).toHaveLength(2);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  });
});
