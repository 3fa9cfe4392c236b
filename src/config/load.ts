/**
 * Loads a config file (JSON5 or JSON), applies env overrides, reads secrets from files and
 * validates every part strictly: a typo'd key is an error naming the key, not silently ignored.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import convict from 'convict';
import JSON5 from 'json5';
import { ConfigError } from '../core/errors.js';
import { registerSecret, registerUrlCredentials } from '../core/secrets.js';
import type { SourceRegistry } from '../core/source.js';
import { baseUrlProblem, tokenProblem } from './checks.js';
import {
  type ConfigOf,
  envName,
  isLeaf,
  rangeOf,
  rangeText,
  type SchemaTree,
  sensitivePaths,
  withEnv,
} from './define.js';
import { readSecretFile } from './files.js';
import { notifyProblem } from './notify.js';
import { type AppConfig, globalSchema, type JobConfig, jobSchema, type SourceEntry } from './schema.js';

export const DEFAULT_CONFIG_PATHS = ['/etc/mobileid-sync/config.json5', './config/mobileid-sync.json5'];
const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

export interface LoadOptions {
  /** The source kinds a config may name, handed in by the composition root (the CLI, tests). */
  readonly registry: SourceRegistry;
  readonly env?: NodeJS.ProcessEnv;
}

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function readConfigFile(file: string): Plain {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'there is no such file'
        : code === 'EACCES'
          ? 'permission denied (run as the service user, or check the mode)'
          : code === 'EISDIR'
            ? 'it is a folder, not a file'
            : (code ?? String(e));
    throw new ConfigError(`Cannot read the config file: ${why}`, {
      place: file,
      fix: 'Pass --config <file>, or set MOBILEID_SYNC_CONFIG; write one with `mobileid-sync init` or start from config/example.json5.',
      cause: e,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON5.parse(text);
  } catch (e) {
    const err = e as { lineNumber?: number; columnNumber?: number; message: string };
    const where = err.lineNumber ? `${file}:${err.lineNumber}:${err.columnNumber ?? 0}` : file;
    throw new ConfigError(`The config file is not valid JSON5: ${err.message}`, {
      place: where,
      fix: 'Fix the syntax at that position (JSON5 allows comments and trailing commas).',
      cause: e,
    });
  }
  if (!isPlain(parsed)) {
    throw new ConfigError('The config file must hold one object', { place: file, fix: 'Start it with `{`.' });
  }
  return parsed;
}

/** Where each secret came from, by dotted path: for errors that must name it without quoting it. */
type SecretOrigins = Map<string, string>;

/** Validates `data` against `tree` with env overrides; returns the validated values. */
function validatePart<S extends SchemaTree>(
  tree: S,
  data: Plain,
  envPrefix: string[],
  place: string,
  env: NodeJS.ProcessEnv,
  origins: SecretOrigins = new Map(),
): ConfigOf<S> {
  const schema = withEnv(tree, envPrefix);
  let instance: convict.Config<Plain>;
  try {
    instance = convict<Plain>(schema as convict.Schema<Plain>, { env, args: [] });
    instance.load(data);
    instance.validate({ allowed: 'strict' });
  } catch (e) {
    throw convictConfigError(e, tree, envPrefix, place, env);
  }
  const values = instance.getProperties();
  resolveSecrets(tree, values, envPrefix, place, env, origins);
  registerPartSecrets(tree, values);
  // convict checked every leaf against `tree`, so the values have the tree's types.
  return values as ConfigOf<S>;
}

/** Registers the part's secrets and the user-info of any URL in it with the output scrubber. */
function registerPartSecrets(tree: SchemaTree, values: Plain): void {
  for (const p of sensitivePaths(tree)) {
    const v = getAt(values, p);
    if (typeof v === 'string') {
      registerSecret(v);
      registerSecret(v.replaceAll('\\/', '/'));
    }
  }
  const visit = (v: unknown): void => {
    if (typeof v === 'string') registerUrlCredentials(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (isPlain(v)) Object.values(v).forEach(visit);
  };
  visit(values);
}

function convictConfigError(
  e: unknown,
  tree: SchemaTree,
  envPrefix: string[],
  place: string,
  env: NodeJS.ProcessEnv,
): ConfigError {
  const { message, key: badKey, suggestion } = describeConvictError(e, tree);
  const leaf = badKey ? leafAt(tree, badKey.split('.')) : undefined;
  const envVar = badKey ? envName(...envPrefix, ...badKey.split('.')) : undefined;
  const fromEnv =
    envVar !== undefined && env[envVar] !== undefined ? ` (set by the environment variable ${envVar})` : '';
  const range = leaf ? rangeOf(leaf) : undefined;
  const fix = suggestion
    ? `Did you mean "${suggestion}"? Keys are case-sensitive; \`mobileid-sync config docs\` lists every key.`
    : range && leaf
      ? `Set ${badKey} to ${rangeText(range)}${fromEnv ? `, or unset ${envVar}` : ''}, or remove it to use the default (${String(leaf.default)}).`
      : 'Correct that value (or remove an unknown key); `mobileid-sync config docs` lists every key with its format.';
  return new ConfigError(`${message}${fromEnv}`, {
    place: badKey ? `${place}.${badKey}` : place,
    fix,
    cause: e,
  });
}

function leafAt(tree: SchemaTree, p: string[]): convict.SchemaObj | undefined {
  let node: SchemaTree | convict.SchemaObj | undefined = tree;
  for (const k of p) {
    if (node === undefined || isLeaf(node)) return undefined;
    node = (node as SchemaTree)[k];
  }
  return node !== undefined && isLeaf(node) ? node : undefined;
}

/** convict's message without echoed values (a secret could be among them), the first bad key, and a near key. */
function describeConvictError(
  e: unknown,
  tree: SchemaTree,
): { message: string; key?: string; suggestion?: string } {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text
    .split('\n')
    .map((line) => line.replace(/: value was .*$/s, '').replace(/^configuration param /, 'key '));
  const first = lines[0] ?? '';
  // "guard.maxDeletePercent: must be …" (a format) before "key 'x' not declared" (a quoted value may hold ').
  const badKey = /^([\w.]+): /.exec(first)?.[1] ?? /'([^']+)'/.exec(first)?.[1];
  const unknown = badKey !== undefined && /not declared in the schema/.test(first);
  const suggestion = unknown ? nearestKey(badKey, leafPaths(tree)) : undefined;
  return {
    // Indented lines continue the one before (a mapping expression and its caret): keep them as lines.
    message: lines.join('; ').replace(/; (?= {2})/g, '\n'),
    ...(badKey ? { key: badKey } : {}),
    ...(suggestion ? { suggestion } : {}),
  };
}

