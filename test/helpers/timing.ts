/**
 * Test deadlines that follow the machine's load instead of fixed numbers.
 *
 * Global setup (global-setup.ts) measures how long Node itself takes to start and to do a fixed
 * piece of work right now, and publishes the slowdown against an idle reference machine in
 * MOBILEID_SYNC_TEST_SLOWDOWN; every test timeout, hook timeout, waitFor deadline and settle pause
 * goes through `scaled(ms)`, which is `ms` on an idle machine and grows in proportion on a busy
 * one. Numbers that are the stimulus itself (a file dropped 50 ms after another inside a 300 ms
 * quiet window) are not scaled.
 * Outside vitest (bench/ compiles helpers too) the variable is unset and the factor is 1.
 */
import { spawn } from 'node:child_process';

/** Where the measured factor is published for the test workers (and can be forced by hand). */
export const SLOWDOWN_ENV = 'MOBILEID_SYNC_TEST_SLOWDOWN';

/**
 * An idle 2-core machine (the CI shape), measured with `measureSlowdown`: the median spawn-to-exit
 * of `node -e 0`, and of a Node process doing WORK. Neither runs this project's code, so making
 * the CLI start faster does not make every deadline shorter (measuring the CLI's own start-up
 * did: after issue 14's lazy imports a machine three times busier still read as idle).
 */
export const REFERENCE = { nodeMs: 130, workMs: 450 } as const;

/** A fixed CPU and allocation load (hashing 190 MiB, 300k small objects): the "work" sample. */
const WORK =
  "const h=require('node:crypto').createHash('sha256');const b=Buffer.alloc(65536,7);" +
  'for(let i=0;i<3000;i++)h.update(b);const a=[];for(let i=0;i<3e5;i++)a.push({i,s:String(i)});';

/** Beyond this (load ≈ 40 on two cores) waiting longer would only hide a hung test. */
export const MAX_SLOWDOWN = 20;

/** The published slowdown, 1 ≤ factor ≤ MAX_SLOWDOWN. */
export function slowdown(): number {
  const v = Number.parseFloat(process.env[SLOWDOWN_ENV] ?? '');
  return Number.isFinite(v) ? Math.min(MAX_SLOWDOWN, Math.max(1, v)) : 1;
}

/** `ms` stretched by the measured slowdown: every deadline for work a busy machine does slower. */
export function scaled(ms: number): number {
  return Math.round(ms * slowdown());
}

/** Waits `scaled(ms)`: for a settle pause ("nothing else may follow", "the upload is now waiting"). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, scaled(ms)));
}

/** Time from spawn until `node <args>` exits. */
function timeSpawn(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(performance.now() - t0);
      else reject(new Error(`node ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

export interface Slowdown {
  readonly nodeMs: readonly number[];
  readonly workMs: readonly number[];
  /** The median of every sample's ratio to its reference, clamped to 1…MAX_SLOWDOWN. */
  readonly factor: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Spawns `node -e 0` `runs` times and the WORK process twice, one after another. */
export async function measureSlowdown(runs = 5): Promise<Slowdown> {
  const nodeMs: number[] = [];
  const workMs: number[] = [];
  for (let i = 0; i < runs; i++) nodeMs.push(await timeSpawn(['-e', '0']));
  for (let i = 0; i < 2; i++) workMs.push(await timeSpawn(['-e', WORK]));
  const ratios = [...nodeMs.map((ms) => ms / REFERENCE.nodeMs), ...workMs.map((ms) => ms / REFERENCE.workMs)];
  const factor = Math.min(MAX_SLOWDOWN, Math.max(1, median(ratios)));
  return { nodeMs, workMs, factor: Math.round(factor * 100) / 100 };
}
