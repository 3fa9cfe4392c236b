#!/usr/bin/env node
// CSV pipeline benchmark (issue: core). Run: npm run build && node bench/csv.mjs [--rows 1000000] [--runs 3] [--skip-plan]
// Prints, for one generated file of N rows:
//  - reference: a bare csv-parse streaming pass over the file (arrays, no per-row work);
//  - floor: the same pass keeping every row it parsed. A full replacing sync must hold the whole
//    desired list (the plan compares all of it, the upload sends all of it), so this is the least
//    a run that keeps csv-parse's rows could cost;
//  - ours: the csv-folder source (decode + parse + map) + normalise + validate + merge + plan;
//  - ratio ours / reference (goal ≤ 1.5), in wall time and in CPU time (steadier on a shared machine);
//  - a run against the last upload: N rows read, then snapshot.json of N people (written by a
//    phase of its own, 1 % different) read and checked, and the plan: its time (read of the
//    snapshot + plan) and the whole process's peak RSS (CSV read included);
//  - peak RSS of each phase, each measured in its own process (goal ≤ 400 MB for ours at 1M rows).
import { createReadStream, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMs, median, runPhase as runPhaseIn, servePhase, writeBenchSnapshot } from './lib/phases.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = (p) => pathToFileURL(path.join(here, '..', 'dist', p)).href;
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    phase: { type: 'string' },
    dir: { type: 'string' },
    'skip-plan': { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);

function person(i, changed = false) {
  return [
    `Vorname${i % 997}`,
    changed ? `Geändert${i}` : `Nachname ${i % 1009}`,
    `user${i}@example.com`,
    String(100000 + i).padStart(8, '0'),
    `P${i}`,
  ];
}

function generate(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'drop'), { recursive: true });
  const lines = ['First name,Last name,E-mail,ID,Sync ID'];
  for (let i = 0; i < rows; i++) lines.push(person(i).join(','));
  const file = path.join(dir, 'drop', 'staff.csv');
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  const past = new Date(Date.now() - 60_000);
  utimesSync(file, past, past);
  return file;
}

/** The bare pass; with `keep`, every row's array stays in memory to the end (the floor). */
async function bareRead(dir, keep) {
  const { parse } = await import('csv-parse');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  const kept = [];
  const parser = createReadStream(path.join(dir, 'drop', 'staff.csv')).pipe(
    parse({ relax_column_count: true }),
  );
  for await (const row of parser) {
    n++;
    if (keep) kept.push(row);
  }
  return { ms: performance.now() - t0, cpuMs: cpuMs(c0), rows: n - 1, kept: kept.length };
}

const phaseBare = (dir) => bareRead(dir, false);
const phaseKeep = (dir) => bareRead(dir, true);

async function source(dir) {
  const { SOURCE_DEFINITIONS } = await import(dist('sources/index.js'));
  const { silentLogger } = await import(dist('telemetry/logger.js'));
  const def = SOURCE_DEFINITIONS.get('csv-folder');
  const { loadConfig } = await import(dist('config/load.js'));
  const cfgFile = path.join(dir, 'config.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({
      jobs: [
        {
          name: 'bench',
          mim: { project: 'x' },
          sources: [{ name: 'hr', kind: 'csv-folder', folder: path.join(dir, 'drop'), stableMs: 0 }],
        },
      ],
    }),
  );
  const settings = loadConfig(cfgFile, { registry: SOURCE_DEFINITIONS, env: {} }).jobs[0].sources[0].settings;
  return def.create(
    { ...settings, name: 'hr' },
    { job: 'bench', stateDir: path.join(dir, 'state'), logger: silentLogger, now: () => new Date() },
  );
}

async function phaseOurs(dir) {
  const { buildPlan } = await import(dist('pipeline/index.js'));
  const src = await source(dir);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const snap = await src.fetch(new AbortController().signal);
  const tFetch = performance.now();
  const r = buildPlan({ snapshots: [snap], previous: null, now: new Date() });
  const t1 = performance.now();
  await src.close();
  return {
    ms: t1 - t0,
    cpuMs: cpuMs(c0),
    fetchMs: tFetch - t0,
    pipelineMs: t1 - tFetch,
    rows: r.desired.length,
    rejected: r.rejections.length,
  };
}

const TARGET = { baseUrl: 'https://mim.example', project: 'bench', job: 'bench' };

/**
 * The last accepted upload, written to <dir>/state as a run records it: the same people with 1 %
 * of them different (so 1 % updates). In a process of its own: building a million objects here
 * must not count as the plan's memory (a run reads the packed file, never those objects).
 */
