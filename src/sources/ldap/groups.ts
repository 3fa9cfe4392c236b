/**
 * Group scoping: "only members of these groups, nested groups included", three ways.
 * - in-chain (AD): one filter clause; the server resolves nesting and cycles.
 * - memberof (OpenLDAP memberof overlay): find nested groups by their memberOf, then filter users
 *   by memberOf equality with any group found.
 * - walk (anywhere): read member / uniqueMember / memberUid of each group, recursing into members
 *   that are groups (with AD range retrieval for big groups); users are kept by DN or uid
 *   (a memberUid value that is a DN counts as a DN).
 * Walks keep a visited set, so circular nesting ends.
 */
import type { Filter, SearchEntry } from 'ldapts';
import { ConfigError, SourceUnavailableError } from '../../core/errors.js';
import type { LdapConnection } from './connection.js';
import { resultCode } from './errors.js';
import { and, equals, groupObjectFilter, inChainClause, memberOfClause, present } from './filters.js';
import { baseType, nextRangeRequest, normalizeDn, readEntry, searchPages } from './search.js';
import type { LdapSettings } from './settings.js';

export interface Membership {
  /** Normalised DNs of all direct and nested members (users and groups). */
  readonly dns: ReadonlySet<string>;
  /** posixGroup memberUid values. */
  readonly uids: ReadonlySet<string>;
}

export interface GroupScope {
  /** Added to the user filter (in-chain, memberof). */
  readonly clause?: Filter | undefined;
  /** Checked per entry (walk). */
  readonly membership?: Membership | undefined;
  /** Groups taken into account: all nested ones for walk and memberof, the configured ones for in-chain. */
  readonly groups: readonly string[];
}

export type GroupSettings = Pick<LdapSettings, 'name' | 'groups' | 'groupMethod' | 'pageSize'>;

interface ReadContext {
  readonly conn: LdapConnection;
  readonly signal: AbortSignal;
  readonly deadline: number;
}

function textValues(entry: SearchEntry, type: string): string[] {
  const out: string[] = [];
  for (const a of entry.attributes) {
    if (baseType(a.type) !== type) continue;
    for (const v of a.values) out.push(typeof v === 'string' ? v : v.toString('utf8'));
  }
  return out;
}

/** Reads a base entry; a missing entry (noSuchObject) is `undefined`, other failures throw. */
async function tryRead(
  rc: ReadContext,
  dn: string,
  attributes: readonly string[],
  filter: Filter,
): Promise<SearchEntry | undefined> {
  try {
    return await readEntry(rc.conn, dn, attributes, rc.signal, rc.deadline, filter);
  } catch (e) {
    if (e instanceof SourceUnavailableError && resultCode(e.cause) === 32) return undefined;
    throw e;
  }
}

/** Every configured group must exist and be a group: a typo must not silently mean "nobody". */
async function checkGroups(s: GroupSettings, rc: ReadContext): Promise<void> {
  for (const dn of s.groups) {
    if (await tryRead(rc, dn, ['1.1'], groupObjectFilter())) continue;
    const exists = await tryRead(rc, dn, ['1.1'], present('objectClass'));
    const reason = exists
      ? 'is not a group (group, groupOfNames, groupOfUniqueNames or posixGroup)'
      : 'does not exist';
    throw new ConfigError(`The group ${dn} ${reason} on ${rc.conn.url}`, {
      place: `sources[${s.name}].groups`,
      fix: 'Correct the DN in groups (copy it from the directory, e.g. the distinguishedName attribute in AD).',
    });
  }
}

export interface MemberValues {
  readonly dns: string[];
  readonly uids: string[];
  /** How many values each member attribute held (member, uniqueMember, memberUid), for messages. */
  readonly counts: { readonly member: number; readonly uniqueMember: number; readonly memberUid: number };
}

/**
 * A memberUid value that is a DN ("uid=erin,ou=people,…"), as many OpenLDAP shops write them
 * although RFC 2307 says uid: `attr=value` at the start. Plain uids never hold "=" in practice.
 */
