/**
 * The shipped Prometheus rules and Grafana dashboard against promtool and a real daemon: the rules
 * load and pass their unit tests (examples/prometheus/alerts.test.yml), the daemon's /metrics passes
 * `promtool check metrics`, and every metric the rules and the dashboard name is one the daemon
 * exports — so renaming a metric breaks this test, not an admin's alert.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import {
  type DaemonProcess,
  emulator,
  isRunFinished,
  parsePrometheus,
  sample,
  seedBaseline,
  startDaemon,
  workspace,
} from '../e2e/daemon-harness.js';

const RULES = path.resolve('examples/prometheus/alerts.yml');
const RULE_TESTS = path.resolve('examples/prometheus/alerts.test.yml');
const DASHBOARD = path.resolve('examples/grafana/mobileid-sync.json');
/** Series Prometheus itself makes for every target; the daemon does not export them. */
const FROM_PROMETHEUS = new Set(['up']);
/** prom-client's default gauges named like counters; theirs to rename, and no rule or panel uses them. */
const PROM_CLIENT_LINT = new Set(
  ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'].map(
    (n) => `${n} non-counter metrics should not have "_total" suffix`,
  ),
);
const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
]);

function promtool(args: readonly string[], input?: string): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new Error(
      'promtool is not installed: `sudo apt-get install prometheus` (scripts/install-test-deps.sh installs it).',
    );
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Metric names an expression selects (identifiers outside label matchers, not functions or keywords). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\((?:[^()]*)\)\s*\(/g, '(') // `by (sync_job, le) (` — grouping labels
    .replace(/"[^"]*"/g, ' ');
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter((m) => m[2] === undefined) // a function call
    .map((m) => m[1]!)
    .filter((n) => n.includes('_') && !PROMQL_WORDS.has(n) && !n.startsWith('__'));
}

function ruleExprs(): string[] {
  return [...readFileSync(RULES, 'utf8').matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1]!);
}

function dashboardExprs(): string[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    schemaVersion: number;
    panels: { targets: { expr: string }[] }[];
    templating: { list: { query?: unknown }[] };
  };
  // Grafana's `label_values(metric, label)`: the selector is its first argument.
  const templates = d.templating.list.flatMap((v) =>
    typeof v.query === 'object' && v.query !== null
      ? [String((v.query as { query: string }).query).replace(/^label_values\((.+),\s*\w+\)$/, '$1')]
      : [],
  );
  return [...d.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...templates];
}

let emu: RunningEmulator;
let daemon: DaemonProcess | undefined;
let exposition = '';

beforeAll(async () => {
  emu = await emulator();
  const ws = workspace(emu.url, { watch: false });
  await seedBaseline(ws, emu, 2);
  // A second source whose folder never gets a file: its read fails, so source_up has a 0 and a 1.
  const config = JSON.parse(readFileSync(ws.configFile, 'utf8')) as {
    jobs: { sources: Record<string, unknown>[] }[];
  };
  mkdirSync(path.join(ws.dir, 'branch'));
  config.jobs[0]!.sources.push({ name: 'branch', kind: 'csv-folder', folder: './branch', stableMs: 300 });
  writeFileSync(ws.configFile, JSON.stringify(config));
  daemon = startDaemon(ws);
  const admin = await daemon.adminUrl();
  await fetch(`${admin}/jobs/main/run`, { method: 'POST' });
  await daemon.waitFor(isRunFinished(), 20_000, 'the run');
  exposition = await (await fetch(`${admin}/metrics`)).text();
});

afterAll(async () => {
  await daemon?.stop();
  await emu?.close();
});

describe('examples/prometheus and examples/grafana', () => {
  it('the alert rules load and pass their promtool unit tests', () => {
    const check = promtool(['check', 'rules', RULES]);
    expect(check.out).toContain('SUCCESS');
    expect(check.code).toBe(0);
    const tests = promtool(['test', 'rules', RULE_TESTS]);
    expect(tests.out).toContain('SUCCESS');
    expect(tests.code).toBe(0);
  });

  it("the daemon's /metrics passes promtool check metrics and says which source failed", () => {
    const lint = promtool(['check', 'metrics'], exposition);
    const problems = lint.out.split('\n').filter((l) => l.trim() && !PROM_CLIENT_LINT.has(l.trim()));
    expect(problems).toEqual([]);
    const samples = parsePrometheus(exposition);
    const up = samples.filter((s) => s.name === 'mobileid_sync_source_up');
    expect(up.map((s) => [s.labels.source, s.value]).sort()).toEqual([
      ['branch', 0],
      ['hr', 1],
    ]);
    expect(sample(samples, 'mobileid_sync_consecutive_failures', { sync_job: 'main' })).toBe(1);
    expect(sample(samples, 'mobileid_sync_blocked', { sync_job: 'main' })).toBe(0);
  });

  it('every metric the rules and the dashboard use is exported by the daemon', () => {
    const exported = new Set([
      ...parsePrometheus(exposition).map((s) => s.name),
      ...[...exposition.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!),
    ]);
    const used = new Set([...ruleExprs(), ...dashboardExprs()].flatMap(metricNames));
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used].filter((n) => !exported.has(n) && !FROM_PROMETHEUS.has(n));
    expect(missing).toEqual([]);
  });

  it("every alert's runbook_url names a section of the README", () => {
    const docs = readFileSync(path.resolve('README.md'), 'utf8');
    // GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes.
    const anchors = new Set(
      [...docs.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const urls = [...readFileSync(RULES, 'utf8').matchAll(/runbook_url: "README\.md#([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(urls).toHaveLength(ruleExprs().length);
    expect(urls.filter((a) => !anchors.has(a))).toEqual([]);
  });

  it('the dashboard is importable: a datasource input, a job variable and a current schema', () => {
    const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      schemaVersion: number;
      __inputs: { name: string; type: string }[];
      templating: { list: { name: string; definition?: string }[] };
      panels: { datasource: { uid: string } }[];
    };
    expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(d.__inputs).toContainEqual(expect.objectContaining({ name: 'DS', type: 'datasource' }));
    expect(d.templating.list.find((v) => v.name === 'job')?.definition).toBe(
      'label_values(mobileid_sync_runs_total, sync_job)',
    );
    // Grafana's variable syntax, not a template string.
    const ds = ['$', '{DS}'].join('');
    for (const p of d.panels) expect(p.datasource.uid).toBe(ds);
  });
});
