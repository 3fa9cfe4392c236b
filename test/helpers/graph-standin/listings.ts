/**
 * The directory listings: `/v1.0/users`, `/v1.0/groups` and a group's (transitive) members, with
 * or without the `microsoft.graph.user` cast. Each parses its query, picks the objects and starts
 * a paged chain.
 */
import type { Directory, TypedObject } from './directory.js';
import { USER_TYPE } from './directory.js';
import { graphError, type Reply } from './errors.js';
import type { StandInUser } from './fixtures.js';
import type { PageNote, Pager } from './paging.js';
import {
  DEFAULT_SELECT,
  parseFilter,
  parseSelect,
  parseTop,
  pick,
  projectUser,
  validUserProperty,
  wantsCount,
} from './query.js';

export interface Listings {
  readonly directory: Directory;
  readonly pager: Pager;
  readonly origin: () => string;
}

/** One listing request: its URL, whether it said `ConsistencyLevel: eventual`, its log entry. */
export interface ListRequest {
  readonly url: URL;
  readonly eventual: boolean;
  readonly note: PageNote;
}

export function listUsers(l: Listings, { url, eventual, note }: ListRequest): Reply {
  const select = parseSelect(url, validUserProperty, 'microsoft.graph.user') ?? DEFAULT_SELECT;
  const pageSize = parseTop(url);
  const filter = parseFilter(url, eventual, false);
  const all = l.directory.allUsers();
  const items = filter ? all.filter((u) => filter.test(u)) : all;
  return l.pager.start(
    url,
    {
      route: 'users',
      items,
      project: (u) => projectUser(u as StandInUser, select),
      pageSize,
      advanced: filter?.advanced ?? false,
      context: `${l.origin()}/v1.0/$metadata#users(${select.join(',')})`,
      count: wantsCount(url, eventual) ? items.length : undefined,
      last: undefined,
    },
    note,
  );
}

export function listGroups(l: Listings, { url, eventual, note }: ListRequest): Reply {
  const select = parseSelect(
    url,
    (p) => ['id', 'displayName', 'mail', 'description'].includes(p),
    'microsoft.graph.group',
  ) ?? ['id', 'displayName'];
  const filter = parseFilter(url, eventual, false, 'group');
  const all = l.directory.allGroups().map((g) => ({ id: g.id, displayName: g.displayName }));
  const items = filter ? all.filter((g) => filter.test(g)) : all;
  return l.pager.start(
    url,
    {
      route: 'groups',
      items,
      project: (g) => pick(g as Record<string, unknown>, select),
      pageSize: parseTop(url),
      advanced: filter?.advanced ?? false,
      context: `${l.origin()}/v1.0/$metadata#groups(${select.join(',')})`,
      count: undefined,
      last: undefined,
    },
    note,
  );
}

/** `readUsers`: the app holds User.Read.All (without it, users come back as id and nulls). */
export function listMembers(
  l: Listings,
  route: 'members' | 'transitiveMembers',
  { url, eventual, note }: ListRequest,
  readUsers: boolean,
): Reply {
  const m = /^\/v1\.0\/groups\/([^/]+)\/\w+(\/microsoft\.graph\.user)?$/.exec(url.pathname);
  const groupId = decodeURIComponent(m?.[1] ?? '');
  const cast = Boolean(m?.[2]);
  const group = l.directory.group(groupId);
  if (!group) {
    throw graphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  const select =
    parseSelect(url, (p) => validUserProperty(p) || p === 'description', 'microsoft.graph.directoryObject') ??
    DEFAULT_SELECT;
  const filter = parseFilter(url, eventual, true);
  const ids = route === 'members' ? [...group.members] : l.directory.transitive(group);
  const items = l.directory
    .typed(ids, cast)
    .filter((x) => (cast ? x.type === USER_TYPE : true))
    .filter((x) => !filter || filter.test(x.obj));
  return l.pager.start(
    url,
    {
      route,
      items,
      project: (item) => projectMember(item as TypedObject, select, cast, readUsers),
      pageSize: parseTop(url),
      advanced: filter?.advanced ?? false,
      context: `${l.origin()}/v1.0/$metadata#${cast ? 'users' : 'directoryObjects'}(${select.join(',')})`,
      count: wantsCount(url, eventual) ? items.length : undefined,
      last: undefined,
    },
    note,
  );
}

/** A member for `select`; under the user cast without its `@odata.type`. */
export function projectMember(
  { type, obj }: TypedObject,
  select: readonly string[],
  cast: boolean,
  readUsers: boolean,
): Record<string, unknown> {
  const head = cast ? {} : { '@odata.type': type };
  if (type === USER_TYPE) {
    // Without User.Read.All, Graph returns members with only their type and id.
    if (!readUsers)
      return {
        ...head,
        id: obj.id,
        ...Object.fromEntries(select.filter((p) => p !== 'id').map((p) => [p, null])),
      };
    return { ...head, ...projectUser(obj as StandInUser, select) };
  }
  return {
    ...head,
    ...Object.fromEntries(Object.entries(obj).filter(([k]) => k === 'id' || select.includes(k))),
  };
}
