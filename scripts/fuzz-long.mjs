#!/usr/bin/env node
// `npm run fuzz:long`: every property test (test/fuzz/ and the *.test.ts beside the code that use
// fast-check) with each property's case count multiplied by FUZZ_SCALE (default 5: about 105,000
// cases, against CI's 21,000), outside CI. test/fuzz/runs.ts applies the scale and writes one
// line per property to FUZZ_REPORT; this script totals them, prints every counter-example, and
// fails when a property failed, vitest failed, or fewer than FUZZ_MIN_CASES (100,000) ran.
// Extra arguments go to vitest (e.g. `npm run fuzz:long -- -t pipeline`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const scale = process.env.FUZZ_SCALE ?? '5';
const minCases = Number(process.env.FUZZ_MIN_CASES ?? 100_000);

/** *.test.ts files under `dir` that import fast-check. */
function propertyFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.test.ts')) continue;
    const file = path.join(e.parentPath, e.name);
    if (/from 'fast-check'/.test(readFileSync(file, 'utf8'))) out.push(path.relative(root, file));
  }
  return out.sort();
}

const files = [...propertyFiles('test'), ...propertyFiles('src')];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fuzz-long-'));
const report = path.join(tmp, 'properties.jsonl');
console.log(`fuzz:long: FUZZ_SCALE=${scale} over ${files.length} files:\n  ${files.join('\n  ')}`);
const t0 = Date.now();
const run = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', ...files, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, FUZZ_SCALE: scale, FUZZ_REPORT: report },
  },
);
const seconds = Math.round((Date.now() - t0) / 1000);

let outcomes = [];
try {
  outcomes = readFileSync(report, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} catch {
  // no property ran at all: reported below as 0 cases
}
rmSync(tmp, { recursive: true, force: true });

const cases = outcomes.reduce((n, o) => n + o.numRuns, 0);
const skipped = outcomes.reduce((n, o) => n + o.numSkips, 0);
const failed = outcomes.filter((o) => o.failed);
const perFile = new Map();
for (const o of outcomes)
  perFile.set(path.relative(root, o.file), (perFile.get(path.relative(root, o.file)) ?? 0) + o.numRuns);
console.log('\nfuzz:long results');
for (const [file, n] of [...perFile].sort()) console.log(`  ${String(n).padStart(8)} cases  ${file}`);
for (const f of failed) {
  console.log(`\nCOUNTER-EXAMPLE in ${path.relative(root, f.file)} > ${f.test} (seed ${f.seed}):`);
  console.log(`  ${f.counterexample}\n  ${f.error}`);
}
console.log(
  `\n${outcomes.length} properties, ${cases} cases (${skipped} skipped by preconditions), ` +
    `${failed.length} counter-examples, ${seconds} s; vitest exit ${run.status}`,
);
if (cases < minCases) console.log(`Fewer than ${minCases} cases ran: raise FUZZ_SCALE.`);
process.exit(run.status === 0 && failed.length === 0 && cases >= minCases ? 0 : 1);
