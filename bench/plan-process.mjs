#!/usr/bin/env node
/**
 * `plan` of a 10-row CSV as a whole process (issue 14): the MIM emulator runs in this process,
 * a job has been synced once (so a baseline exists), a changed 10-row export is waiting in the
 * drop folder, and `mobileid-sync plan` is spawned N times against `node -e 0` in the same rounds.
 * Goal: ≤ 350 ms.
 *
 *   npm run build && node bench/plan-process.mjs [--runs 15] [--rows 10] [--json] [--compare <checkout>]
 *
 * --compare also runs another checkout's built CLI (<checkout>/dist/cli/main.js) in the same rounds.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmulator } from '../dist/emulator/server.js';
import { measure, report, timeOnce } from './lib/process-timing.mjs';

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
const main = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
const TOKEN = 'bench-token';

function csv(variant) {
  const lines = [];
  for (let i = 0; i < rowCount; i++) {
    const last = i % 3 === 0 ? `Last${i}-${variant}` : `Last${i}`;
    lines.push(`First${i},${last},p${i}@example.com,${100000 + i},S${i}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

const emu = await startEmulator({ port: 0, projects: [{ name: 'bench', token: TOKEN }] });
const dir = mkdtempSync(path.join(os.tmpdir(), 'mobileid-bench-plan-'));
try {
  const drop = path.join(dir, 'drop');
  mkdirSync(drop);
  const config = path.join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      stateDir: path.join(dir, 'state'),
      jobs: [
        {
          name: 'bench',
          mim: { baseUrl: emu.url, project: 'bench', token: TOKEN },
          sources: [{ name: 'hr', kind: 'csv-folder', folder: drop, stableMs: 0 }],
        },
      ],
    }),
  );
  const env = { ...process.env, MOBILEID_SYNC_CONFIG: '' };
  // The first sync makes the baseline; the plan then compares a changed export against it.
  writeFileSync(path.join(drop, 'staff-1.csv'), csv(1));
  await timeOnce([process.execPath, main, 'sync', '-c', config, '--accept-unknown-baseline'], { env });
  writeFileSync(path.join(drop, 'staff-2.csv'), csv(2));

  // 2 = changes pending, the expected answer; 0 would mean the changed file was not read.
  const builds = [{ label: '', main, goalMs: 350 }];
  if (values.compare) {
    const other = path.resolve(values.compare, 'dist', 'cli', 'main.js');
    builds.push({ label: ` (${path.basename(path.resolve(values.compare))})`, main: other });
  }
  const cases = builds.map((b) => ({
    name: `plan, ${rowCount} rows${b.label}`,
    argv: [process.execPath, b.main, 'plan', '-c', config],
    okCodes: [2],
    goalMs: b.goalMs,
  }));
  const rows = await measure(cases, { runs, env });
  report('plan as a whole process (emulator in the bench process)', rows, { json: values.json, runs });
} finally {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
}
