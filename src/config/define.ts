/**
 * Shared pieces for convict schemas: how env var names are derived, the secret `…File` twin
 * convention, and numeric keys with their ranges. (The definition every source kind exports is
 * in `core/source.ts`.)
 */
import convict from 'convict';
import type { SchemaTree } from '../core/source.js';

export type { SchemaTree };

export const ENV_PREFIX = 'MOBILEID_SYNC';

/** `jobs.main.mim.baseUrl` → `MOBILEID_SYNC_MAIN_MIM_BASE_URL`. Names are upper snake case. */
export function envName(...parts: string[]): string {
  return [ENV_PREFIX, ...parts]
    .map((p) =>
      p
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(/[^A-Za-z0-9]+/g, '_')
        .toUpperCase(),
    )
    .filter((p) => p.length > 0)
    .join('_');
}

export function isLeaf(node: SchemaTree | convict.SchemaObj): node is convict.SchemaObj {
  return Object.hasOwn(node, 'default');
}

/** Returns a copy of `tree` with `env` set on every leaf from its path under `prefix`. */
export function withEnv(tree: SchemaTree, prefix: string[]): SchemaTree {
  const out: SchemaTree = {};
  for (const [key, node] of Object.entries(tree)) {
    out[key] = isLeaf(node) ? { ...node, env: envName(...prefix, key) } : withEnv(node, [...prefix, key]);
  }
  return out;
}

/** Paths of sensitive leaves, e.g. ['mim', 'token']. */
export function sensitivePaths(tree: SchemaTree, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [key, node] of Object.entries(tree)) {
    if (isLeaf(node)) {
      if (node.sensitive) out.push([...prefix, key]);
    } else out.push(...sensitivePaths(node, [...prefix, key]));
  }
  return out;
}

/**
 * The values a schema tree loads into, derived from the tree itself so each key is written once:
 * a leaf made by `key<T>()`, `num()` & co. or `secret()` gives its T (lists read-only), a nested
 * tree an object. Declare trees with `satisfies SchemaTree` so their leaf types survive.
 */
export type ConfigOf<S> = {
  readonly [K in keyof S]: S[K] extends convict.SchemaObj<infer T> ? ReadonlyList<T> : ConfigOf<S[K]>;
};

type ReadonlyList<T> = T extends readonly (infer E)[] ? readonly E[] : T;

/** A documented leaf; keeps schema files short. A list of allowed texts types the leaf as their union. */
export function key<const V extends string>(
  doc: string,
  format: readonly V[],
  defaultValue: NoInfer<V>,
  extra?: Partial<convict.SchemaObj<V>>,
): convict.SchemaObj<V>;
export function key<T>(
  doc: string,
  format: convict.SchemaObj<T>['format'],
  defaultValue: T,
  extra?: Partial<convict.SchemaObj<T>>,
): convict.SchemaObj<T>;
export function key(
  doc: string,
  format: convict.SchemaObj['format'] | readonly string[],
  defaultValue: unknown,
  extra: Partial<convict.SchemaObj> = {},
): convict.SchemaObj {
  return { doc, format, default: defaultValue, ...extra };
}

/**
 * The range of a numeric key. Every numeric key has one: a value outside it, or one that is not a
 * finite number (NaN, Infinity, "", "abc", 'ten'), is refused naming the key, the value and the
 * range, because a limit compared with NaN is silently off (every `x > NaN` is false).
 */
export interface NumberRange {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  /** Shown in the docs and errors: '%', 'ms', 'hours', … */
  readonly unit?: string;
}

/** The longest a Node timer can wait; a longer delay fires after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647;
/** Upper bound of counts where the schema names no other. */
export const MAX_COUNT = 1_000_000_000;

const NUMBER_FORMAT = 'bounded-number';
const NUMERIC_TEXT = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** "integer from 1 to 2147483647 (ms)", "number from 0 to 100 (%)". */
export function rangeText(r: NumberRange): string {
  const what = r.integer ? 'a whole number' : 'a number';
  const unit = r.unit ? ` (${r.unit})` : '';
  return `${what} from ${r.min} to ${r.max}${unit}`;
}

/** Why `value` is not acceptable for `range`, or undefined when it is. */
export function numberProblem(value: unknown, range: NumberRange): string | undefined {
  const shown = typeof value === 'number' || value === undefined ? String(value) : JSON.stringify(value);
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value));
  return ok ? undefined : `must be ${rangeText(range)}, got ${shown}`;
}