async function phaseSnapshot(dir) {
  const records = [];
  for (let i = 0; i < rows; i++) {
    const [firstName, lastName, email, id, syncId] = person(i, i % 100 === 0);
    records.push({ firstName, lastName: lastName.normalize('NFC'), email, id, syncId });
  }
  records.sort((a, b) => (a.syncId < b.syncId ? -1 : a.syncId > b.syncId ? 1 : 0));
  await writeBenchSnapshot(dist, path.join(dir, 'state'), TARGET, records);
  return { ms: 0 };
}

/** A run's read and plan: the CSV read, snapshot.json read and checked (packed), then the plan. */
async function phasePlan(dir) {
  const { buildPlan } = await import(dist('pipeline/index.js'));
  const { JobState } = await import(dist('state/store.js'));
  const src = await source(dir);
  const snap = await src.fetch(new AbortController().signal);
  await src.close();
  const t0 = performance.now();
  const b = await new JobState(path.join(dir, 'state'), 'bench').readBaseline(TARGET);
  if (!b.known) throw new Error(`baseline unknown: ${b.detail}`);
  const t1 = performance.now();
  const r = buildPlan({ snapshots: [snap], previous: b.snapshot.records, baselineId: b.id, now: new Date() });
  const t2 = performance.now();
  return {
    ms: t2 - t0,
    readMs: t1 - t0,
    planMs: t2 - t1,
    updates: r.plan.updates.length,
    adds: r.plan.adds.length,
    deletes: r.plan.deletes.length,
  };
}

await servePhase(values, {
  bare: phaseBare,
  keep: phaseKeep,
  ours: phaseOurs,
  snapshot: phaseSnapshot,
  plan: phasePlan,
});

const runPhase = (phase, dir) =>
  runPhaseIn(fileURLToPath(import.meta.url), phase, dir, ['--rows', String(rows)]);

// One directory per run: benches of several worktrees may run at once.
const dir = path.join(os.tmpdir(), `mobileid-bench-csv-${process.pid}`);
console.log(`Generating ${rows.toLocaleString('en')} rows…`);
const file = generate(dir);
if (!values['skip-plan']) runPhase('snapshot', dir);
const runs = Number(values.runs);
const bare = [],
  keep = [],
  ours = [],
  plan = [];
for (let i = 0; i < runs; i++) {
  bare.push(runPhase('bare', dir));
  keep.push(runPhase('keep', dir));
  ours.push(runPhase('ours', dir));
  if (!values['skip-plan']) plan.push(runPhase('plan', dir));
}
const b = median(bare.map((x) => x.ms));
const k = median(keep.map((x) => x.ms));
const o = median(ours.map((x) => x.ms));
const p = plan.length > 0 ? median(plan.map((x) => x.ms)) : undefined;
console.log(
  `machine: ${os.cpus()[0]?.model} ×${os.cpus().length}, node ${process.version}; file ${file}; median of ${runs} runs`,
);
console.log(
  `reference (bare csv-parse pass):        ${b.toFixed(0)} ms, peak RSS ${Math.max(...bare.map((x) => x.maxRssMb))} MB`,
);
console.log(
  `floor (the same pass keeping its rows): ${k.toFixed(0)} ms = ${(k / b).toFixed(2)}× the reference (CPU ${(median(keep.map((x) => x.cpuMs)) / median(bare.map((x) => x.cpuMs))).toFixed(2)}×), peak RSS ${Math.max(...keep.map((x) => x.maxRssMb))} MB`,
);
console.log(
  `ours (read+normalise+validate+plan):    ${o.toFixed(0)} ms (read ${median(ours.map((x) => x.fetchMs)).toFixed(0)} ms, pipeline ${median(ours.map((x) => x.pipelineMs)).toFixed(0)} ms), peak RSS ${Math.max(...ours.map((x) => x.maxRssMb))} MB, ${ours[0].rows} valid`,
);
const bc = median(bare.map((x) => x.cpuMs));
const oc = median(ours.map((x) => x.cpuMs));
console.log(`ratio ours / reference:                 ${(o / b).toFixed(2)}×   (goal ≤ 1.5)`);
console.log(
  `CPU time ours / reference:              ${(oc / bc).toFixed(2)}×   (${oc.toFixed(0)} / ${bc.toFixed(0)} ms, GC threads included; load ${os.loadavg()[0].toFixed(2)})`,
);
if (p !== undefined)
  console.log(
    `plan vs ${rows.toLocaleString('en')}-row snapshot, 1 % changed: ${p.toFixed(0)} ms (snapshot.json read ${median(plan.map((x) => x.readMs)).toFixed(0)} + plan ${median(plan.map((x) => x.planMs)).toFixed(0)}; ${plan[0].updates} updates), whole run's peak RSS ${Math.max(...plan.map((x) => x.maxRssMb))} MB   (goal ≤ 1.5 s, ≤ 500 MB)`,
  );
rmSync(dir, { recursive: true, force: true });
