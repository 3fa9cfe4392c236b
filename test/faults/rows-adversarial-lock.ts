/**
 * Adversarial rows for the job lock (issue #10 item 7): what the lock trusts — a PID, a PID
 * namespace, a file left behind — is turned against it. Runs in other PID namespaces use
 * `unshare -p -f --mount-proc` (there the CLI is PID 1, as in a container).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { CLI, type CliResult } from '../helpers/cli.js';
import { csvBaseline, dropChange, type Row, setMim } from './row.js';
import { type World, waitFor } from './world.js';

/** Short, so rows that wait for a stale lock stay quick; the product default is 30 s. */
const STALE_MS = 5_000;

async function shortStaleTime(w: World): Promise<void> {
  w.config.lock = { staleMs: STALE_MS };
  await w.saveConfig();
}

/** `mobileid-sync sync` as PID 1 of a new PID namespace; SIGKILL of `unshare` kills it too. */
function syncInNamespace(w: World): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(
    'unshare',
    ['-p', '-f', '--mount-proc', '--kill-child', process.execPath, CLI, 'sync', '--config', w.configFile],
    { env: { ...process.env, MOBILEID_SYNC_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done };
}

async function queuedFaults(w: World): Promise<number> {
  const res = await request(`${w.emu.url}/_admin/faults`);
  return ((await res.body.json()) as { faults: unknown[] }).faults.length;
}

/** The upload reached MIM (it took the queued delay) and pending.json exists; fails early if `run` ended. */
async function uploadInFlight(w: World, run: { readonly done: Promise<CliResult> }): Promise<void> {
  let ended: CliResult | null = null;
  void run.done.then((r) => {
    ended = r;
  });
  await waitFor(
    'the upload to reach MIM',
    async () => {
      if (w.exists('pending.json') && (await queuedFaults(w)) === 0) return true;
      const r = ended as CliResult | null;
      if (r) throw new Error(`the run ended before its upload (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
      return undefined;
    },
    90_000,
  );
}

const canUnshare = spawnSync('unshare', ['-p', '-f', '--mount-proc', 'true']).status === 0;

const ROWS: Row[] = [
  {
    // Before: the second run read the first one's PID, found no such PID in its own namespace,
    // called the lock stale, and uploaded a second time while the first upload was in flight.
    name: 'adversarial lock: a second sync in another PID namespace during a slow upload uploads nothing',
    setup: async (w) => {
      await csvBaseline(w);
      await shortStaleTime(w);
      // MIM holds the first upload until the second process has ended, however slow the machine
      // (a fixed 15 s delay was too short on a loaded CI machine: the second run started after
      // the first had finished and found nothing to do).
      await setMim(w, { requestTimeoutMs: 600_000 });
      await dropChange(w);
      await w.emu.fault({ type: 'hold' });
    },
    act: async (w) => {
      const first = w.spawnCli(['sync']);
      await uploadInFlight(w, first);
      const second = await syncInNamespace(w).done;
      await w.emu.release();
      const firstResult = await first.done;
      if (firstResult.code !== 0) {
        return { ...second, stderr: `${second.stderr}\nthe first run failed: ${firstResult.stderr}` };
      }
      return second;
    },
    expect: {
      exit: 74,
      text: [/already running in process \d+ on host/, /lock\.staleMs/],
      mim: 'applied',
      pending: false,
    },
    verify: async (w) => {
      const n = (await w.emu.uploads()).length;
      return n === 2 ? [] : [`expected 2 uploads (baseline, the first run), MIM saw ${n}`];
    },
  },
  {
    // Before: the killed container's run left `lock` = "1"; PID 1 is alive on every host, so
    // every later run said "already running in process 1", forever.
    name: 'adversarial lock: a run killed in another PID namespace mid-upload leaves a lock that is taken over',
    setup: async (w) => {
      await csvBaseline(w);
      await shortStaleTime(w);
      await dropChange(w);
      await w.emu.fault({ type: 'hold' });
      const dead = syncInNamespace(w);
      await uploadInFlight(w, dead);
      dead.child.kill('SIGKILL');
      await dead.done;
      await w.emu.release();
      await waitFor('the killed upload to be logged', async () =>
        (await w.emu.uploads()).some((u) => (u as { fault?: string }).fault === 'hold') ? true : undefined,
      );
    },
    act: (w) => w.cli('sync'),
    expect: { exit: 0, text: [/interrupted before/, /MIM accepted it/], mim: 'applied', pending: false },
  },
  {
    // Before: a PID file naming a live PID (PID 1, or any reused PID) blocked every run forever.
    name: 'adversarial lock: an old-style PID file naming a live, reused PID does not block forever',
    setup: async (w) => {
      await csvBaseline(w);
      await shortStaleTime(w);
      await dropChange(w);
      await writeFile(path.join(w.jobState, 'lock'), '1');
    },
    act: (w) => w.cli('sync'),
    expect: { exit: 0, text: [/MIM accepted it/], mim: 'applied', pending: false },
    verify: async (w) => (w.exists('lock') ? ['the old-style lock file is still there'] : []),
  },
];

export const ADVERSARIAL_LOCK_ROWS: Row[] = canUnshare ? ROWS : ROWS.slice(2);
