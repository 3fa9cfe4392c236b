#!/usr/bin/env node
/**
 * CLI cold start (issue 14): `--help`, `status` and `config validate` as whole processes, each the
 * median of N spawns against `node -e 0` spawned in the same rounds. Goal: ≤ 150 ms each.
 *
 *   npm run build && node bench/cold-start.mjs [--runs 15] [--json] [--compare <checkout>]
 *
 * --compare also runs another checkout's built CLI (<checkout>/dist/bin/mobileid-sync.cjs) in the same
 * rounds, e.g. a build of the commit before a change, for a before/after under the same load.
 *
 * Uses a config with one csv-folder job and an empty state directory in a temp folder, so the
 * commands read the config and the state exactly as on a fresh install.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { builtCli, measure, report } from './lib/process-timing.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    json: { type: 'boolean' },
    compare: { type: 'string' },
  },
});
const runs = Number(values.runs);
const main = builtCli(path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));

const dir = mkdtempSync(path.join(os.tmpdir(), 'mobileid-cold-'));
try {
  mkdirSync(path.join(dir, 'drop'));
  writeFileSync(path.join(dir, 'token'), 'bench-token');
  const config = path.join(dir, 'config.json5');
  writeFileSync(
    config,
    JSON.stringify({
      stateDir: path.join(dir, 'state'),
      jobs: [
        {
          name: 'main',
          mim: { baseUrl: 'http://127.0.0.1:9', project: 'demo', tokenFile: path.join(dir, 'token') },
          sources: [
            { name: 'hr', kind: 'csv-folder', folder: path.join(dir, 'drop'), columns: { syncId: 'id' } },
          ],
        },
      ],
    }),
  );
  const commands = [
    ['--help', ['--help']],
    ['status', ['status', '-c', config]],
    ['config validate', ['config', 'validate', '-c', config]],
  ];
  const builds = [{ label: '', main, goalMs: 150 }];
  if (values.compare) {
    const other = builtCli(values.compare);
    builds.push({ label: ` (${path.basename(path.resolve(values.compare))})`, main: other });
  }
  const cases = commands.flatMap(([name, args]) =>
    builds.map((b) => ({
      name: `${name}${b.label}`,
      argv: [process.execPath, b.main, ...args],
      goalMs: b.goalMs,
    })),
  );
  const rows = await measure(cases, { runs, env: { ...process.env, MOBILEID_SYNC_CONFIG: '' } });
  report('CLI cold start', rows, { json: values.json, runs });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
