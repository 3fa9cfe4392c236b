#!/usr/bin/env node
// Hostile CSV benchmark (issue #10 item 11). Run: npm run build && node bench/hostile-csv.mjs [--mb 50] [--max-rss-mb 300]
// Writes a drop file of --mb megabytes of short rows that are all invalid (bad e-mail, non-ASCII ID,
// no last name: three rejections each, distinct keys), runs `mobileid-sync plan` on it as a process and prints the child's peak RSS,
// the rejections it counted and the ones it listed. Exits 1 when peak RSS exceeds --max-rss-mb.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, utimesSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'bin', 'mobileid-sync.cjs');
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '50' },
    'max-rss-mb': { type: 'string', default: '300' },
    keep: { type: 'boolean', default: false },
  },
});
const bytes = Number(values.mb) * 1024 * 1024;
const limitMb = Number(values['max-rss-mb']);

const dir = mkdtempSync(path.join(os.tmpdir(), 'mobileid-hostile-'));
const drop = path.join(dir, 'drop');
mkdirSync(drop);
mkdirSync(path.join(dir, 'state'));

// Every row invalid three ways, with distinct keys (so nothing collapses into one duplicate); short
// rows, so the file holds as many of them as it can.
const file = path.join(drop, 'hostile.csv');
const fd = openSync(file, 'w');
writeSync(fd, 'First name,Last name,E-mail,ID,Sync ID\n');
let written = 0;
let rows = 0;
while (written < bytes) {
  let chunk = '';
  for (let i = 0; i < 10_000; i++, rows++) chunk += `F,,x${rows},Ä,S${rows}\n`;
  written += writeSync(fd, chunk);
}
closeSync(fd);
const past = new Date(Date.now() - 60_000);
utimesSync(file, past, past);

const config = path.join(dir, 'config.json');
const cfg = {
  stateDir: path.join(dir, 'state'),
  admin: { listen: '' },
  jobs: [
    {
      name: 'main',
      mim: { baseUrl: 'http://127.0.0.1:9', project: 'Bench', token: 'bench-token' },
      sources: [{ name: 'hr', kind: 'csv-folder', folder: drop, stableMs: 0 }],
    },
  ],
};
writeSync(openSync(config, 'w'), JSON.stringify(cfg));

const t0 = performance.now();
const r = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, 'plan', '--json', '--config', config], {
  encoding: 'utf8',
  env: { ...process.env, MOBILEID_SYNC_CONFIG: '' },
  maxBuffer: 512 * 1024 * 1024,
});
const ms = performance.now() - t0;
const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
let listed = Number.NaN;
let counted = Number.NaN;
try {
  const report = JSON.parse(r.stdout);
  listed = report.rejections.length;
  counted = report.plan?.counts?.rejected ?? Number.NaN;
} catch {
  console.error(
    `plan output was not JSON (exit ${r.status}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-2000)}`,
  );
}
const rssMb = rssKb / 1024;
console.log(
  [
    `hostile CSV: ${(written / 1024 / 1024).toFixed(1)} MB, ${rows.toLocaleString('en-US')} rows, all invalid`,
    `plan exit ${r.status} in ${(ms / 1000).toFixed(1)} s`,
    `rejections counted: ${counted.toLocaleString('en-US')}, listed: ${listed.toLocaleString('en-US')}`,
    `peak RSS of the plan process: ${rssMb.toFixed(0)} MB (goal < ${limitMb} MB)`,
  ].join('\n'),
);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${dir}`);
process.exit(rssMb < limitMb ? 0 : 1);
