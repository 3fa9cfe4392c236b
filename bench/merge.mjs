#!/usr/bin/env node
/**
 * The merge stage (pipeline/merge.ts: Sync ID and e-mail duplicates) on N records in three orders
 * a directory hands them over in: both in order, Sync IDs in order with e-mails in none (an export
 * sorted by employee ID), and neither in order (Microsoft Graph lists users by object id).
 *
 *   npm run build && node bench/merge.mjs [--rows 100000] [--runs 5] [--compare <checkout>]
 *
 * Prints the median wall time of `mergeRecords` per order. --compare also times another checkout's
 * build (<checkout>/dist/pipeline/merge.js) on the same records, interleaved, for a before/after.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './lib/process-timing.mjs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '5' },
    compare: { type: 'string' },
  },
});
const n = Number(values.rows);
const runs = Number(values.runs);

const load = async (root) =>
  (await import(pathToFileURL(path.resolve(root, 'dist', 'pipeline', 'merge.js')).href)).mergeRecords;
const builds = [{ label: 'this build', merge: await load('.') }];
if (values.compare)
  builds.push({ label: path.basename(path.resolve(values.compare)), merge: await load(values.compare) });

function gcd(a, b) {
  return b === 0 ? a : gcd(b, a % b);
}
/** A fixed permutation of 0…n-1 (a multiplier coprime to n), so every run sees the same order. */
let multiplier = 2_654_435_761 % n;
while (gcd(multiplier, n) !== 1) multiplier++;
const scatter = (i) => Number((BigInt(i) * BigInt(multiplier)) % BigInt(n));

const pad = (i) => String(i).padStart(8, '0');
function records(idOf, emailOf) {
  return Array.from({ length: n }, (_, i) => ({
    firstName: 'First',
    lastName: `Last${i}`,
    email: `user${pad(emailOf(i))}@example.com`,
    id: String(100000 + i),
    syncId: `S${pad(idOf(i))}`,
    place: { source: 'hr', kind: 'csv-folder', ref: `staff.csv:${i + 2}` },
  }));
}
const orders = [
  [
    'Sync IDs and e-mails in order',
    records(
      (i) => i,
      (i) => i,
    ),
  ],
  ['Sync IDs in order, e-mails in none', records((i) => i, scatter)],
  ['neither in order (as Graph)', records(scatter, (i) => (scatter(i) * 7 + 3) % n)],
];

console.log(`merge stage, ${n.toLocaleString('en-US')} records, median of ${runs} runs`);
for (const [name, list] of orders) {
  const times = builds.map(() => []);
  for (let r = 0; r < runs; r++)
    builds.forEach((b, k) => {
      const t = performance.now();
      const result = b.merge(list, null);
      times[k].push(performance.now() - t);
      if (result.records.length !== n)
        throw new Error(`${b.label}: ${result.records.length} records kept of ${n}`);
    });
  const cells = builds.map(
    (b, k) => `${median(times[k]).toFixed(0)} ms${builds.length > 1 ? ` (${b.label})` : ''}`,
  );
  console.log(`  ${name.padEnd(38)} ${cells.join('   ')}`);
}
