/**
 * The state directory failing (read-only, full, corrupted) and the process dying at each step
 * of a run. Precise moments come from outside the process, never from hooks in the product:
 * the job's lock file (the run has started), pending.json (the upload is about to go), the
 * emulator's fault queue (the upload reached MIM) and its uploads log (MIM applied it).
 *
 * Tests run as root, where chmod 0555 does not stop writes; a tmpfs mounted over the state dir
 * and remounted read-only (or filled up) does.
 */
import { spawnSync } from 'node:child_process';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { pause, scaled } from '../helpers/timing.js';
import { changed, csvBaseline, dropChange, mustSync, type Row } from './row.js';
import { csvOf, type World, waitFor } from './world.js';

function sh(cmd: string, args: readonly string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** A tmpfs of `size` over the world's state dir, unmounted when the world is disposed. */
function mountState(w: World, size: string): void {
  sh('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', w.state]);
  w.cleanups.push(() => sh('umount', [w.state]));
}

/** Writes filler files until the file system says ENOSPC. */
async function fill(dir: string): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  for (let i = 0; i < 10_000; i++) {
    try {
      await writeFile(path.join(dir, `filler-${i}`), chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw e;
    }
  }
  throw new Error('the state tmpfs never filled up');
}

async function queuedFaults(w: World): Promise<number> {
  const res = await request(`${w.emu.url}/_admin/faults`);
  const body = (await res.body.json()) as { faults: unknown[] };
  return body.faults.length;
}

/**
 * Resolves once the upload has reached MIM (it took the queued fault) and pending.json exists.
 * The rows using it queue a `hold`: MIM answers only once the row releases it, after acting, so no
 * row depends on how fast a busy machine runs.
 */
async function uploadInFlight(w: World): Promise<void> {
  await waitFor('the upload to reach MIM', async () =>
    w.exists('pending.json') && (await queuedFaults(w)) === 0 ? true : undefined,
  );
}

async function uploadLogged(w: World, fault: string): Promise<void> {
  await waitFor(`MIM to log the ${fault} upload`, async () =>
    (await w.emu.uploads()).some((u) => (u as { fault?: string }).fault === fault) ? true : undefined,
  );
}

function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

