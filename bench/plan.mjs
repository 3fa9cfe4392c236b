#!/usr/bin/env node
// Plan benchmark (issue 14). Run: npx tsc -p tsconfig.build.json && node bench/plan.mjs [--rows 1000000] [--runs 3]
// For one state dir holding an N-record snapshot.json and N desired records with 1 % changed,
// each phase in a fresh process:
//  - reference: a bare JSON.parse of the same records as format version 2 stored them (no checks);
//  - read: JobState.readBaseline (parse, shape, integrity hash, target), of the format 2 file
//    (still read) and of snapshot.json as written today;
//  - plan: read as above, then buildPlan (merge, carry, plan) of the desired records against it;
// with each phase's peak RSS. Goal (issue 14): plan ≤ 1.5 s, peak RSS ≤ 500 MB at 1M.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  },
});
const rows = Number(values.rows);
const TARGET = { baseUrl: 'https://mim.example', project: 'bench', job: 'bench' };

function person(i, changed = false) {
  return {
    firstName: `Vorname${i % 997}`,
    lastName: changed ? `Geändert${i}` : `Nachname ${i % 1009}`,
    email: `user${i}@example.com`,
    id: String(100000 + i).padStart(8, '0'),
    syncId: `P${i}`,
  };
}

const bySyncId = (a, b) => (a.syncId < b.syncId ? -1 : a.syncId > b.syncId ? 1 : 0);

/** The last accepted upload: N people, sorted by Sync ID, written the way a run records it. */
async function phaseGenerate(dir) {
  const { recordsDigest } = await import(dist('state/baseline.js'));
  rmSync(dir, { recursive: true, force: true });
  const records = [];
  for (let i = 0; i < rows; i++) records.push(person(i));
  records.sort(bySyncId);
  await writeBenchSnapshot(dist, dir, TARGET, records);
  // The same records as format version 2 wrote them (one JSON value): the reference, and the
  // legacy read.
  const v2 = { version: 2, target: TARGET, seq: 1, pushedAt: new Date().toISOString(), planId: 'bench' };
  mkdirSync(path.join(dir, 'v2', 'bench'), { recursive: true });
  writeFileSync(
    path.join(dir, 'v2', 'bench', 'snapshot.json'),
    `${JSON.stringify({ ...v2, payloadSha256: 'bench', inputs: [], records, recordsSha256: recordsDigest(records) })}\n`,
  );
  return { ms: 0 };
}

async function phaseBare(dir) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const v = JSON.parse(readFileSync(path.join(dir, 'v2', 'bench', 'snapshot.json'), 'utf8'));
  return { ms: performance.now() - t0, cpu: cpuMs(c0), records: v.records.length };
}

async function readBaseline(dir) {
  const { JobState } = await import(dist('state/store.js'));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const b = await new JobState(dir, 'bench').readBaseline(TARGET);
  const ms = performance.now() - t0;
  const cpu = cpuMs(c0);
  if (!b.known) throw new Error(`baseline unknown: ${b.detail}`);
  return { b, ms, cpu };
}

async function phaseRead(dir) {
  const { b, ms, cpu } = await readBaseline(dir);
  return { ms, cpu, records: b.snapshot.records.length };
}

async function phaseReadV2(dir) {
  return phaseRead(path.join(dir, 'v2'));
}

/** A csv row as the source hands it over: its place is built only when read (src/sources/csv/rows.ts). */
class Row {
  #line;
  constructor(line, p) {
    this.firstName = p.firstName;
    this.lastName = p.lastName;
    this.email = p.email;
    this.id = p.id;
    this.syncId = p.syncId;
    this.#line = line;
  }
  get place() {
    return { source: 'hr', kind: 'csv-folder', ref: `staff.csv:${this.#line}` };
  }
}

