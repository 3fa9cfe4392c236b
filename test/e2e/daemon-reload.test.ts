/**
 * `systemctl reload` (SIGHUP) and POST /reload re-read the config of a running daemon: a valid one
 * takes effect for the next run (schedule, a rotated token file, sources, jobs added or removed)
 * without interrupting the run in progress; a broken one is refused with its key and fix — in the
 * log, /status and `status` — and the daemon goes on with the config it had. SIGHUP starts no run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { runCli } from '../helpers/cli.js';
import {
  type DaemonProcess,
  dropFile,
  emulator,
  fault,
  isRunFinished,
  isRunStarted,
  type LogLine,
  MIM_TOKEN,
  seedBaseline,
  staffCsv,
  startDaemon,
  until,
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

type Json = Record<string, unknown>;
type JobJson = Json & { name: string; mim: Json; schedule: Json; sources: Json[] };

function readConfig(ws: Workspace): { jobs: JobJson[] } & Json {
  return JSON.parse(readFileSync(ws.configFile, 'utf8')) as { jobs: JobJson[] } & Json;
}

function editConfig(ws: Workspace, edit: (c: { jobs: JobJson[] } & Json) => void): void {
  const c = readConfig(ws);
  edit(c);
  writeFileSync(ws.configFile, JSON.stringify(c, null, 2));
}

const isReloaded = (l: LogLine): boolean => typeof l.msg === 'string' && l.msg.startsWith('config: reloaded');
const isRefused = (l: LogLine): boolean =>
  typeof l.msg === 'string' && l.msg.startsWith('config: reload refused');

async function post(url: string): Promise<{ status: number; body: Json }> {
  const r = await fetch(url, { method: 'POST' });
  return { status: r.status, body: (await r.json()) as Json };
}

async function status(admin: string): Promise<Json & { config: { reload: Json | null }; jobs: Json[] }> {
  return (await (await fetch(`${admin}/status`)).json()) as Json & {
    config: { reload: Json | null };
    jobs: Json[];
  };
}

describe('reloading the config of a running daemon', () => {
  it('takes a new schedule and a rotated token file on SIGHUP, and SIGHUP itself runs nothing', async () => {
    await fetch(`${emu.url}/_admin/reset`, { method: 'POST' });
    const ws = workspace(emu.url, { watch: false });
    const seed = await seedBaseline(ws, emu, 2);
    // From here on the token comes from a file, and that file holds a stale token.
    const tokenFile = path.join(ws.dir, 'mim_token');
    writeFileSync(tokenFile, 'stale-token\n', { mode: 0o600 });
    editConfig(ws, (c) => {
      const mim = c.jobs[0]!.mim;
      delete mim.token;
      mim.tokenFile = tokenFile;
    });
    dropFile(ws, 'staff.csv', staffCsv(3));
    const d = startDaemon(ws);
    daemons.push(d);
    const admin = await d.adminUrl();

    expect((await post(`${admin}/jobs/main/run`)).status).toBe(202);
    const refused = await d.waitForNth(isRunFinished(), 1, 10_000);
    expect(refused).toMatchObject({ trigger: 'http', outcome: 'failed', error: { code: 'TARGET_AUTH' } });

    // Rotate the token (the file) and turn a per-second schedule on; then `systemctl reload`.
    writeFileSync(tokenFile, `${MIM_TOKEN}\n`, { mode: 0o600 });
    editConfig(ws, (c) => {
      c.jobs[0]!.schedule.cron = '*/1 * * * * *';
    });
    d.child.kill('SIGHUP');
    const reloaded = await d.waitFor(isReloaded, 10_000, 'the reload');
    expect(reloaded).toMatchObject({
      trigger: 'sighup',
      changed: [{ job: 'main', keys: ['mim', 'schedule'] }],
    });
    expect(JSON.stringify(reloaded)).not.toContain(MIM_TOKEN);

    const next = await d.waitForNth(isRunFinished(), 2, 10_000);
    expect(next).toMatchObject({ trigger: 'schedule', outcome: 'applied', httpStatus: 200 });
    expect(await users(emu)).toHaveLength(3);
    expect((await uploads(emu)).length).toBeGreaterThan(seed.uploads);
    // SIGHUP reloads; it does not run the job (POST /jobs/<job>/run does).
    expect(d.matching((l) => isRunStarted()(l) && l.trigger === 'sighup')).toEqual([]);
    const s = await status(admin);
    expect(s.config.reload).toMatchObject({ outcome: 'applied', trigger: 'sighup' });
    expect(s.jobs[0]).toMatchObject({ schedule: { cron: '*/1 * * * * *' } });
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  });

  it('lets a run in progress finish on its config; a removed job stops after it, an added one starts', async () => {
    await fetch(`${emu.url}/_admin/reset`, { method: 'POST' });
    const ws = workspace(emu.url, { watch: false });
    const seed = await seedBaseline(ws, emu, 2);
    dropFile(ws, 'staff.csv', staffCsv(4));
    await fault(emu, { type: 'hold' });
    const d = startDaemon(ws);
    daemons.push(d);
    const admin = await d.adminUrl();
    expect((await post(`${admin}/jobs/main/run`)).status).toBe(202);
    // The plan is logged just before the upload, which the emulator now holds.
    await d.waitFor((l) => l.msg === 'Add' && l.job === 'main', 10_000, 'the planned adds');

    // The job is renamed (removed + added) and reads another folder from now on.
    const drop2 = path.join(ws.dir, 'drop2');
    mkdirSync(drop2);
    writeFileSync(path.join(drop2, 'staff.csv'), staffCsv(5));
    editConfig(ws, (c) => {
      const job = c.jobs[0]!;
      job.name = 'renamed';
      job.schedule.onStart = true;
      job.sources = [{ ...job.sources[0], folder: './drop2' }];
    });
    const answer = await post(`${admin}/reload`);
    expect(answer).toMatchObject({
      status: 200,
      body: { outcome: 'applied', added: ['renamed'], removed: ['main'] },
    });
    await d.waitFor(
      (l) =>
        l.msg === 'Job removed by the reloaded config; its run in progress finishes first' &&
        l.job === 'main',
    );
    // The held run goes on: it is not aborted by the reload, and uploads what it read (4 people).
    // Release once the upload has reached the emulator (logging the plan comes a little earlier).
    await until(async () =>
      Number((await post(`${emu.url}/_admin/release`)).body.released) > 0 ? true : undefined,
    );
    const finished = await d.waitFor(isRunFinished('main'), 10_000, "main's last run");
    expect(finished).toMatchObject({ trigger: 'http', outcome: 'applied', httpStatus: 200 });
    expect(await users(emu)).toHaveLength(4);
    await d.waitFor((l) => l.msg === 'Removed job finished its last run' && l.job === 'main');

    // The added job started as at daemon start (onStart), on its own (new, unknown) baseline.
    const added = await d.waitFor(isRunFinished('renamed'), 10_000, 'the added job runs');
    expect(added).toMatchObject({ trigger: 'start', outcome: 'blocked' });
    expect(await uploads(emu)).toHaveLength(seed.uploads + 1);
    expect((await post(`${admin}/jobs/main/run`)).status).toBe(404);
    expect((await status(admin)).jobs.map((j) => j.job)).toEqual(['renamed']);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  });

  it('refuses a broken config with its key and fix, shows it in status, and keeps the old one', async () => {
    await fetch(`${emu.url}/_admin/reset`, { method: 'POST' });
    const ws = workspace(emu.url, { watch: false });
    await seedBaseline(ws, emu, 2);
    dropFile(ws, 'staff.csv', staffCsv(3));
    const good = readFileSync(ws.configFile, 'utf8');
    const d = startDaemon(ws);
    daemons.push(d);
    const admin = await d.adminUrl();

    editConfig(ws, (c) => {
      c.jobs[0]!.schedule.cron = 'every five minutes';
    });
    d.child.kill('SIGHUP');
    const refused = await d.waitFor(isRefused, 10_000, 'the refusal');
    expect(refused).toMatchObject({ level: 'error', place: 'jobs[main].schedule.cron' });
    expect(String(refused.fix)).toMatch(/five fields/);
    expect((await status(admin)).config.reload).toMatchObject({
      outcome: 'refused',
      error: { place: 'jobs[main].schedule.cron' },
    });
    const shown = await runCli(['status', '--config', ws.configFile], { cwd: ws.dir });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(
      /^config: reload refused at \S+: jobs\[main\]\.schedule\.cron: The cron expression "every five minutes" is not valid/m,
    );

    // A file that is not even JSON5: refused too, naming the line.
    writeFileSync(ws.configFile, '{ jobs: [\n');
    const syntax = await post(`${admin}/reload`);
    expect(syntax).toMatchObject({ status: 422, body: { outcome: 'refused' } });
    expect(String((syntax.body.error as Json).place)).toContain(`${ws.configFile}:2`);

    // The daemon still runs on the config it had.
    expect((await post(`${admin}/jobs/main/run`)).status).toBe(202);
    expect(await d.waitForNth(isRunFinished(), 1, 10_000)).toMatchObject({ outcome: 'applied' });
    expect(await users(emu)).toHaveLength(3);
    expect(d.child.exitCode).toBeNull();

    // Fixed: the next reload is applied and `status` says so.
    writeFileSync(ws.configFile, good);
    expect(await post(`${admin}/reload`)).toMatchObject({ status: 200, body: { outcome: 'applied' } });
    const after = await runCli(['status', '--config', ws.configFile], { cwd: ws.dir });
    expect(after.stdout).toMatch(/^config: reloaded at \S+ \(no job changed\)$/m);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  });
});
