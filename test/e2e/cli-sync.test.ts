/**
 * The CLI as a process against the MIM emulator over a real socket: what an admin sees from
 * `plan` and `sync`, and what MIM ends up holding and e-mailing.
 */
import { spawn } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { scaled } from '../helpers/timing.js';
import { makeWorkspace, type Workspace } from '../helpers/workspace.js';

const HEADER = 'First name,Last name,E-mail,ID,Sync ID\n';
const ADA = 'Ada,Lovelace,ada@example.com,1001,E1\n';
const BOB = 'Bob,Builder,bob@example.com,1002,E2\n';
const CAROL = 'Carol,Shaw,carol@example.com,1003,E3\n';

let emu: TestEmulator;
let ws: Workspace;

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  await emu.resetAll();
  ws = await makeWorkspace({ mimUrl: emu.url });
});
afterEach(async () => {
  await ws.cleanup();
});

const cli = (...args: string[]) => runCli([...args, '--config', ws.config]);
/** A first sync: the state dir is new, so the admin accepts the unknown baseline for this run. */
const first = (...args: string[]) => cli('sync', '--accept-unknown-baseline', ...args);

describe('plan and sync against the emulator', () => {
  it('blocks the first sync until its exact plan is approved, then invites everyone once', async () => {
    await ws.dropFile('staff.csv', HEADER + ADA + BOB + CAROL);
    const plan = await cli('plan');
    expect(plan.code).toBe(3);
    expect(plan.stdout).toMatch(/UNKNOWN BASELINE: mobileid-sync does not know who is in project "demo"/);
    expect(plan.stdout).toContain('MIM will delete everyone who is not among the 3 people below');
    expect(plan.stdout).toContain('3 to add, 0 to update, 0 to delete');
    expect(plan.stdout).toContain('+ Ada Lovelace <ada@example.com> ID 1001 [Sync ID E1]');
    expect(await emu.uploads()).toHaveLength(0);

    const blocked = await cli('sync');
    expect(blocked.code, blocked.stdout).toBe(3);
    const planId = /approve main --plan (\w+)/.exec(blocked.stdout)?.[1];
    expect(planId).toBeDefined();
    expect(blocked.stdout).toContain(`--config ${ws.config}`.replace('--config', '-c'));
    expect(await emu.uploads()).toHaveLength(0);
    const noPlan = await cli('approve', 'main');
    expect(noPlan.code).toBe(64);
    expect(noPlan.stderr).toContain('approve needs --plan');
    const approve = await cli('approve', 'main', '--plan', planId!);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toMatch(/Approved plan \w+ .* until 20/);

    const sync = await cli('sync');
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toContain('MIM accepted it');
    const users = await emu.users();
    expect(users.map((u) => [u.email, u.status])).toEqual([
      ['ada@example.com', 'invitation-sent'],
      ['bob@example.com', 'invitation-sent'],
      ['carol@example.com', 'invitation-sent'],
    ]);
    expect((await emu.outbox()).filter((m) => m.kind === 'invitation')).toHaveLength(3);
    expect(
      await readFile(path.join(ws.drop, 'archive'), 'utf8').catch((e: NodeJS.ErrnoException) => e.code),
    ).toBe('EISDIR');

    const again = await cli('sync');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('byte-identical');
    expect(await emu.uploads()).toHaveLength(1);
    const replan = await cli('plan');
    expect(replan.code).toBe(0);
    const status = await cli('status');
    expect(status.stdout).toMatch(/baseline #1: 3 users pushed at .* \(\d+ min ago\)/);
  });

  it('reports edited history and blocked-plan files instead of crashing, and trusts no approval in them', async () => {
    await ws.dropFile('staff.csv', HEADER + ADA + BOB + CAROL);
    expect((await first()).code).toBe(0);
    const job = path.join(ws.state, 'main');
    // Values String() and .join() throw on, as a hand edit or a damaged disk may leave them.
    const hostile = { toString: '' };
    const good = JSON.parse((await readFile(path.join(job, 'history.jsonl'), 'utf8')).trim()) as object;
    for (const field of ['startedAt', 'trigger', 'outcome', 'durationMs', 'plan', 'guard'])
      await appendFile(path.join(job, 'history.jsonl'), `${JSON.stringify({ ...good, [field]: hostile })}\n`);
    await ws.dropFile('staff.csv', HEADER + ADA);
    const blocked = await cli('sync');
    expect(blocked.code, blocked.stdout).toBe(3);
    const planId = /approve main --plan (\w+)/.exec(blocked.stdout)?.[1];
    const file = path.join(job, 'blocked.json');
    const plan = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const forged = { by: 'someone', at: new Date().toISOString(), expiresAt: hostile };
    await writeFile(file, JSON.stringify({ ...plan, planId, reasons: hostile, approval: forged }));

    const status = await cli('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/cli +applied +3 +0 +0 /);
    expect(status.stdout).toContain('blocked.json NOT USED (no list of reasons): no approval in it counts');
    const again = await cli('sync');
    expect(again.code, again.stdout).toBe(3);
    expect(await emu.uploads()).toHaveLength(1);
  });

  it('reports an edited pending.json instead of crashing, and pushes nothing on it until approved', async () => {
    await ws.dropFile('staff.csv', HEADER + ADA + BOB);
    expect((await first()).code).toBe(0);
    // An upload MIM applied but never answered: the run is killed while it waits (pending.json).
    await ws.dropFile('staff.csv', HEADER + ADA + BOB + CAROL);
    await emu.fault({ type: 'apply-then-hang', count: 1 });
    const child = spawn(process.execPath, [CLI, 'sync', '--config', ws.config], { stdio: 'ignore' });
    const deadline = Date.now() + scaled(5_000);
    while (Date.now() < deadline && (await emu.users()).length < 3)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    await emu.clearFaults();
    const file = path.join(ws.state, 'main', 'pending.json');
    const pending = JSON.parse(await readFile(file, 'utf8')) as { uploads: object[] };
    // A value a template literal throws on, where status prints when the upload started.
    const edited = pending.uploads.map((u) => ({ ...u, startedAt: { toString: '' } }));
    await writeFile(file, JSON.stringify({ ...pending, uploads: edited }));

    const status = await cli('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      'upload with UNKNOWN outcome and content: pending.json: it lists an upload that is not what a run writes',
    );
    const uploads = (await emu.uploads()).length;
    const sync = await cli('sync');
    expect(sync.code, sync.stdout + sync.stderr).toBe(3);
    expect(sync.stdout).toContain('so an upload of unknown content may be in MIM');
    expect(await emu.uploads()).toHaveLength(uploads);
  });

  it('sends an update for a changed name and a delete (with its e-mail) for a removed row', async () => {
    await ws.dropFile('a.csv', HEADER + ADA + BOB + CAROL);
    expect((await first()).code).toBe(0);
    await emu.act('E2', 'activate');
    await ws.dropFile('b.csv', HEADER + ADA.replace('Lovelace', 'King') + BOB);
    const plan = await cli('plan');
    expect(plan.stdout).toContain('0 to add, 1 to update, 1 to delete');
    expect(plan.stdout).toContain('Last name "Lovelace" → "King"');
    expect(plan.stdout).toContain('- Carol Shaw <carol@example.com>');
    expect(plan.code).toBe(3); // 1 of 3 deleted is over guard.maxDeletePercent
    expect(plan.stdout).toContain('mobileid-sync approve main --plan');
    const sync = await cli('sync', '--allow-deletes', '1');
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    const users = await emu.users();
    expect(users.map((u) => `${u.email}:${u.lastName}:${u.status}`)).toEqual([
      'ada@example.com:King:invitation-sent',
      'bob@example.com:Builder:active',
    ]);
    expect((await emu.outbox()).filter((m) => m.to === 'carol@example.com').map((m) => m.kind)).toEqual([
      'invitation',
      'invitation-withdrawn',
    ]);
  });

  it('leaves a Reset user alone in MIM even when the file no longer has them', async () => {
    await ws.dropFile('a.csv', HEADER + ADA + BOB);
    expect((await first()).code).toBe(0);
    await emu.act('E2', 'reset');
    await ws.dropFile('b.csv', HEADER + ADA);
    expect((await cli('sync', '--allow-deletes', '1')).code).toBe(0);
    expect((await emu.users()).map((u) => `${u.email}:${u.status}`)).toEqual([
      'ada@example.com:invitation-sent',
      'bob@example.com:reset',
    ]);
  });

  it('reports a bad row by line, keeps a pushed person on their last data and leaves a new one out', async () => {
    await ws.dropFile('a.csv', HEADER + ADA + BOB);
    expect((await first()).code).toBe(0);
    await ws.dropFile('b.csv', `${HEADER}${ADA}Bob,Builder,bob@,1002,E2\nDan,New,dan@example.com,ÄÖ,E4\n`);
    const plan = await cli('plan');
    expect(plan.stdout).toMatch(/b\.csv:3: E-mail address "bob@" is not valid \(use the form/);
    expect(plan.stdout).toMatch(/b\.csv:4: ID "ÄÖ" has characters outside printable ASCII/);
    expect(plan.stdout).toContain('0 to add, 0 to update, 0 to delete, 2 unchanged, 1 carried forward');
    const sync = await cli('sync', '--json');
    const report = JSON.parse(sync.stdout) as { outcome: string; plan: { counts: Record<string, number> } };
    expect(report.outcome).toBe('unchanged');
    expect(report.plan.counts).toMatchObject({ deletes: 0, carried: 1, rejected: 2 });
    expect((await emu.users()).map((u) => u.email)).toEqual(['ada@example.com', 'bob@example.com']);
    const archived = await import('node:fs/promises').then((fs) => fs.readdir(path.join(ws.drop, 'archive')));
    const report2 = archived.find((f) => f.endsWith('b.csv.rejects.txt'));
    expect(report2).toBeDefined();
    expect(await readFile(path.join(ws.drop, 'archive', report2!), 'utf8')).toContain('b.csv:3');
  });

  it('hard-stops on an empty or header-only file and pushes nothing', async () => {
    await ws.dropFile('a.csv', HEADER + ADA + BOB);
    expect((await first()).code).toBe(0);
    for (const content of ['', HEADER]) {
      await ws.dropFile('empty.csv', content);
      const r = await cli('sync');
      expect(r.code).toBe(3);
      expect(r.stdout).toContain('BLOCKED (hard stop)');
      expect(r.stdout).toContain('returned no people');
    }
    expect(await emu.uploads()).toHaveLength(1);
    expect(await emu.users()).toHaveLength(2);
  });

  it('retries 429 with Retry-After and succeeds', async () => {
    await emu.fault({ type: 'status', status: 429, count: 2, retryAfter: '0.05' });
    await ws.dropFile('a.csv', HEADER + ADA);
    const r = await first();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('3 attempts');
    expect((await emu.uploads()).map((u) => u.status)).toEqual([429, 429, 200]);
  });

  it('fails on 500 forever, records nothing, and the next run succeeds', async () => {
    await emu.fault({ type: 'status', status: 500, count: 10 });
    await ws.dropFile('a.csv', HEADER + ADA);
    const r = await first();
    expect(r.code).toBe(69);
    // A 500 proves nothing: a proxy may send it after MIM applied the upload.
    expect(r.stdout).toContain(
      'OUTCOME UNKNOWN: MIM did not accept the upload after 4 attempts (last: HTTP 500',
    );
    await expect(readFile(path.join(ws.state, 'main', 'snapshot.json'))).rejects.toThrow();
    expect((await import('node:fs')).existsSync(path.join(ws.drop, 'a.csv'))).toBe(true);
    await emu.clearFaults();
    const ok = await first();
    expect(ok.code, ok.stdout).toBe(0);
    expect(await emu.users()).toHaveLength(1);
  });

  it('reports a refused token as a credential problem', async () => {
    await ws.cleanup();
    ws = await makeWorkspace({ mimUrl: emu.url, token: 'wrong-token' });
    await ws.dropFile('a.csv', HEADER + ADA);
    const r = await first();
    expect(r.code).toBe(77);
    expect(r.stdout).toContain('MIM refused the project token (HTTP 401)');
    expect(r.stdout + r.stderr).not.toContain('wrong-token');
  });

  it('recovers from a crash between the upload and the state write without acting twice', async () => {
    await ws.dropFile('a.csv', HEADER + ADA + BOB);
    await emu.fault({ type: 'apply-then-hang', count: 1 });
    const child = spawn(process.execPath, [CLI, 'sync', '--accept-unknown-baseline', '--config', ws.config], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + scaled(5_000);
    while (Date.now() < deadline && (await emu.users()).length === 0)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(await emu.users()).toHaveLength(2);
    const pending = JSON.parse(await readFile(path.join(ws.state, 'main', 'pending.json'), 'utf8')) as {
      uploads: { count: number }[];
    };
    expect(pending.uploads.map((u) => u.count)).toEqual([2]);
    await expect(readFile(path.join(ws.state, 'main', 'snapshot.json'))).rejects.toThrow();

    // Still no baseline: the re-run is a first push again and needs the admin's word again.
    expect((await cli('sync')).code).toBe(3);
    const rerun = await first();
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(rerun.stdout).toContain('interrupted before');
    expect((await emu.outbox()).filter((m) => m.kind === 'invitation')).toHaveLength(2);
    const third = await cli('sync');
    expect(third.stdout).toContain('byte-identical');
  });
});