/**
 * Each field as a parser hands it over: decoded from bytes, so one flat string. A template
 * literal of 13 or more characters is a V8 cons string, which the merge stage's sort would
 * flatten (a copy of every e-mail: ~60 MB and ~250 ms at 1M) — a cost no real source causes:
 * csv-parse, ldapts and JSON.parse all decode buffers into flat strings.
 */
function asParsed(p) {
  for (const k of Object.keys(p)) p[k] = Buffer.from(p[k]).toString();
  return p;
}

/** The desired set as a streaming source hands it over: valid records in file order, 1 % changed. */
function desiredSnapshot() {
  const valid = [];
  for (let i = 0; i < rows; i++) valid.push(new Row(i + 2, asParsed(person(i, i % 100 === 0))));
  const collected = {
    source: 'hr',
    kind: 'csv-folder',
    total: rows,
    valid,
    listed: [],
    rejections: 0,
    notices: [],
    rejectedKeys: () => [][Symbol.iterator](),
  };
  return { source: 'hr', kind: 'csv-folder', records: [], notices: [], collected };
}

async function phasePlan(dir) {
  const { buildPlan } = await import(dist('pipeline/index.js'));
  const { b, ms: readMs, cpu: readCpu } = await readBaseline(dir);
  const snapshot = desiredSnapshot();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = buildPlan({
    snapshots: [snapshot],
    previous: b.snapshot.records,
    baselineId: b.id,
    now: new Date(),
  });
  const planMs = performance.now() - t0;
  const planCpu = cpuMs(c0);
  const { plan } = r;
  return {
    ms: readMs + planMs,
    cpu: readCpu + planCpu,
    readMs,
    planMs,
    readCpu,
    planCpu,
    updates: plan.updates.length,
    adds: plan.adds.length,
    deletes: plan.deletes.length,
    planId: plan.id,
  };
}

await servePhase(values, {
  generate: phaseGenerate,
  bare: phaseBare,
  read: phaseRead,
  read2: phaseReadV2,
  plan: phasePlan,
});

const runPhase = (phase, dir) =>
  runPhaseIn(fileURLToPath(import.meta.url), phase, dir, ['--rows', String(rows)]);

const dir = path.join(os.tmpdir(), `mobileid-bench-plan-${process.pid}`);
console.log(`Generating a ${rows.toLocaleString('en')}-record snapshot…`);
runPhase('generate', dir);
const runs = Number(values.runs);
const results = { bare: [], read2: [], read: [], plan: [] };
for (let i = 0; i < runs; i++)
  for (const phase of Object.keys(results)) results[phase].push(runPhase(phase, dir));
rmSync(dir, { recursive: true, force: true });
const med = (phase, key = 'ms') => median(results[phase].map((x) => x[key]));
const rss = (phase) => Math.max(...results[phase].map((x) => x.maxRssMb));
const p = results.plan[0];
console.log(
  `machine: ${os.cpus()[0]?.model} ×${os.cpus().length}, node ${process.version}, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; median of ${runs} runs`,
);
const row = (label, phase, extra = '') =>
  console.log(
    `${label.padEnd(46)}${med(phase).toFixed(0).padStart(6)} ms wall, ${med(phase, 'cpu').toFixed(0).padStart(6)} ms CPU (${(med(phase, 'cpu') / med('bare', 'cpu')).toFixed(2)}× reference CPU)${extra}, peak RSS ${rss(phase)} MB`,
  );
row('reference (bare JSON.parse, format 2 file):', 'bare');
row('read + check baseline, format 2 file:', 'read2');
row('read + check baseline:', 'read');
row(
  'read + plan, 1 % changed:',
  'plan',
  ` [read ${med('plan', 'readCpu').toFixed(0)} + plan ${med('plan', 'planCpu').toFixed(0)} ms CPU]`,
);
console.log('goal (issue 14): read + plan ≤ 1.5 s, peak RSS ≤ 500 MB');
console.log(`plan: ${p.updates} updates, ${p.adds} adds, ${p.deletes} deletes, id ${p.planId}`);