export const STATE_ROWS: Row[] = [
  {
    name: 'state dir read-only (tmpfs remounted ro)',
    setup: async (w) => {
      mountState(w, '4m');
      await csvBaseline(w);
      await dropChange(w);
      sh('mount', ['-o', 'remount,ro', w.state]);
    },
    act: (w) => w.cli('sync'),
    expect: {
      exit: 74,
      text: [/Cannot take the job lock: EROFS/, /Make the state directory writable/],
      mim: 'unchanged',
      pending: false,
    },
    heal: async (w) => sh('mount', ['-o', 'remount,rw', w.state]),
  },
  {
    name: 'disk full when the snapshot is written (MIM already applied)',
    setup: async (w) => {
      mountState(w, '1m');
      await csvBaseline(w);
      await dropChange(w);
      await w.emu.fault({ type: 'hold' });
    },
    act: async (w) => {
      const run = w.spawnCli(['sync']);
      await uploadInFlight(w);
      await fill(w.state);
      await w.emu.release();
      return run.done;
    },
    expect: {
      exit: 74,
      text: [/Cannot record the pushed snapshot: ENOSPC/, /Free disk space/],
      mim: 'applied',
      pending: true,
      healText: [/interrupted before/],
    },
    heal: async (w) => {
      for (const f of await readdir(w.state)) if (f.startsWith('filler-')) await rm(path.join(w.state, f));
    },
  },
  {
    name: 'snapshot.json corrupted',
    setup: async (w) => {
      await csvBaseline(w);
      await dropChange(w);
      await writeFile(path.join(w.jobState, 'snapshot.json'), '{"version":1,"records":[{"syncId":"P00');
    },
    act: (w) => w.cli('sync'),
    // A damaged baseline is an unknown one: the run blocks and says so, it never plans against it.
    expect: {
      exit: 3,
      text: [/UNKNOWN BASELINE/, /snapshot.json: it is not valid JSON/, /approve main --plan/],
      mim: 'unchanged',
      state: 'left-corrupt',
    },
    heal: async (w) => {
      await mustSync(w, 'the admin accepting the unknown baseline', '--accept-unknown-baseline');
    },
  },
  {
    name: 'SIGKILL before the push (waiting for the drop file to settle)',
    setup: async (w) => {
      await csvBaseline(w);
      const source = w.job.sources[0]!;
      // Long enough that the run is surely still waiting when it is killed, even on a busy machine
      // (stretched with the measured slowdown: the CLI's start-up and the pause below are).
      source.stableMs = scaled(15_000);
      await w.saveConfig();
      w.desired = changed(w.desired);
      // A fresh mtime: the run must wait stableMs before it may read the file.
      await writeFile(path.join(w.drop, 'staff-late.csv'), csvOf(w.desired));
    },
    act: async (w) => {
      const run = w.spawnCli(['sync']);
      await waitFor('the run to take the job lock', () => (w.exists('run.lock') ? true : undefined));
      await pause(300);
      run.child.kill('SIGKILL');
      return run.done;
    },
    expect: { exit: 'killed', mim: 'unchanged', pending: false },
    verify: async (w) => {
      const s = await w.readState();
      const pid = s.lock ? (JSON.parse(s.lock) as { pid: number }).pid : 0;
      const out: string[] = [];
      if (!s.lock) out.push('expected the killed run to leave its lock file behind');
      else if (!isDead(pid)) out.push(`lock holder ${pid} is still alive`);
      if ((await w.emu.uploads()).length !== 1) out.push('an upload happened before the push step');
      return out;
    },
    heal: async (w) => {
      w.job.sources[0]!.stableMs = 0;
      await w.saveConfig();
    },
  },
  {
    name: 'SIGKILL during the push (MIM has not answered)',
    setup: async (w) => {
      await csvBaseline(w);
      await dropChange(w);
      await w.emu.fault({ type: 'hold' });
    },
    act: async (w) => {
      const run = w.spawnCli(['sync']);
      await uploadInFlight(w);
      run.child.kill('SIGKILL');
      const r = await run.done;
      await w.emu.release();
      await uploadLogged(w, 'hold');
      return r;
    },
    expect: { exit: 'killed', mim: 'unchanged', pending: true, healText: [/interrupted before/] },
  },
  {
    name: 'SIGKILL after MIM applied, before the state write',
    setup: async (w) => {
      await csvBaseline(w);
      await dropChange(w);
      await w.emu.fault({ type: 'apply-then-hang' });
    },
    act: async (w) => {
      const run = w.spawnCli(['sync']);
      await uploadLogged(w, 'apply-then-hang');
      run.child.kill('SIGKILL');
      return run.done;
    },
    expect: { exit: 'killed', mim: 'applied', pending: true, healText: [/interrupted before/] },
  },
  {
    // The one window no outside observation can hit: snapshot.json already renamed into place,
    // pending.json not yet removed. Built by hand: exactly the files such a crash leaves.
    name: 'crash after the snapshot write, before pending.json is cleared (state as left)',
    setup: async (w) => {
      await csvBaseline(w);
      await dropChange(w);
      await mustSync(w, 'the change');
      const s = await w.readState();
      if (!s.snapshot || s.snapshot === 'corrupt') throw new Error('no snapshot after the change');
      const pending = {
        version: 2,
        target: (s.snapshot as unknown as { target: unknown }).target,
        uploads: [
          {
            startedAt: new Date().toISOString(),
            runId: 'crashed-run',
            payloadSha256: s.snapshot.payloadSha256,
            count: s.snapshot.records.length,
          },
        ],
        records: s.snapshot.records,
      };
      await writeFile(path.join(w.jobState, 'pending.json'), `${JSON.stringify(pending)}\n`);
      // A PID file from the previous version, as its crash left it: not trusted, retired after lock.staleMs.
      await writeFile(path.join(w.jobState, 'lock'), '999999');
      w.config.lock = { staleMs: 5_000 };
      await w.saveConfig();
    },
    act: (w) => w.cli('sync'),
    expect: {
      exit: 0,
      text: [/interrupted before MIM's answer was recorded.*this run re-sends/, /MIM accepted it/],
      mim: 'applied',
      pending: false,
    },
  },
  {
    name: 'SIGINT during the push',
    setup: async (w) => {
      await csvBaseline(w);
      await dropChange(w);
      await w.emu.fault({ type: 'hold' });
    },
    act: async (w) => {
      const run = w.spawnCli(['sync']);
      await uploadInFlight(w);
      run.child.kill('SIGINT');
      const r = await run.done;
      await w.emu.release();
      await uploadLogged(w, 'hold');
      return r;
    },
    expect: {
      exit: 130,
      text: [/SIGINT: stopping/, /cancelled during the upload/],
      mim: 'unchanged',
      pending: true,
      healText: [/interrupted before/],
    },
  },
];
