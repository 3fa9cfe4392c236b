/**
 * One fault-matrix row's private world: its own MIM emulator, drop folder, state dir and config
 * file, plus the CLI run as a real process against them. Rows never share servers, so a fault
 * injected for one row cannot leak into another, and rows may run side by side.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI, type CliResult, runCli } from '../helpers/cli.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { readSnapshotBytes } from '../helpers/snapshot-file.js';
import { scaled } from '../helpers/timing.js';

export const JOB = 'main';
export const TOKEN = 'matrix-token';

/** The five MIM fields of one person, as the source should deliver them (already normalised). */
export interface Person {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly id: string;
  readonly syncId: string;
}

/** Deterministic people P0001… with a personnel number as Sync ID. */
export function makePeople(count: number, start = 1): Person[] {
  const out: Person[] = [];
  for (let i = start; i < start + count; i++) {
    const n = String(i).padStart(4, '0');
    out.push({
      firstName: `First${n}`,
      lastName: `Last${n}`,
      email: `p${n}@example.com`,
      id: `B${n}`,
      syncId: `P${n}`,
    });
  }
  return out;
}

export const CSV_HEADER = 'First name,Last name,E-mail,ID,Sync ID';

/** A CSV export as HR would drop it: header row, LF line ends, final newline. */
export function csvOf(people: readonly Person[], eol = '\n'): string {
  const rows = people.map((p) => [p.firstName, p.lastName, p.email, p.id, p.syncId].join(','));
  return [CSV_HEADER, ...rows].join(eol) + eol;
}

/** A spawned CLI process whose output is collected while it runs (for kill-at-a-moment rows). */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited, with its code (null if killed) and output. */
  readonly done: Promise<CliResult & { readonly signal: NodeJS.Signals | null }>;
}

export interface StateFiles {
  /** 'corrupt' when the file exists but is not a snapshot file (format 3) or valid JSON. */
  readonly snapshot: SnapshotFile | null | 'corrupt';
  readonly pending: PendingFile | null | 'corrupt';
  readonly lock: string | null;
}

export interface SnapshotFile {
  readonly version: number;
  readonly payloadSha256: string;
  readonly records: readonly Person[];
}

export interface PendingFile {
  /** Every upload whose outcome is unknown (MIM may hold any of them). */
  readonly uploads?: readonly { readonly payloadSha256: string; readonly count: number }[];
}

export class World {
  readonly dir: string;
  readonly drop: string;
  readonly state: string;
  readonly configFile: string;
  readonly emu: TestEmulator;
  /** The whole config file; rows change it and call saveConfig(). */
  config: Record<string, unknown>;
  /** What MIM must hold once the fault is gone and a clean run has converged. */
  desired: Person[] = [];
  /** Run in reverse order by dispose(): servers to stop, mounts to undo. */
  readonly cleanups: (() => Promise<void> | void)[] = [];
  private dropSeq = 0;

  private constructor(dir: string, emu: TestEmulator) {
    this.dir = dir;
    this.drop = path.join(dir, 'drop');
    this.state = path.join(dir, 'state');
    this.configFile = path.join(dir, 'config.json');
    this.emu = emu;
    this.config = {
      stateDir: this.state,
      admin: { listen: '' },
      jobs: [
        {
          name: JOB,
          mim: {
            baseUrl: emu.url,
            project: emu.project,
            token: TOKEN,
            retries: { max: 3, baseDelayMs: 10, maxDelayMs: 200 },
            requestTimeoutMs: scaled(5000),
            connectTimeoutMs: scaled(2000),
          },
          sources: [{ name: 'hr', kind: 'csv-folder', folder: this.drop, stableMs: 0 }],
        },
      ],
    };
  }

  static async create(): Promise<World> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileid-faults-'));
    const emu = await startTestEmulator('Head Office', TOKEN);
    const world = new World(dir, emu);
    await mkdir(world.drop, { recursive: true });
    await mkdir(world.state, { recursive: true });
    await world.saveConfig();
    return world;
  }

  /** The job's config object (jobs[0]), to change keys before saveConfig(). */
  get job(): Record<string, unknown> & { mim: Record<string, unknown>; sources: Record<string, unknown>[] } {
    const jobs = this.config.jobs as (Record<string, unknown> & {
      mim: Record<string, unknown>;
      sources: Record<string, unknown>[];
    })[];
    return jobs[0]!;
  }

  get jobState(): string {
    return path.join(this.state, JOB);
  }

  async saveConfig(): Promise<void> {
    await writeFile(this.configFile, JSON.stringify(this.config, null, 2));
  }

  /**
   * Drops a file the way a careful writer does (temp + rename) with an mtime in the past so it
   * is complete at once. Names sort by drop order, so the newest drop is the one read.
   */
  async dropFile(content: string | Buffer, name?: string): Promise<string> {
    this.dropSeq++;
    const file = path.join(this.drop, name ?? `staff-${String(this.dropSeq).padStart(3, '0')}.csv`);
    await writeFile(`${file}.tmp`, content);
    // Later drops get later mtimes (newest file wins), all safely older than any stableMs.
    const t = new Date(Date.now() - 600_000 + this.dropSeq * 1000);
    await utimes(`${file}.tmp`, t, t);
    await rename(`${file}.tmp`, file);
    return file;
  }

  cli(...args: string[]): Promise<CliResult> {
    return runCli([...args, '--config', this.configFile], { timeoutMs: 60_000 });
  }

  /** Starts the CLI; `onStderr` sees each chunk of its stderr (JSON log lines) as it arrives. */
  spawnCli(args: readonly string[], onStderr?: (chunk: string) => void): RunningCli {
    const child = spawn(process.execPath, [CLI, ...args, '--config', this.configFile], {
      env: { ...process.env, MOBILEID_SYNC_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      onStderr?.(d.toString());
    });
    const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), scaled(60_000));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: out, stderr: err });
      });
    });
    if (child.pid === undefined) throw new Error('the CLI process has no PID');
    return { child, pid: child.pid, stdout: () => out, stderr: () => err, done };
  }

  async readState(): Promise<StateFiles> {
    const json = async <T>(name: string): Promise<T | null | 'corrupt'> => {
      const text = await readFile(path.join(this.jobState, name), 'utf8').catch(() => null);
      if (text === null) return null;
      try {
        return JSON.parse(text) as T;
      } catch {
        return 'corrupt';
      }
    };
    // The run lock's holder file (JSON: host, pid, …), if a run holds it or a killed one left it.
    const lockDir = path.join(this.jobState, 'run.lock');
    const holder = (await readdir(lockDir).catch(() => [] as string[])).find((f) => f.startsWith('holder.'));
    const lock = holder ? await readFile(path.join(lockDir, holder), 'utf8').catch(() => null) : null;
    const snapshotBytes = await readFile(path.join(this.jobState, 'snapshot.json')).catch(() => null);
    return {
      snapshot: snapshotBytes && (readSnapshotBytes(snapshotBytes) as unknown as SnapshotFile | 'corrupt'),
      pending: await json<PendingFile>('pending.json'),
      lock,
    };
  }

  exists(relativeToJobState: string): boolean {
    return existsSync(path.join(this.jobState, relativeToJobState));
  }

  async dispose(): Promise<void> {
    for (const c of this.cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        console.warn(`cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await this.emu.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Polls `probe` every few ms until it returns a value other than undefined, or fails after `ms`
 * stretched by the measured slowdown (timing.ts).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  base = 20_000,
) {
  const ms = scaled(base);
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A loopback port with nobody listening. */
export async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 1;
      s.close(() => resolve(port));
    });
  });
}