export function isDnShaped(value: string): boolean {
  return /^\s*(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)\s*=/.test(value);
}

/**
 * The member DNs (member, uniqueMember) and memberUid values of one group, following AD range
 * retrieval (`member;range=0-1499` → `member;range=1500-*` …). `rangeSize` asks for ranges from
 * the start (Samba, unlike AD, does not cut big attributes into ranges by itself).
 */
export async function readMembers(
  conn: LdapConnection,
  groupDn: string,
  signal: AbortSignal,
  options: { deadline?: number; rangeSize?: number } = {},
): Promise<MemberValues | undefined> {
  const rc: ReadContext = { conn, signal, deadline: options.deadline ?? 0 };
  const dns: string[] = [];
  const uids: string[] = [];
  const counts = { member: 0, uniqueMember: 0, memberUid: 0 };
  let attributes = options.rangeSize
    ? [`member;range=0-${options.rangeSize - 1}`, 'uniqueMember', 'memberUid']
    : ['member', 'uniqueMember', 'memberUid'];
  let continuation = false;
  for (;;) {
    const entry = await tryRead(rc, groupDn, attributes, groupObjectFilter());
    if (!entry) {
      if (!continuation) return undefined;
      throw new SourceUnavailableError(`The group ${groupDn} disappeared while its members were read`, {
        place: `${conn.url} ${groupDn}`,
        fix: 'Run again; the directory changed during the read.',
      });
    }
    const member = textValues(entry, 'member');
    const unique = textValues(entry, 'uniquemember');
    const memberUid = textValues(entry, 'memberuid');
    counts.member += member.length;
    counts.uniqueMember += unique.length;
    counts.memberUid += memberUid.length;
    dns.push(...member);
    // nameAndOptionalUID syntax: "uid=x,ou=people,dc=example#'0101'B" may carry a bit string.
    for (const v of unique) dns.push(v.replace(/#'[01]*'B$/, ''));
    for (const v of memberUid) (isDnShaped(v) ? dns : uids).push(v);
    const types = entry.attributes.map((a) => a.type);
    if (continuation && !types.some((t) => /;range=/i.test(t))) {
      throw new SourceUnavailableError(`${conn.url} stopped sending the value range of ${groupDn} midway`, {
        place: `${conn.url} ${groupDn}`,
        fix: 'Run again; if it repeats on AD, use groupMethod: in-chain.',
      });
    }
    let next: string[];
    try {
      next = ['member', 'uniqueMember']
        .map((a) => nextRangeRequest(types, a))
        .filter((n): n is string => !!n);
    } catch (e) {
      throw new SourceUnavailableError(`${conn.url} sent an unusable value range for ${groupDn}`, {
        place: `${conn.url} ${groupDn}`,
        fix: 'The members of this group could not be read completely; use groupMethod: in-chain on AD.',
        cause: e,
      });
    }
    if (next.length === 0) return { dns, uids, counts };
    attributes = next;
    continuation = true;
  }
}

/** The naming context holding `dn` (root DSE), else its trailing dc= part, else the DN itself. */
export function suffixOf(dn: string, contexts: readonly string[]): string {
  const n = normalizeDn(dn);
  let best = '';
  for (const c of contexts) {
    const nc = normalizeDn(c);
    if (nc && (n === nc || n.endsWith(`,${nc}`)) && nc.length > normalizeDn(best).length) best = c;
  }
  if (best) return best;
  const i = dn.search(/,\s*dc=/i);
  return i >= 0 ? dn.slice(i + 1).trim() : dn;
}

async function namingContexts(rc: ReadContext): Promise<string[]> {
  const root = await tryRead(rc, '', ['namingContexts'], present('objectClass'));
  return root ? textValues(root, 'namingcontexts') : [];
}

/** DNs (original spelling) of entries matching `filter` under `base`, DN-only and paged. */
async function listDns(rc: ReadContext, base: string, filter: Filter, pageSize: number): Promise<string[]> {
  const out: string[] = [];
  await searchPages(
    rc.conn,
    { base, scope: 'sub', filter, attributes: ['1.1'], pageSize, deadline: rc.deadline, stage: 'groups' },
    rc.signal,
    (entries) => {
      for (const e of entries) out.push(e.name);
    },
  );
  return out;
}

/**
 * Visits each group once (by normalised DN), breadth first from `start`; `visit` names the groups
 * to visit next. Returns the groups visited, by normalised DN, each as first written.
 */
async function eachGroupOnce(
  start: readonly string[],
  visit: (dn: string, visited: ReadonlyMap<string, string>) => Promise<readonly string[]>,
): Promise<Map<string, string>> {
  const visited = new Map<string, string>();
  const queue = [...start];
  for (let dn = queue.shift(); dn !== undefined; dn = queue.shift()) {
    const key = normalizeDn(dn);
    if (visited.has(key)) continue;
    visited.set(key, dn);
    queue.push(...(await visit(dn, visited)));
  }
  return visited;
}

async function memberOfScope(s: GroupSettings, rc: ReadContext): Promise<GroupScope> {
  const contexts = await namingContexts(rc);
  const seen = await eachGroupOnce(s.groups, (dn) =>
    listDns(rc, suffixOf(dn, contexts), and(groupObjectFilter(), equals('memberOf', dn)), s.pageSize),
  );
  const groups = [...seen.values()];
  return { clause: memberOfClause(groups), groups };
}

async function walkScope(s: GroupSettings, rc: ReadContext): Promise<GroupScope> {
  const contexts = await namingContexts(rc);
  // All groups of the naming contexts involved, DN only: tells a nested group from a user
  // without one lookup per member.
  const allGroups = new Set<string>();
  for (const base of new Set(s.groups.map((g) => suffixOf(g, contexts)))) {
    for (const dn of await listDns(rc, base, groupObjectFilter(), s.pageSize)) allGroups.add(normalizeDn(dn));
  }
  const dns = new Set<string>();
  const uids = new Set<string>();
  const visited = await eachGroupOnce(s.groups, async (dn, visited) => {
    // A dangling member DN that only looked like a group is skipped.
    const members = await readMembers(rc.conn, dn, rc.signal, { deadline: rc.deadline });
    if (!members) return [];
    const nested: string[] = [];
    for (const m of members.dns) {
      const n = normalizeDn(m);
      dns.add(n);
      if (allGroups.has(n) && !visited.has(n)) nested.push(m);
    }
    for (const u of members.uids) uids.add(u);
    return nested;
  });
  return { membership: { dns, uids }, groups: [...visited.values()] };
}

/** Resolves the configured groups into a filter clause or a membership set. */
export async function resolveGroupScope(
  s: GroupSettings,
  conn: LdapConnection,
  signal: AbortSignal,
  deadline: number,
): Promise<GroupScope | undefined> {
  if (s.groups.length === 0) return undefined;
  const rc: ReadContext = { conn, signal, deadline };
  await checkGroups(s, rc);
  switch (s.groupMethod) {
    case 'in-chain':
      return { clause: inChainClause(s.groups), groups: s.groups };
    case 'memberof':
      return memberOfScope(s, rc);
    case 'walk':
      return walkScope(s, rc);
  }
}

/** Whether an entry belongs to a walked membership (by DN, or by uid for posixGroups). */
export function isMember(entry: SearchEntry, m: Membership): boolean {
  if (m.dns.has(normalizeDn(entry.name))) return true;
  if (m.uids.size === 0) return false;
  for (const a of entry.attributes) {
    if (a.type.toLowerCase() !== 'uid') continue;
    for (const v of a.values) if (m.uids.has(typeof v === 'string' ? v : v.toString('utf8'))) return true;
  }
  return false;
}
