#!/usr/bin/env node
/**
 * Daemon figures: idle RSS with one job, drop → push latency, CPU while idle.
 *
 *   npm run build && node bench/daemon.mjs [--rows 1000] [--drops 5] [--idle-seconds 60] [--stable-ms 2000] [--debounce-ms 2000] [--plain] [--node-flags '…']
 *
 * Runs the built daemon (`node dist/bin/mobileid-sync.cjs run`) as its own process against the MIM emulator
 * (in this process, loopback), with one job reading a csv-folder drop folder; the defaults are the
 * product's defaults (stableMs 2000, debounceMs 2000). Linux only (reads /proc/<pid>/…).
 * The daemon gets the memory settings the systemd unit ships (its NODE_OPTIONS and MALLOC_*
 * lines; the Dockerfile sets the same, test/e2e/packaging.test.ts keeps them equal); --plain runs
 * it with Node's and glibc's defaults instead, --node-flags adds flags for an experiment.
 *
 * Goals: idle RSS ≤ 80 MB; drop → push started ≤ stability window + 1 s; idle CPU ≈ 0.
 *  - "push started" is the daemon's "Run started" log line (the run then reads the file and uploads);
 *    "applied" is when the emulator recorded the accepted upload.
 *  - idle CPU: utime+stime from /proc/<pid>/stat over the window (from 30 s after start, before
 *    any run), no trigger due meanwhile. Idle RSS is read at the end of that window.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startEmulator } from '../dist/emulator/server.js';

const { values: argv } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000' },
    drops: { type: 'string', default: '5' },
    'idle-seconds': { type: 'string', default: '60' },
    'stable-ms': { type: 'string', default: '2000' },
    'debounce-ms': { type: 'string', default: '2000' },
    plain: { type: 'boolean', default: false },
    'node-flags': { type: 'string', default: '' },
  },
});
const ROWS = Number(argv.rows);
const DROPS = Number(argv.drops);
const IDLE_S = Number(argv['idle-seconds']);
const STABLE_MS = Number(argv['stable-ms']);
const DEBOUNCE_MS = Number(argv['debounce-ms']);
const CLK_TCK = 100; // getconf CLK_TCK on Linux
const TOKEN = 'bench-token';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function csv(rows, variant) {
  const lines = [];
  for (let i = 0; i < rows; i++)
    lines.push(`First${i},Last${i}-${variant},p${i}@example.com,${100000 + i},S${i}`);
  return `${lines.join('\r\n')}\r\n`;
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const emu = await startEmulator({ port: 0, projects: [{ name: 'bench', token: TOKEN }] });
const dir = mkdtempSync(path.join(os.tmpdir(), 'mobileid-bench-daemon-'));
const drop = path.join(dir, 'drop');
mkdirSync(drop);
writeFileSync(
  path.join(dir, 'config.json'),
  JSON.stringify({
    stateDir: './state',
    admin: { listen: '127.0.0.1:0' },
    jobs: [
      {
        name: 'bench',
        mim: { baseUrl: emu.url, project: 'bench', token: TOKEN },
        // No scheduled run inside the measurement window; the drop folder is the trigger.
        schedule: { cron: '0 3 * * *', onStart: false, debounceMs: DEBOUNCE_MS },
        sources: [{ name: 'hr', kind: 'csv-folder', folder: './drop', stableMs: STABLE_MS }],
      },
    ],
  }),
);

// The first push to a new state directory needs an approval (unknown baseline): accept it once
// from the CLI, as an admin would, so the daemon's runs below are ordinary ones.
writeFileSync(path.join(drop, 'staff.csv'), csv(ROWS, 'seed'));
// Spawned asynchronously: the emulator answering it runs in this process.
const seeded = await new Promise((resolve, reject) => {
  const p = spawn(
    process.execPath,
    [
      path.resolve('dist/bin/mobileid-sync.cjs'),
      'sync',
      '--config',
      'config.json',
      '--accept-unknown-baseline',
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  p.stderr.on('data', (d) => {
    stderr += d;
  });
  p.on('error', reject);
  p.on('close', (status) => resolve({ status, stderr }));
});
if (seeded.status !== 0) throw new Error(`seeding sync exited ${seeded.status}: ${seeded.stderr}`);

/** The unit's `Environment=NODE_OPTIONS=…` and `Environment=MALLOC_…=…` settings. */
function shippedEnvironment() {
  const unit = readFileSync(new URL('../systemd/mobileid-sync.service', import.meta.url), 'utf8');
  const env = {};
  for (const line of unit.split('\n')) {
    const m = /^Environment="?(NODE_OPTIONS|MALLOC_[A-Z_]+)=(.*?)"?$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  if (!env.NODE_OPTIONS) throw new Error('systemd/mobileid-sync.service sets no NODE_OPTIONS');
  return env;
}
const daemonEnv = argv.plain ? {} : shippedEnvironment();
const child = spawn(
  process.execPath,
  [
    ...argv['node-flags'].split(' ').filter(Boolean),
    path.resolve('dist/bin/mobileid-sync.cjs'),
    'run',
    '--config',
    'config.json',
  ],
  {
    cwd: dir,
    env: { ...process.env, ...daemonEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const lines = [];
const waiters = [];
createInterface({ input: child.stdout }).on('line', (text) => {
  let line;
  try {
    line = JSON.parse(text);
  } catch {
    return;
  }
  lines.push(line);
  for (const w of waiters.splice(0)) if (!w(line)) waiters.push(w);
});
function waitFor(pred, timeoutMs = 30_000) {
  const seen = lines.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout waiting for daemon log line')), timeoutMs);
    waiters.push((l) => {
      if (!pred(l)) return false;
      clearTimeout(t);
      resolve(l);
      return true;
    });
  });
}

// A failed step must not leave the daemon running (it holds this process's stdout).
process.on('exit', () => child.kill('SIGTERM'));

const spawnedAt = Date.now();
const startedLine = await waitFor((l) => l.msg === 'Daemon started');
const startupMs = Date.now() - spawnedAt;
const heapMb = async () => {
  const text = await (await fetch(`${startedLine.admin}/metrics`)).text();
  const v = (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]) / 1048576;
  return {
    used: +v('nodejs_heap_size_used_bytes').toFixed(1),
    total: +v('nodejs_heap_size_total_bytes').toFixed(1),
  };
};
/** CPU seconds the process used over `seconds` of wall time. */
async function cpuOver(seconds) {
  const t0 = cpuTicks(child.pid);
  const w0 = Date.now();
  await sleep(seconds * 1000);
  const cpu = (cpuTicks(child.pid) - t0) / CLK_TCK;
  const wall = (Date.now() - w0) / 1000;
  return { seconds: cpu, wallSeconds: +wall.toFixed(1), percent: +((100 * cpu) / wall).toFixed(3) };
}

// 1. Idle with one job: start-up work done (V8's memory reducer runs once start-up has been quiet
//    for a while), then IDLE_S seconds with nothing due.
await sleep(5_000);
const rssEarly = rssMb(child.pid);
await sleep(25_000);
const idleCpu = await cpuOver(IDLE_S);
const rssStart = rssMb(child.pid);
const heapStart = await heapMb();

// 2. Drop → push latency.
const toStarted = [];
const toApplied = [];
for (let i = 0; i < DROPS; i++) {
  const tmp = path.join(drop, 'staff.csv.tmp');
  writeFileSync(tmp, csv(ROWS, i));
  renameSync(tmp, path.join(drop, 'staff.csv'));
  const droppedAt = Date.now();
  const started = await waitFor(
    (l) => l.msg === 'Run started' && !toStarted.some((s) => s.runId === l.runId),
  );
  const finished = await waitFor((l) => l.msg === 'Run finished' && l.runId === started.runId);
  if (finished.outcome !== 'applied') throw new Error(`run ${i} ended ${finished.outcome}`);
  const uploads = (await (await fetch(`${emu.url}/_admin/projects/bench/uploads`)).json()).uploads;
  toStarted.push({ runId: started.runId, ms: Date.parse(started.time) - droppedAt });
  toApplied.push(Date.parse(uploads.at(-1).at) - droppedAt);
  await sleep(500);
}

// 3. Memory once idle again after the runs.
const rssIdle = rssMb(child.pid);
const afterRunsCpu = await cpuOver(30);
const rssEnd = rssMb(child.pid);
const heapEnd = await heapMb();

child.kill('SIGTERM');
const code = await new Promise((r) => child.once('exit', (c) => r(c)));
await emu.close();
rmSync(dir, { recursive: true, force: true });

const started = toStarted.map((s) => s.ms);
const window = Math.max(STABLE_MS, DEBOUNCE_MS);
const result = {
  node: process.version,
  rows: ROWS,
  drops: DROPS,
  stableMs: STABLE_MS,
  debounceMs: DEBOUNCE_MS,
  environment: daemonEnv,
  nodeFlags: argv['node-flags'],
  startupMs,
  rssMb: {
    fiveSecondsAfterStart: +rssEarly.toFixed(1),
    idle: +rssStart.toFixed(1),
    rightAfterRuns: +rssIdle.toFixed(1),
    idle30sAfterRuns: +rssEnd.toFixed(1),
  },
  heapMb: { idle: heapStart, idle30sAfterRuns: heapEnd },
  dropToRunStartedMs: { median: median(started), max: Math.max(...started), all: started },
  dropToAppliedMs: { median: median(toApplied), max: Math.max(...toApplied), all: toApplied },
  idleCpu,
  cpuInThe30sAfterRuns: afterRunsCpu,
  exitCode: code,
};
console.log(JSON.stringify(result, null, 2));
console.log(
  [
    `idle RSS ${rssStart.toFixed(1)} MB; ${rssEnd.toFixed(1)} MB 30 s after ${DROPS} runs of ${ROWS} rows (goal ≤ 80)`,
    `drop → run started median ${median(started)} ms, max ${Math.max(...started)} ms (goal ≤ ${window + 1000})`,
    `drop → applied median ${median(toApplied)} ms`,
    `idle CPU ${idleCpu.seconds.toFixed(2)} s over ${idleCpu.wallSeconds.toFixed(0)} s = ${idleCpu.percent}% (goal ≈ 0)`,
  ].join('\n'),
);