function leafPaths(tree: SchemaTree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, node]) =>
    isLeaf(node) ? [`${prefix}${k}`] : [`${prefix}${k}`, ...leafPaths(node, `${prefix}${k}.`)],
  );
}

/** The schema key closest to a typo (case-insensitive edit distance ≤ 3), if any. */
function nearestKey(typo: string, keys: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const k of keys) {
    const d = editDistance(typo.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function getAt(obj: Plain, p: string[]): unknown {
  let cur: unknown = obj;
  for (const k of p) cur = isPlain(cur) ? cur[k] : undefined;
  return cur;
}

function setAt(obj: Plain, p: string[], value: unknown): void {
  let cur: Plain = obj;
  for (const k of p.slice(0, -1)) cur = cur[k] as Plain;
  cur[p[p.length - 1]!] = value;
}

/** Fills each empty secret from `<ENV>_FILE`, then from its `…File` sibling key; records where each came from. */
function resolveSecrets(
  tree: SchemaTree,
  values: Plain,
  envPrefix: string[],
  place: string,
  env: NodeJS.ProcessEnv,
  origins: SecretOrigins,
): void {
  const withEnvTree = withEnv(tree, envPrefix);
  for (const p of sensitivePaths(tree)) {
    const leaf = getAt(withEnvTree, p) as { env: string };
    if (getAt(values, p)) {
      origins.set(
        p.join('.'),
        env[leaf.env] ? `the environment variable ${leaf.env}` : `${place}.${p.join('.')}`,
      );
      continue;
    }
    const fileKey = [...p.slice(0, -1), `${p[p.length - 1]}File`];
    const fromEnv = env[`${leaf.env}_FILE`];
    const fromKey = getAt(values, fileKey);
    const file = fromEnv || (typeof fromKey === 'string' ? fromKey : '');
    if (!file) continue;
    const keyPlace = fromEnv ? `the environment variable ${leaf.env}_FILE` : `${place}.${fileKey.join('.')}`;
    setAt(values, p, readSecretFile(file, env, keyPlace));
    origins.set(p.join('.'), `the file ${file} (from ${keyPlace})`);
  }
}

/** A bearer token (MIM's, the admin listener's) must be one clean word; throws naming where it came from. */
function checkToken(token: string, key: string, origins: SecretOrigins, fallbackPlace: string): void {
  if (!token) return;
  const origin = origins.get(key) ?? fallbackPlace;
  const problem = tokenProblem(token, `The token in ${origin}`);
  if (problem) throw new ConfigError(problem.message, { place: origin, fix: problem.fix });
}

function requireName(v: unknown, place: string, what: string): string {
  if (typeof v !== 'string' || !NAME_RE.test(v)) {
    throw new ConfigError(
      `${what} needs a "name" of letters, digits, "-" or "_" (got ${JSON.stringify(v)})`,
      {
        place,
        fix: 'Add e.g. name: "main"; names appear in state paths, env names, logs and metrics.',
      },
    );
  }
  return v;
}

/** What loading one job needs besides its own entry. */
interface JobContext {
  readonly file: string;
  readonly env: NodeJS.ProcessEnv;
  readonly registry: SourceRegistry;
}

function loadSource(raw: unknown, job: string, index: number, ctx: JobContext): SourceEntry {
  const { file, env, registry } = ctx;
  const place = `${file}: jobs[${job}].sources[${index}]`;
  if (!isPlain(raw))
    throw new ConfigError('A source must be an object', { place, fix: 'Write { name, kind, … }.' });
  const name = requireName(raw.name, place, 'A source');
  // Not String(raw.kind): a config may hold `kind: { toString: '' }`, which String() throws on.
  const def = typeof raw.kind === 'string' ? registry.get(raw.kind) : undefined;
  if (!def) {
    throw new ConfigError(`Unknown source kind ${JSON.stringify(raw.kind)}`, {
      place: `${place}.kind`,
      fix: `Use one of: ${[...registry.keys()].join(', ')}.`,
    });
  }
  const { name: _n, kind: _k, ...rest } = raw;
  const settings = validatePart(def.schema, rest, [job, name], `${file}: jobs[${job}].sources[${name}]`, env);
  return { name, kind: def.kind, settings };
}

function loadJob(raw: unknown, index: number, ctx: JobContext): JobConfig {
  const { file, env } = ctx;
  const place = `${file}: jobs[${index}]`;
  if (!isPlain(raw))
    throw new ConfigError('A job must be an object', { place, fix: 'Write { name, mim, sources }.' });
  const name = requireName(raw.name, place, 'A job');
  const { name: _n, sources: rawSources, ...rest } = raw;
  const origins: SecretOrigins = new Map();
  const values = validatePart(jobSchema, rest, [name], `${file}: jobs[${name}]`, env, origins);
  const urlProblem = baseUrlProblem(values.mim.baseUrl, values.mim.allowInsecureHttp);
  if (urlProblem) {
    throw new ConfigError(urlProblem.message, {
      place: `${file}: jobs[${name}].mim.baseUrl`,
      fix: urlProblem.fix,
    });
  }
  // The Auto-sync task XML writes `/` as `\/`; one trailing line break of a token file is already gone.
  const token = values.mim.token.replaceAll('\\/', '/');
  checkToken(token, 'mim.token', origins, `${file}: jobs[${name}].mim.token`);
  if (!values.mim.project) {
    throw new ConfigError('mim.project is not set', {
      place: `${file}: jobs[${name}].mim.project`,
      fix: `Set it to the MIM project name, or set ${envName(name, 'mim', 'project')}.`,
    });
  }
  if (!Array.isArray(rawSources) || rawSources.length === 0) {
    throw new ConfigError('A job needs at least one source', {
      place: `${file}: jobs[${name}].sources`,
      fix: 'Add e.g. sources: [{ name: "hr", kind: "csv-folder", folder: "/drop" }].',
    });
  }
  const sources = rawSources.map((s, i) => loadSource(s, name, i, ctx));
  const dup = sources.find((s, i) => sources.findIndex((o) => o.name === s.name) !== i);
  if (dup) {
    throw new ConfigError(`Two sources are named "${dup.name}"`, {
      place: `${file}: jobs[${name}].sources`,
      fix: 'Give each source of a job its own name.',
    });
  }
  const mim = { ...values.mim, token };
  return { name, ...values, mim, sources };
}

/** Loads and validates a whole config. Throws ConfigError naming the file and key. */
export function loadConfig(file: string, options: LoadOptions): AppConfig {
  return loadConfigData(readConfigFile(file), file, options);
}

/**
 * Validates config data as if read from `file` (which names every place and anchors a relative
 * stateDir): `init` checks what it is about to write before it writes it.
 */
export function loadConfigData(data: Plain, file: string, options: LoadOptions): AppConfig {
  const env = options.env ?? process.env;
  const { jobs: rawJobs, ...rest } = data;
  const origins: SecretOrigins = new Map();
  const global = validatePart(globalSchema, rest, [], file, env, origins);
  checkToken(global.admin.token, 'admin.token', origins, `${file}: admin.token`);
  const notify = notifyProblem(global.notify);
  if (notify) {
    throw new ConfigError(notify.message, { place: `${file}: notify.${notify.key}`, fix: notify.fix });
  }
  if (!Array.isArray(rawJobs) || rawJobs.length === 0) {
    throw new ConfigError('The config has no jobs', {
      place: `${file}: jobs`,
      fix: 'Add jobs: [{ name, mim: { project }, sources: [...] }]; see config/example.json5.',
    });
  }
  const jobs = rawJobs.map((j, i) => loadJob(j, i, { file, env, registry: options.registry }));
  const dup = jobs.find((j, i) => jobs.findIndex((o) => o.name === j.name) !== i);
  if (dup) {
    throw new ConfigError(`Two jobs are named "${dup.name}"`, { place: `${file}: jobs`, fix: 'Rename one.' });
  }
  const stateDir = path.resolve(path.dirname(file), global.stateDir);
  return { ...global, stateDir, jobs };
}

/** The config with every secret replaced, for `config print`; `registry` names each source kind's secrets. */
export function maskSecrets(config: AppConfig, registry: SourceRegistry): unknown {
  const mask = (v: string): string => (v ? '****' : '');
  const global = structuredClone({ admin: config.admin, notify: config.notify }) as Plain;
  for (const p of sensitivePaths(globalSchema)) {
    const v = getAt(global, p);
    if (typeof v === 'string') setAt(global, p, mask(v));
  }
  return {
    ...config,
    ...global,
    jobs: config.jobs.map((job) => ({
      ...job,
      mim: { ...job.mim, token: mask(job.mim.token) },
      sources: job.sources.map((s) => {
        const def = registry.get(s.kind);
        const settings = structuredClone(s.settings) as Plain;
        for (const p of def ? sensitivePaths(def.schema) : []) {
          const v = getAt(settings, p);
          if (typeof v === 'string') setAt(settings, p, mask(v));
        }
        return { name: s.name, kind: s.kind, ...settings };
      }),
    })),
  };
}
