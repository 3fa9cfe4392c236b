#!/usr/bin/env node
/**
 * Every bench in bench/, one after another, and all their figures as one table (`npm run bench`).
 *
 *   npm run build && npm run bench [-- --full] [-- --only cold-start,plan-process,csv,plan,merge,hostile-csv,daemon,console,ldap,entra]
 *
 * Default sizes fit in a few minutes on 2 cores; --full passes the sizes issue 14 measures at
 * (CSV 1M rows, LDAP and Entra 100k users, the daemon's 60 s idle window, 50 MB hostile CSV); the
 * console's plan page is measured on 100k rows at both sizes (the figure), with fewer loads
 * in the quick run. It needs Debian's Chromium (skipped when it is not installed).
 * The TypeScript benches (ldap, entra) are compiled into bench/out/build first; ldap needs slapd
 * (skipped when it is not installed). A bench that fails is reported in the table, and the exit
 * code is 1, but the others still run. Each bench's own output is printed as it runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { full: { type: 'boolean' }, only: { type: 'string' } } });
const full = values.full ?? false;
const build = path.join(root, 'bench', 'out', 'build');
const chromium = process.env.MOBILEID_SYNC_CHROMIUM || '/usr/bin/chromium';

/** name, how to run it (default / --full), and whether it can run here. */
const BENCHES = [
  { name: 'cold-start', argv: ['bench/cold-start.mjs', '--json', '--runs', full ? '25' : '15'] },
  { name: 'plan-process', argv: ['bench/plan-process.mjs', '--json', '--runs', full ? '25' : '15'] },
  {
    name: 'csv',
    argv: ['bench/csv.mjs', '--rows', full ? '1000000' : '100000', '--runs', full ? '3' : '1'],
  },
  {
    name: 'plan',
    argv: ['bench/plan.mjs', '--rows', full ? '1000000' : '100000', '--runs', full ? '3' : '1'],
  },
  { name: 'merge', argv: ['bench/merge.mjs', '--rows', full ? '1000000' : '100000', '--runs', '3'] },
  { name: 'hostile-csv', argv: ['bench/hostile-csv.mjs', '--mb', full ? '50' : '10'] },
  {
    name: 'daemon',
    argv: ['bench/daemon.mjs', '--rows', '1000', '--drops', '5', '--idle-seconds', full ? '60' : '15'],
  },
  {
    name: 'console',
    argv: ['bench/console.mjs', '--rows', '100000', '--runs', full ? '10' : '5'],
    skip: () => (existsSync(chromium) ? undefined : `Chromium is not installed (${chromium})`),
  },
  {
    name: 'ldap',
    ts: true,
    argv: [path.join(build, 'bench', 'ldap.js'), full ? '100000' : '10000'],
    skip: () => (existsSync('/usr/sbin/slapd') ? undefined : 'slapd is not installed'),
  },
  {
    name: 'entra',
    ts: true,
    argv: [path.join(build, 'bench', 'entra.js'), full ? '100000' : '10000', full ? '5' : '3'],
  },
];

const only = values.only?.split(',');
const chosen = BENCHES.filter((b) => !only || only.includes(b.name));
if (!existsSync(path.join(root, 'dist', 'bin', 'mobileid-sync.cjs'))) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(1);
}
if (chosen.some((b) => b.ts)) {
  console.log('Compiling the TypeScript benches into bench/out/build …');
  const tsc = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.json',
      '--noCheck',
      '--outDir',
      build,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (tsc.status !== 0) process.exit(1);
}

/** Runs one bench, echoing its output, and resolves with { code, out }. */
function run(argv) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Figures of a bench: its --json rows, or else every output line that holds a figure (ms, MB, ×). */
function figures(out) {
  const rows = [];
  for (const line of out.split('\n')) {
    const text = line.trim();
    if (text.startsWith('{') && text.includes('"rows"')) {
      const r = JSON.parse(text);
      for (const x of r.rows) {
        const goal = x.goalMs ? ` (goal ≤ ${x.goalMs} ms)` : '';
        rows.push(`${x.name}: ${x.ms.toFixed(0)} ms, ${x.ratio.toFixed(2)}× node -e 0${goal}`);
      }
    } else if (/\d\s*(ms|MB|×)|\d+(\.\d+)?x\b/.test(text) && !text.startsWith('"')) rows.push(text);
  }
  return rows;
}

const table = [];
let failed = false;
for (const b of chosen) {
  const why = b.skip?.();
  if (why) {
    table.push([b.name, `skipped: ${why}`]);
    continue;
  }
  console.log(`\n=== ${b.name}: node ${b.argv.map((a) => path.relative(root, a) || a).join(' ')}`);
  const started = Date.now();
  const { code, out } = await run(b.argv);
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (code !== 0) failed = true;
  const rows = figures(out);
  if (code !== 0) rows.push(`FAILED (exit ${code})`);
  for (const [i, r] of rows.entries()) table.push([i === 0 ? `${b.name} (${secs} s)` : '', r]);
}

console.log(
  `\n## All figures — ${full ? 'issue sizes (--full)' : 'quick sizes'}; node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
console.log('| bench | figure |\n|---|---|');
for (const [name, figure] of table) console.log(`| ${name} | ${figure.replace(/\|/g, '\\|')} |`);
process.exitCode = failed ? 1 : 0;
