/** Reading users from Graph: the query shape of a `filter`, paging into a list or a set by id. */
import type { Notice } from '../../core/types.js';
import type { DeltaState } from './delta-state.js';
import type { GraphReader, ReadOptions } from './graph.js';
import type { GraphUser } from './map.js';

const USER_TYPE = '#microsoft.graph.user';

/** What one read found, in whichever mode. */
export interface ReadResult {
  readonly users: readonly GraphUser[];
  readonly mode: string;
  readonly notices: readonly Notice[];
  /** The delta state to store if the run settles well. */
  readonly pending?: DeltaState | undefined;
  /** Every user in `users` was already handed to the read's `onUser`, in this order. */
  readonly streamed?: boolean;
}

/** Called with each user a full read keeps, as its page arrives (the source maps it there). */
export type OnUser = (user: GraphUser) => void;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function hasId(v: unknown): v is GraphUser {
  return isObject(v) && typeof v.id === 'string';
}

export function isUser(v: unknown): v is GraphUser {
  if (!hasId(v)) return false;
  const type = v['@odata.type'];
  // Without a cast, transitiveMembers also returns groups, devices, contacts and service principals.
  return type === USER_TYPE || (type === undefined && 'userPrincipalName' in v);
}

/**
 * The query parameters and headers a configured `filter` needs (none for an empty one). Always as
 * an advanced query (ConsistencyLevel: eventual + $count=true): whether Graph needs it depends on
 * the property as well as the operator (`companyName eq`, `employeeType eq` and every
 * `onPremisesExtensionAttributes` filter need it, `givenName eq` does not), and Microsoft documents
 * that queries served by default also work in advanced mode. Never for users/delta, which refuses
 * $count.
 */
export function filterParams(configured: string): {
  params: Record<string, string>;
  headers: Record<string, string>;
} {
  const filter = configured.trim();
  if (!filter) return { params: {}, headers: {} };
  return { params: { $filter: filter, $count: 'true' }, headers: { ConsistencyLevel: 'eventual' } };
}

/**
 * Every page of `url`, keeping the items `keep` accepts, once per id (the first wins); `onUser`
 * sees each kept item once, in the order the map holds them.
 */
export async function collect(
  reader: GraphReader,
  url: string,
  options: ReadOptions,
  keep: (v: unknown) => v is GraphUser,
  into: Map<string, GraphUser> = new Map(),
  onUser?: OnUser,
): Promise<Map<string, GraphUser>> {
  try {
    for await (const page of reader.pages(url, options)) {
      for (const item of page.value) {
        if (!keep(item) || into.has(item.id)) continue;
        into.set(item.id, item);
        onUser?.(item);
      }
    }
  } catch (e) {
    throw reader.explain(e, options.what);
  }
  return into;
}

/** Every user of the tenant (that the filter keeps), all pages; `onUser` sees each one as its page arrives. */
export async function readAllUsers(
  reader: GraphReader,
  select: readonly string[],
  filter: string,
  signal: AbortSignal,
  onUser?: OnUser,
): Promise<GraphUser[]> {
  const { params, headers } = filterParams(filter);
  const url = reader.url('users', { $select: select.join(','), $top: '999', ...params });
  // /users lists each object once, so a plain list is enough (no de-duplication map).
  const users: GraphUser[] = [];
  try {
    for await (const page of reader.pages(url, { headers, signal, what: 'users' })) {
      for (const item of page.value) {
        if (!hasId(item)) continue;
        users.push(item);
        onUser?.(item);
      }
    }
  } catch (e) {
    throw reader.explain(e, 'users');
  }
  return users;
}
