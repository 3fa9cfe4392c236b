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
 *
 * When NODE_EXTRA_CA_CERTS is set (as on some CI machines and shells), every case runs a second
 * time without it, beside its own `node -e 0`: Node 20 reads and parses that whole CA bundle at
 * every start, before any of our code (Node 24 reads it on first TLS use). With the system CA
 * bundle that is ~40 ms of every Node process on this 2-core machine; the service's systemd
 * unit and the Docker image do not set it.
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
  const env = { ...process.env, MOBILEID_SYNC_CONFIG: '' };
  if (env.NODE_EXTRA_CA_CERTS) {
    const { NODE_EXTRA_CA_CERTS: _, ...plain } = env;
    const suffix = ' (no NODE_EXTRA_CA_CERTS)';
    const reference = { name: `node -e 0${suffix}`, argv: [process.execPath, '-e', '0'], env: plain };
    cases.push(
      reference,
      ...cases.map((c) => ({ ...c, name: `${c.name}${suffix}`, env: plain, ratioTo: reference.name })),
    );
  }
  const rows = await measure(cases, { runs, env });
  report('CLI cold start', rows, { json: values.json, runs });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
