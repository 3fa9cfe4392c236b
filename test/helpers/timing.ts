/**
 * Test deadlines that follow the machine's load instead of fixed numbers.
 *
 * Global setup (global-setup.ts) measures how long the built CLI takes to start right now and
 * publishes the slowdown against an idle reference machine in MOBILEID_SYNC_TEST_SLOWDOWN; every
 * test timeout, hook timeout, waitFor deadline and settle pause goes through `scaled(ms)`, which
 * is `ms` on an idle machine and grows in proportion on a busy one. Numbers that are the stimulus
 * itself (a file dropped 50 ms after another inside a 300 ms quiet window) are not scaled.
 * Outside vitest (bench/ compiles helpers too) the variable is unset and the factor is 1.
 */
import { spawn } from 'node:child_process';

/** Where the measured factor is published for the test workers (and can be forced by hand). */
export const SLOWDOWN_ENV = 'MOBILEID_SYNC_TEST_SLOWDOWN';

/**
 * Start-up times of an idle 2-core machine (the CI shape), measured with `measureStartup`:
 * median of `node dist/cli/main.js --version`, and `mobileid-sync emulator` until it listens.
 */
export const REFERENCE = { cliMs: 450, emulatorMs: 480 } as const;

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

/** Time from spawn until the process exits, or until its stderr matches `ready` (then it is stopped). */
function timeSpawn(args: readonly string[], ready?: RegExp): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let readyAt: number | undefined;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (ready && readyAt === undefined && ready.test(err)) {
        readyAt = performance.now() - t0;
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = readyAt ?? performance.now() - t0;
      if (ready && readyAt === undefined) reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
      else resolve(ms);
    });
  });
}

export interface Startup {
  readonly cliMs: readonly number[];
  readonly emulatorMs: number;
  /** The median of every sample's ratio to its reference, clamped to 1…MAX_SLOWDOWN. */
  readonly factor: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Spawns the built CLI `runs` times (`--version`) and starts its emulator once, one after another. */
export async function measureStartup(cli: string, runs = 5): Promise<Startup> {
  const cliMs: number[] = [];
  for (let i = 0; i < runs; i++) cliMs.push(await timeSpawn([cli, '--version']));
  const emulatorMs = await timeSpawn(
    [cli, 'emulator', '--host', '127.0.0.1', '--port', '0', '--project', 'probe:probe-token'],
    /MIM emulator on/,
  );
  const ratios = [...cliMs.map((ms) => ms / REFERENCE.cliMs), emulatorMs / REFERENCE.emulatorMs];
  const factor = Math.min(MAX_SLOWDOWN, Math.max(1, median(ratios)));
  return { cliMs, emulatorMs, factor: Math.round(factor * 100) / 100 };
}
