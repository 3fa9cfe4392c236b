/**
 * Every numeric key of the whole schema (global, job, every source kind) is a finite number in its
 * range, or the config is refused naming the key (issue #10 item 3): a limit compared with NaN is
 * silently off, since every `x > NaN` is false. Each hostile value is tried in the file (JSON5,
 * where NaN and Infinity are literals) and through the key's env var (where an unset compose
 * variable arrives as "").
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import JSON5 from 'json5';
import { beforeAll, describe, expect, it } from 'vitest';
import { configNumber, hostileEnvValues, hostileFileValues } from '../../test/fuzz/hostile-numbers.js';
import { SOURCE_DEFINITIONS } from '../sources/index.js';
import { envName, isLeaf, type NumberRange, numericLeaves, type SchemaTree } from './define.js';
import { loadConfig } from './load.js';
import { globalSchema, jobSchema } from './schema.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-numbers-'));
});

type Part = 'global' | 'job' | string;

interface NumericKey {
  readonly part: Part;
  readonly path: string;
  readonly range: NumberRange;
}

const PARTS: { part: Part; tree: SchemaTree }[] = [
  { part: 'global', tree: globalSchema },
  { part: 'job', tree: jobSchema },
  ...[...SOURCE_DEFINITIONS.values()].map((d) => ({ part: d.kind as string, tree: d.schema })),
];

const KEYS: NumericKey[] = PARTS.flatMap(({ part, tree }) =>
  numericLeaves(tree).map((l) => ({ part, path: l.path, range: l.range })),
);

/** A minimal valid config whose numeric key `k` (if given) holds `value`; `kind` picks the source. */
function config(kind: string, k?: NumericKey, value?: unknown): Record<string, unknown> {
  const source: Record<string, unknown> = { name: 'src', kind };
  const job: Record<string, unknown> = {
    name: 'main',
    mim: { project: 'HQ', token: 'tok-1234567890' },
    sources: [source],
  };
  const root: Record<string, unknown> = { jobs: [job] };
  if (k) {
    const target = k.part === 'global' ? root : k.part === 'job' ? job : source;
    setPath(target, k.path.split('.'), value);
  }
  return root;
}

