/**
 * Shared pieces for convict schemas: how env var names are derived, the secret `…File` twin
 * convention, and the definition every source kind exports.
 */
import type convict from 'convict';
import type { SourceKind } from '../core/types.js';
import type { Source, SourceContext } from '../sources/types.js';

/** A schema tree as convict takes it (leaves have `default`). */
export type SchemaTree = { [key: string]: SchemaTree | convict.SchemaObj };

/**
 * A source kind's configuration spec and constructor.
 * - `schema` lists the keys under the source's entry in `jobs[].sources[]` (not `name`/`kind`).
 *   Give each leaf `doc`, `format`, `default`; the loader assigns env names.
 * - A key marked `sensitive: true` may have a sibling `<key>File` (String, default ''): the loader
 *   fills the secret from that file (or from `<ENV>_FILE`) when it is empty.
 */
export interface SourceDefinition<C = unknown> {
  readonly kind: SourceKind;
  readonly summary: string;
  readonly schema: SchemaTree;
  create(config: C & { readonly name: string }, ctx: SourceContext): Source;
}

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

/** A documented leaf; keeps schema files short. */
export function key<T>(
  doc: string,
  format: convict.SchemaObj<T>['format'],
  defaultValue: T,
  extra: Partial<convict.SchemaObj<T>> = {},
): convict.SchemaObj<T> {
  return { doc, format, default: defaultValue, ...extra };
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
