/**
 * `status` and `config validate` are what an admin (and systemd's ExecStartPre=) runs most; they
 * start in a blink only while they load the config loader and the state readers, nothing else
 * (issue 14). With the import trace: the config loader's convict and JSON5, no source
 * implementation or client library, no logger, daemon or HTTP client.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const TRACE_HOOK = path.resolve('test/helpers/import-trace.mjs');
let dir: string;
let config: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'light-commands-'));
  await mkdir(path.join(dir, 'drop'));
  await writeFile(path.join(dir, 'token'), 'light-token');
  config = path.join(dir, 'config.json5');
  await writeFile(
    config,
    `{ stateDir: 'state', // JSON5, as init writes it
  jobs: [{ name: 'main', mim: { baseUrl: 'http://127.0.0.1:9', project: 'demo', tokenFile: 'token' },
    schedule: { cron: '*/15 * * * *' },
    sources: [{ name: 'hr', kind: 'csv-folder', folder: 'drop', columns: { syncId: 'id' } }] }] }`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The packages and own modules a command resolved, and its output. */
async function traced(args: readonly string[]) {
  const trace = path.join(dir, `trace-${args.filter((a) => /^\w+$/.test(a)).join('-')}.txt`);
  const result = await runCli(args, {
    cwd: dir,
    nodeArgs: ['--import', TRACE_HOOK],
    env: { IMPORT_TRACE: trace },
  });
  const urls = (await readFile(trace, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const packages = [
    ...new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? [])),
  ];
  const own = urls.flatMap((u) => /\/dist\/(.+)\.js$/.exec(u)?.[1] ?? []);
  return { ...result, packages: packages.sort(), own };
}

/** The config loader's packages: convict (with the two it requires itself) and JSON5. */
const CONFIG_LOADER = ['convict', 'json5', 'lodash.clonedeep', 'yargs-parser'];

/** Modules only a run, the daemon or a source's read needs. */
const HEAVY =
  /^(sources\/(csv|ldap|entra)\/(source|read|stream|rows|search|client|users|http|token)|run\/|sinks\/|daemon\/daemon|telemetry\/(logger|metrics)|console\/|notify\/(channels|dispatcher))/;

describe('the read-only commands load only what they use', () => {
  it('status: the config loader and the state readers, no other package', async () => {
    const r = await traced(['status', '-c', config]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Job main → project "demo"');
    expect(r.packages).toEqual(CONFIG_LOADER);
    // The trace sees our modules (inside the bundle's chunks too), so the next line is not vacuous.
    expect(r.own).toEqual(expect.arrayContaining(['config/load', 'state/store', 'cli/commands/status']));
    expect(r.own.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it('config validate: also the cron parser for the daemon checks, no other package', async () => {
    const r = await traced(['config', 'validate', '-c', config]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OK: .* — 1 job\(s\): main \(hr: csv-folder → demo\)\n$/);
    expect(r.packages).toEqual([...CONFIG_LOADER, 'node-cron'].sort());
    expect(r.own.filter((m) => HEAVY.test(m))).toEqual([]);
  });
});