/**
 * Strict numbers for every numeric key (`num` below). Env values arrive as text: only plain
 * decimal numbers are read as numbers; anything else ("", "abc", "10abc", "Infinity") is kept as
 * text so the check refuses it and shows it, where convict's parseFloat would have given NaN or 10.
 */
convict.addFormat({
  name: NUMBER_FORMAT,
  coerce: (v: string): unknown => (NUMERIC_TEXT.test(v) ? Number(v) : v),
  validate(value: unknown, schema: convict.SchemaObj): void {
    const range = (schema as { range?: NumberRange }).range;
    const problem = range ? numberProblem(value, range) : 'has no range in the schema';
    if (problem) throw new Error(problem);
  },
});

/**
 * Booleans from env vars: convict reads every text but "false" as true, so an empty or misspelt
 * value ("", "0", "no") turned a switch ON. Only true/false, yes/no, on/off and 1/0 are read;
 * anything else is kept as text and refused by convict's type check.
 */
convict.addFormat({
  name: 'boolean',
  coerce(v: string): unknown {
    const t = v.trim().toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(t)) return true;
    if (['false', 'no', 'off', '0'].includes(t)) return false;
    return v;
  },
  validate(value: unknown): void {
    if (typeof value !== 'boolean') throw new Error('must be true or false');
  },
});

/** A numeric leaf with its range: `num('Retries.', 5, { min: 0, max: 100, integer: true })`. */
export function num(doc: string, defaultValue: number, range: NumberRange): convict.SchemaObj<number> {
  const problem = numberProblem(defaultValue, range);
  if (problem) throw new Error(`schema default ${defaultValue} ${problem}`);
  return { doc, format: NUMBER_FORMAT, default: defaultValue, range } as convict.SchemaObj<number>;
}

/** A percentage, 0–100 (fractions allowed). */
export function percent(doc: string, defaultValue: number): convict.SchemaObj<number> {
  return num(doc, defaultValue, { min: 0, max: 100, integer: false, unit: '%' });
}

/** A whole number ≥ `min` (default 0). */
export function count(
  doc: string,
  defaultValue: number,
  { min = 0, max = MAX_COUNT, unit }: { min?: number; max?: number; unit?: string } = {},
): convict.SchemaObj<number> {
  return num(doc, defaultValue, { min, max, integer: true, ...(unit ? { unit } : {}) });
}

/** A duration in ms that a timer waits: whole, ≥ `min` (default 1: a 0 timeout makes no sense), at most MAX_TIMER_MS. */
export function durationMs(
  doc: string,
  defaultValue: number,
  { min = 1, max = MAX_TIMER_MS }: { min?: number; max?: number } = {},
): convict.SchemaObj<number> {
  return num(doc, defaultValue, { min, max, integer: true, unit: 'ms' });
}

/** The range of a leaf declared with `num` and friends, if it is one. */
export function rangeOf(node: SchemaTree | convict.SchemaObj): NumberRange | undefined {
  return isLeaf(node) ? (node as { range?: NumberRange }).range : undefined;
}

/** Every numeric leaf of a tree with its dotted path (for docs and the schema-walking tests). */
export function numericLeaves(tree: SchemaTree, prefix = ''): { path: string; range: NumberRange }[] {
  return Object.entries(tree).flatMap(([k, node]) => {
    const path = `${prefix}${k}`;
    if (!isLeaf(node)) return numericLeaves(node, `${path}.`);
    const range = rangeOf(node);
    return range ? [{ path, range }] : [];
  });
}

/** A secret and its `…File` twin. */
export function secret(doc: string): { value: convict.SchemaObj<string>; file: convict.SchemaObj<string> } {
  return {
    value: key(doc, String, '', { sensitive: true }),
    file: key(
      `A file holding the secret above (Docker secret, systemd credential); used when the secret itself is empty. A relative path is looked up in $CREDENTIALS_DIRECTORY.`,
      String,
      '',
    ),
  };
}

/**
 * convict format: a list of texts, each checked by `check` (which returns the problem). As an env
 * var the list is a JSON array (convict parses env values of a key whose default is an array).
 */
export function stringList(name: string, check?: (v: string) => string | undefined) {
  return (value: unknown): void => {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw new Error(`${name} must be an array of strings (as an env var: a JSON array)`);
    }
    for (const v of value as string[]) {
      const problem = check?.(v);
      if (problem) throw new Error(problem);
    }
  };
}

/** convict format: an absolute http(s) URL. */
export function httpUrl(value: unknown): void {
  let ok = false;
  try {
    const u = new URL(String(value));
    ok = u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    ok = false;
  }
  if (!ok) throw new Error('must be an http:// or https:// URL');
}
