#!/usr/bin/env node
/**
 * `plan` of a 10-row CSV as a whole process (issue 14): the MIM emulator runs in this process,
 * a job has been synced once (so a baseline exists), a changed 10-row export is waiting in the
 * drop folder, and `mobileid-sync plan` is spawned N times against `node -e 0` in the same rounds.
 * Goal: ≤ 350 ms.
 *
 * Beside it, `sync` of a 10-row change as a whole process, with the upload: before each spawn a new
 * export (another last name in every third row) is dropped into a second job's folder, so every
 * run plans, uploads to the emulator, writes the state and exits. This is what each scheduled run
 * and each fault-matrix row pays, including everything the process does before it exits.
 *
 *   npm run build && node bench/plan-process.mjs [--runs 15] [--rows 10] [--json] [--compare <checkout>]
 *
 * --compare also runs another checkout's built CLI (<checkout>/dist/bin/mobileid-sync.cjs) in the same rounds.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmulator } from '../dist/emulator/server.js';
import { builtCli, measure, report, timeOnce } from './lib/process-timing.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    rows: { type: 'string', default: '10' },
    json: { type: 'boolean' },
    compare: { type: 'string' },
  },
});
const runs = Number(values.runs);
const rowCount = Number(values.rows);
const main = builtCli(path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const TOKEN = 'bench-token';

/** One job on its own emulator project, drop folder and state; returns the config file. */
function jobConfig(dir, name, project) {
  const drop = path.join(dir, name, 'drop');
  mkdirSync(drop, { recursive: true });
  const config = path.join(dir, name, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      stateDir: path.join(dir, name, 'state'),
      jobs: [
        {
          name,
          mim: { baseUrl: emu.url, project, token: TOKEN },
          sources: [{ name: 'hr', kind: 'csv-folder', folder: drop, stableMs: 0 }],
        },
      ],
    }),
  );
  return { drop, config };
}

function csv(variant) {
  const lines = [];
  for (let i = 0; i < rowCount; i++) {
    const last = i % 3 === 0 ? `Last${i}-${variant}` : `Last${i}`;
    lines.push(`First${i},${last},p${i}@example.com,${100000 + i},S${i}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

const emu = await startEmulator({
  port: 0,
  projects: [
    { name: 'bench', token: TOKEN },
    { name: 'bench-sync', token: TOKEN },
  ],
});
const dir = mkdtempSync(path.join(os.tmpdir(), 'mobileid-bench-plan-'));
try {
  const env = { ...process.env, MOBILEID_SYNC_CONFIG: '' };
  const first = async (job) => {
    writeFileSync(path.join(job.drop, 'staff-0001.csv'), csv(1));
    await timeOnce([process.execPath, main, 'sync', '-c', job.config, '--accept-unknown-baseline'], { env });
  };
  // The first sync makes the baseline; the plan then compares a changed export against it.
  const planJob = jobConfig(dir, 'bench', 'bench');
  await first(planJob);
  writeFileSync(path.join(planJob.drop, 'staff-0002.csv'), csv(2));
  // Every sync run gets an export that differs from the last upload (the newest file is read).
  const syncJob = jobConfig(dir, 'bench-sync', 'bench-sync');
  await first(syncJob);
  let drops = 1;
  const dropChange = () => {
    drops++;
    writeFileSync(path.join(syncJob.drop, `staff-${String(drops).padStart(4, '0')}.csv`), csv(drops));
  };

  // 2 = changes pending, the expected answer; 0 would mean the changed file was not read.
  const builds = [{ label: '', main, goalMs: 350 }];
  if (values.compare) {
    const other = builtCli(values.compare);
    builds.push({ label: ` (${path.basename(path.resolve(values.compare))})`, main: other });
  }
  const cases = builds.flatMap((b) => [
    {
      name: `plan, ${rowCount} rows${b.label}`,
      argv: [process.execPath, b.main, 'plan', '-c', planJob.config],
      okCodes: [2],
      goalMs: b.goalMs,
    },
    {
      name: `sync + upload, ${rowCount} rows${b.label}`,
      argv: [process.execPath, b.main, 'sync', '-c', syncJob.config],
      before: dropChange,
    },
  ]);
  const rows = await measure(cases, { runs, env });
  report('plan and sync as whole processes (emulator in the bench process)', rows, {
    json: values.json,
    runs,
  });
  // Every timed sync must have uploaded (a run that found nothing to do would flatter the figure).
  const res = await fetch(`${emu.url}/_admin/projects/bench-sync/uploads`);
  const applied = (await res.json()).uploads.filter((u) => u.status === 200).length;
  const expected = 1 + builds.length * (runs + 1);
  if (applied !== expected) throw new Error(`the emulator applied ${applied} uploads, expected ${expected}`);
} finally {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
}