function setPath(obj: Record<string, unknown>, p: string[], value: unknown): void {
  let cur = obj;
  for (const part of p.slice(0, -1)) {
    cur[part] ??= {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[p[p.length - 1]!] = value;
}

function envOf(k: NumericKey): string {
  const prefix = k.part === 'global' ? [] : k.part === 'job' ? ['main'] : ['main', 'src'];
  return envName(...prefix, ...k.path.split('.'));
}

const kindOf = (k: NumericKey): string => (k.part === 'global' || k.part === 'job' ? 'csv-folder' : k.part);

let n = 0;
async function writeJson5(root: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, `c${n++}.json5`);
  // JSON5.stringify writes NaN and Infinity as the JSON5 literals a user would type.
  await writeFile(file, JSON5.stringify(root, null, 2));
  return file;
}

function refusal(file: string, env: NodeJS.ProcessEnv): unknown {
  try {
    loadConfig(file, { registry: SOURCE_DEFINITIONS, env });
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectRefused(e: unknown, k: NumericKey, what: string): void {
  expect(e, `${k.part} ${k.path} ${what}: not refused`).toMatchObject({ code: 'CONFIG_INVALID' });
  const err = e as { message: string; place: string; fix: string };
  expect(err.place, `${k.path} ${what}`).toMatch(new RegExp(`\\.${k.path.replaceAll('.', '\\.')}$`));
  expect(err.message, `${k.path} ${what}`).toContain(k.path);
  expect(err.message, `${k.path} ${what}`).toMatch(/must be a (whole )?number from -?\d+(\.\d+)? to \d+/);
  expect(err.fix, `${k.path} ${what}`).toContain(k.path);
}

describe('every numeric config key', () => {
  it('the walk finds the keys that matter (and every number-valued leaf has a range)', () => {
    const names = KEYS.map((k) => `${k.part}:${k.path}`);
    for (const must of [
      'job:guard.maxDeletePercent',
      'job:guard.maxShrinkPercent',
      'job:guard.maxDeletes',
      'job:guard.minUsers',
      'job:mim.requestTimeoutMs',
      'global:daemon.shutdownGraceMs',
      'ldap:pageSize',
      'entra:fullReadIntervalHours',
      'csv-folder:stableMs',
    ]) {
      expect(names).toContain(must);
    }
    const unranged = PARTS.flatMap(({ part, tree }) =>
      leavesWithNumberDefault(tree).map((p) => `${part}:${p}`),
    );
    expect(unranged.filter((p) => !names.includes(p))).toEqual([]);
  });

  it.each(KEYS.map((k) => [`${k.part}: ${k.path}`, k] as const))(
    '%s refuses hostile values in the file, naming the key',
    async (_name, k) => {
      for (const { value, label } of hostileFileValues(k.range)) {
        const file = await writeJson5(config(kindOf(k), k, value));
        expectRefused(refusal(file, {}), k, `file ${label}`);
      }
    },
  );

  it.each(KEYS.map((k) => [`${k.part}: ${k.path}`, k] as const))(
    '%s refuses hostile values from its env var, naming the key and the variable',
    async (_name, k) => {
      const file = await writeJson5(config(kindOf(k)));
      const variable = envOf(k);
      for (const value of hostileEnvValues(k.range)) {
        const e = refusal(file, { [variable]: value });
        expectRefused(e, k, `env ${JSON.stringify(value)}`);
        expect((e as Error).message).toContain(variable);
      }
    },
  );

  it.each(KEYS.map((k) => [`${k.part}: ${k.path}`, k] as const))(
    '%s accepts its bounds, in the file and from the env',
    async (_name, k) => {
      for (const v of [k.range.min, k.range.max]) {
        expect(refusal(await writeJson5(config(kindOf(k), k, v)), {}), `${k.path} = ${v}`).toBeUndefined();
        const file = await writeJson5(config(kindOf(k)));
        expect(refusal(file, { [envOf(k)]: ` ${v} ` }), `env ${k.path} = ${v}`).toBeUndefined();
      }
    },
  );

  it('property: a number is accepted exactly when it is finite and in range (file or env)', async () => {
    const base = await writeJson5(config('csv-folder'));
    const cases = fc.sample(
      fc
        .constantFrom(...KEYS.filter((k) => k.part === 'global' || k.part === 'job'))
        .chain((k) => configNumber(k.range).map((v) => ({ k, v }))),
      { numRuns: 400 },
    );
    for (const { k, v } of cases) {
      const file = 'env' in v ? base : await writeJson5(config(kindOf(k), k, v.file));
      const e = refusal(file, 'env' in v ? { [envOf(k)]: v.env } : {});
      expect(e === undefined, `${k.path} = ${JSON.stringify(v)}: ${String(e)}`).toBe(v.ok);
    }
  });

  it('shows the value and the range in the message', async () => {
    const file = await writeJson5(config('csv-folder'));
    const e = refusal(file, { MOBILEID_SYNC_MAIN_GUARD_MAX_DELETE_PERCENT: '' }) as Error & { fix: string };
    expect(e.message).toBe(
      'guard.maxDeletePercent: must be a number from 0 to 100 (%), got "" (set by the environment variable MOBILEID_SYNC_MAIN_GUARD_MAX_DELETE_PERCENT)',
    );
    expect(e.fix).toContain('unset MOBILEID_SYNC_MAIN_GUARD_MAX_DELETE_PERCENT');
    expect(e.fix).toContain('default (10)');
  });

  it('booleans from env vars are strict too: "" or "maybe" is refused, not read as true', async () => {
    const file = await writeJson5(config('csv-folder'));
    for (const value of ['', 'maybe', 'ja']) {
      const e = refusal(file, { MOBILEID_SYNC_MAIN_MIM_ALLOW_INSECURE_HTTP: value });
      expect(e, JSON.stringify(value)).toMatchObject({ code: 'CONFIG_INVALID' });
    }
    for (const [value, expected] of [
      ['false', false],
      ['0', false],
      ['no', false],
      ['TRUE', true],
      ['1', true],
    ] as const) {
      const c = loadConfig(file, {
        registry: SOURCE_DEFINITIONS,
        env: { MOBILEID_SYNC_MAIN_MIM_DIALECT_HEADER: value },
      });
      expect(c.jobs[0]?.mim.dialect.header, value).toBe(expected);
    }
  });
});

function leavesWithNumberDefault(tree: SchemaTree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, node]) => {
    const p = `${prefix}${k}`;
    if (!isLeaf(node)) return leavesWithNumberDefault(node, `${p}.`);
    return typeof node.default === 'number' ? [p] : [];
  });
}
