/**
 * Runs the built daemon (`node dist/bin/mobileid-sync.cjs run`) as a real process next to an in-process MIM
 * emulator on loopback, and reads its JSON log lines as they come.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { scaled } from '../helpers/timing.js';

/** The daemon command line, relative to the package root; the Dockerfile's ENTRYPOINT + CMD equal it. */
export const DAEMON_COMMAND = ['node', 'dist/bin/mobileid-sync.cjs', 'run'] as const;
export const CLI = path.resolve(DAEMON_COMMAND[1]);
export const PROJECT = 'demo';
export const MIM_TOKEN = 'e2e-project-token';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string; time?: string };

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class DaemonProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;
  private waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text, level: 'raw' };
      }
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(line)) return true;
        w.resolve(line);
        return false;
      });
    });
    createInterface({ input: child.stderr! }).on('line', (text) => this.stderr.push(text));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The first line (already seen or coming) matching `pred`; `timeoutMs` is scaled (timing.ts). */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs = 10_000, what = 'a log line'): Promise<LogLine> {
    const ms = scaled(timeoutMs);
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `timed out after ${ms} ms waiting for ${what}; log:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${this.stderr.join('\n')}`,
          ),
        );
      }, ms);
      this.waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  /** Waits for the n-th line matching `pred` (1-based), counting lines already seen. */
  waitForNth(pred: (l: LogLine) => boolean, n: number, timeoutMs = 10_000): Promise<LogLine> {
    let count = 0;
    return this.waitFor((l) => pred(l) && ++count >= n, timeoutMs, `line #${n}`);
  }

  matching(pred: (l: LogLine) => boolean): LogLine[] {
    return this.lines.filter(pred);
  }

  async adminUrl(): Promise<string> {
    const started = await this.waitFor((l) => l.msg === 'Daemon started', 10_000, 'Daemon started');
    return String(started.admin);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export const isRunFinished =
  (job = 'main') =>
  (l: LogLine): boolean =>
    l.msg === 'Run finished' && l.job === job;
export const isRunStarted =
  (job = 'main') =>
  (l: LogLine): boolean =>
    l.msg === 'Run started' && l.job === job;

export interface Workspace {
  readonly dir: string;
  readonly drop: string;
  readonly state: string;
  readonly configFile: string;
}

export interface JobOptions {
  readonly name?: string;
  readonly cron?: string;
  readonly onStart?: boolean;
  readonly watch?: boolean;
  readonly debounceMs?: number;
  readonly stableMs?: number;
  readonly retries?: number;
}

/** A temp dir with a drop folder and a config pointing one job at the emulator. */
export function workspace(
  emulatorUrl: string,
  job: JobOptions = {},
  extra: { admin?: Record<string, string> } = {},
): Workspace {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mobileid-daemon-'));
  const drop = path.join(dir, 'drop');
  mkdirSync(drop);
  const config = {
    stateDir: './state',
    admin: extra.admin ?? { listen: '127.0.0.1:0' },
    jobs: [
      {
        name: job.name ?? 'main',
        mim: {
          baseUrl: emulatorUrl,
          project: PROJECT,
          token: MIM_TOKEN,
          retries: { max: job.retries ?? 0, baseDelayMs: 10, maxDelayMs: 50 },
        },
        schedule: {
          cron: job.cron ?? '',
          jitterSeconds: 0,
          onStart: job.onStart ?? false,
          watch: job.watch ?? true,
          debounceMs: job.debounceMs ?? 200,
        },
        sources: [{ name: 'hr', kind: 'csv-folder', folder: './drop', stableMs: job.stableMs ?? 300 }],
      },
    ],
  };
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  // The folder is relative to the working directory (the daemon runs in `dir`).
  return { dir, drop, state: path.join(dir, 'state'), configFile };
}

/** Headerless CSV in MIM order: First,Last,E-mail,ID,SyncID. */
export function staffCsv(count: number, offset = 0): string {
  const rows: string[] = [];
  for (let i = offset; i < offset + count; i++) {
    rows.push(`First${i},Last${i},person${i}@example.com,${100_000 + i},S${i}`);
  }
  return `${rows.join('\r\n')}\r\n`;
}

/** Writes like a well-behaved exporter: a .tmp file renamed into place. Returns the rename time. */
export function dropFile(ws: Workspace, name: string, content: string): number {
  const tmp = path.join(ws.drop, `${name}.tmp`);
  writeFileSync(tmp, content);
  renameSync(tmp, path.join(ws.drop, name));
  return Date.now();
}

/** What MIM and the state held after {@link seedBaseline}; tests count relative to it. */
export interface Seed {
  /** Uploads the emulator has seen so far (all of them, not only the seed's). */
  readonly uploads: number;
  /** Users in the project after the seed. */
  readonly users: number;
  /** Lines in the job's history.jsonl after the seed. */
  readonly runs: number;
}

/**
 * The first push of a fresh state dir, done as an admin would before starting the daemon: a
 * small export (`staffCsv(people)`, a prefix of the files the tests drop later, so no one is
 * deleted) and a manual `sync --accept-unknown-baseline`. Without it every daemon run is blocked
 * as an unknown baseline (see daemon-first-run.test.ts for that path).
 */
export async function seedBaseline(ws: Workspace, emu: RunningEmulator, people: number): Promise<Seed> {
  dropFile(ws, 'seed.csv', staffCsv(people));
  const job = readJobName(ws);
  const r = await runCliIn(ws, ['sync', '--accept-unknown-baseline', '--job', job]);
  if (r.code !== 0) throw new Error(`seed sync exited ${r.code}:\n${r.out}`);
  const history = path.join(ws.state, job, 'history.jsonl');
  return {
    uploads: (await uploads(emu)).length,
    users: (await users(emu)).length,
    runs: existsSync(history) ? readFileSync(history, 'utf8').trim().split('\n').length : 0,
  };
}

/** The CLI in the workspace, as an admin runs it there; stdout and stderr together. */
function runCliIn(ws: Workspace, args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--config', ws.configFile], {
      cwd: ws.dir,
      env: { ...process.env, MOBILEID_SYNC_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

function readJobName(ws: Workspace): string {
  const config = JSON.parse(readFileSync(ws.configFile, 'utf8')) as { jobs: { name: string }[] };
  return config.jobs[0]!.name;
}

export function startDaemon(
  ws: Workspace,
  env: Record<string, string> = {},
  args: string[] = [],
): DaemonProcess {
  const child = spawn(
    process.execPath,
    [CLI, ...DAEMON_COMMAND.slice(2), '--config', ws.configFile, ...args],
    {
      cwd: ws.dir,
      env: { ...process.env, NOTIFY_SOCKET: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new DaemonProcess(child);
}

export async function emulator(): Promise<RunningEmulator> {
  return startEmulator({ port: 0, projects: [{ name: PROJECT, token: MIM_TOKEN }] });
}

export interface Upload {
  readonly seq: number;
  readonly at: string;
  readonly status: number | null;
  readonly fault?: string;
  readonly note?: string;
}

export async function uploads(emu: RunningEmulator): Promise<Upload[]> {
  const r = await fetch(`${emu.url}/_admin/projects/${PROJECT}/uploads`);
  return ((await r.json()) as { uploads: Upload[] }).uploads;
}

export async function users(emu: RunningEmulator): Promise<unknown[]> {
  const r = await fetch(`${emu.url}/_admin/projects/${PROJECT}/users`);
  return ((await r.json()) as { users: unknown[] }).users;
}

export async function fault(emu: RunningEmulator, spec: Record<string, unknown>): Promise<void> {
  const r = await fetch(`${emu.url}/_admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  if (!r.ok) throw new Error(`fault not accepted: ${r.status} ${await r.text()}`);
}

/** Polls `probe` until it returns a value; `timeoutMs` is scaled (timing.ts), the step is not. */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  stepMs = 20,
): Promise<T> {
  const deadline = Date.now() + scaled(timeoutMs);
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A minimal parser of the Prometheus text format: `name{labels} value` samples. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const v = m[3]!;
    samples.push({
      name: m[1]!,
      labels,
      value: v === '+Inf' ? Number.POSITIVE_INFINITY : v === '-Inf' ? Number.NEGATIVE_INFINITY : Number(v),
    });
  }
  return samples;
}

export function sample(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}
