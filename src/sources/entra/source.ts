/**
 * The `entra` source: every member of a Microsoft Entra ID tenant, or the (nested) members of some
 * groups, read through Microsoft Graph with app-only access.
 *
 * Reads:
 * - tenant-wide: `/users?$select=…&$top=999`, all pages. With `delta` on (and no `filter`), a
 *   `$deltatoken=latest` link is taken *before* the full read, so changes made during the read
 *   are replayed later; scheduled runs then follow the stored deltaLink (one request when nothing
 *   changed) and rebuild the complete set from the stored users. A full read happens again after
 *   `fullReadIntervalHours` or when Graph refuses the link (410 resyncRequired, 400
 *   syncStateNotFound, any 4xx but 401/403/429).
 * - group scope: `/groups/{id}/transitiveMembers` per group, always a full read (users/delta
 *   cannot be scoped to a group; groups/delta is direct-members only), keeping only users.
 * The delta state advances only in settle('applied' | 'unchanged').
 */
import path from 'node:path';
import type { Agent } from 'undici';
import { AbortedError, ConfigError, errorText } from '../../core/errors.js';
import type {
  CheckResult,
  SettleOutcome,
  Source,
  SourceContext,
  SourceDefinition,
  SourceSnapshot,
} from '../../core/source.js';
import type { Notice } from '../../core/types.js';
import { type EntraConfig, entraSchema, type ResolvedEntraConfig, resolveEntraConfig } from './config.js';
import {
  type DeltaState,
  deltaFingerprint,
  type LoadResult,
  loadDeltaState,
  saveDeltaState,
  stateStamp,
} from './delta-state.js';
import type { ExplainContext } from './explain.js';
import { GraphHttpError, GraphReader, type ReadOptions } from './graph.js';
import { createDispatcher } from './http.js';
import { type GraphUser, mapUsers, selectProperties } from './map.js';
import { TokenProvider } from './token.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Operators Graph serves only as advanced queries (ConsistencyLevel: eventual + $count=true). */
const ADVANCED_FILTER = /\b(ne|not|endswith)\b|\b(eq|ne)\s+null\b/i;
const USER_TYPE = '#microsoft.graph.user';

interface Connection {
  readonly dispatcher: Agent;
  readonly tokens: TokenProvider;
  readonly reader: GraphReader;
}

interface ResolvedGroup {
  readonly id: string;
  readonly label: string;
}

interface ReadResult {
  readonly users: readonly GraphUser[];
  readonly mode: string;
  readonly notices: readonly Notice[];
  /** The delta state to store if the run settles well. */
  readonly pending?: DeltaState | undefined;
}

/** Graph refused a stored delta link; a full read follows. */
class DeltaRejected extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasId(v: unknown): v is GraphUser {
  return isObject(v) && typeof v.id === 'string';
}

function isUser(v: unknown): v is GraphUser {
  if (!hasId(v)) return false;
  const type = v['@odata.type'];
  // Without a cast, transitiveMembers also returns groups, devices, contacts and service principals.
  return type === USER_TYPE || (type === undefined && 'userPrincipalName' in v);
}

const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export class EntraSource implements Source {
  readonly kind = 'entra' as const;
  readonly name: string;
  private conn: Connection | undefined;
  private groups: readonly ResolvedGroup[] | undefined;
  private readonly select: readonly string[];
  private readonly stateFile: string;
  private readonly fingerprint: string;
  /** The state this process last wrote or read, so a daemon does not parse its own file every run. */
  private memo: { readonly state: DeltaState; readonly stamp: string } | undefined;

  constructor(
    private readonly r: ResolvedEntraConfig,
    private readonly ctx: SourceContext,
  ) {
    this.name = r.config.name;
    this.select = selectProperties(r.mapping);
    this.stateFile = path.join(ctx.stateDir, `${this.name}.entra-delta.json`);
    this.fingerprint = deltaFingerprint({
      tenantId: r.config.tenantId,
      clientId: r.config.clientId,
      graphBaseUrl: r.graphBaseUrl,
      select: this.select,
    });
  }

  private get place(): string {
    return `jobs[${this.ctx.job}].sources[${this.name}]`;
  }

  private connect(): Connection {
    if (this.conn) return this.conn;
    const { config } = this.r;
    const explain: ExplainContext = {
      tenantId: config.tenantId,
      clientId: config.clientId,
      authorityHost: this.r.authorityHost,
      graphBaseUrl: this.r.graphBaseUrl,
    };
    const logger = this.ctx.logger;
    const dispatcher = createDispatcher(config.caFile, `${this.place}.caFile`, config.requestTimeoutMs);
    const tokens = new TokenProvider({
      authorityHost: this.r.authorityHost,
      tenantId: config.tenantId,
      clientId: config.clientId,
      scope: `${this.r.graphBaseUrl}/.default`,
      credential: this.r.credential,
      dispatcher,
      retry: config.retries,
      timeoutMs: config.requestTimeoutMs,
      logger,
      explain,
      place: this.place,
    });
    const reader = new GraphReader({
      graphBaseUrl: this.r.graphBaseUrl,
      dispatcher,
      tokens,
      retry: config.retries,
      timeoutMs: config.requestTimeoutMs,
      logger,
      explain,
    });
    this.conn = { dispatcher, tokens, reader };
    return this.conn;
  }

  async fetch(signal: AbortSignal): Promise<SourceSnapshot> {
    if (signal.aborted) throw new AbortedError();
    const started = Date.now();
    const conn = this.connect();
    const result = await this.read(conn, signal);
    const { config } = this.r;
    const mapped = mapUsers(result.users, this.r.mapping, config, this.name);
    const notices: Notice[] = [...result.notices];
    if (mapped.skippedGuests > 0) {
      notices.push({
        message: `${plural(mapped.skippedGuests, 'guest account')} left out (includeGuests is off)`,
      });
    }
    if (mapped.skippedDisabled > 0) {
      notices.push({
        message: `${plural(mapped.skippedDisabled, 'disabled account')} left out (includeDisabled is off)`,
      });
    }
    const description = `Entra ID tenant ${config.tenantId}: ${plural(mapped.records.length, 'user')} (${result.mode})`;
    this.ctx.logger.info(
      {
        source: this.name,
        users: mapped.records.length,
        read: result.users.length,
        mode: result.mode,
        ms: Date.now() - started,
      },
      'Entra ID read',
    );
    const pending = result.pending;
    return {
      source: this.name,
      kind: 'entra',
      records: mapped.records,
      notices,
      description,
      settle: async (outcome: SettleOutcome): Promise<void> => {
        // Only a run that reached a stable end moves the cursor; otherwise the next run re-reads
        // from the previous link and sees the same changes again.
        if (pending && (outcome === 'applied' || outcome === 'unchanged')) await this.saveState(pending);
      },
    };
  }

  private async read(conn: Connection, signal: AbortSignal): Promise<ReadResult> {
    const { config } = this.r;
    if (config.groups.length > 0) return this.readGroups(conn, signal);
    if (!config.delta || config.filter) {
      return { users: await this.readAllUsers(conn, signal), mode: 'full read', notices: [] };
    }
    const notices: Notice[] = [];
    const loaded = await this.loadState();
    if (loaded.kind === 'ok') {
      const age = this.ctx.now().getTime() - Date.parse(loaded.state.fullReadAt);
      if (age >= 0 && age < config.fullReadIntervalHours * 3_600_000) {
        try {
          return await this.readDelta(conn, loaded.state, signal);
        } catch (e) {
          if (!(e instanceof DeltaRejected)) throw e;
          notices.push({
            message: `Graph refused the stored delta link (${e.message}), so everything was read again`,
          });
        }
      } else {
        this.ctx.logger.debug({ source: this.name }, 'Entra full read due (fullReadIntervalHours)');
      }
    } else if (loaded.kind === 'unusable') {
      notices.push({ message: `Delta state not used (${loaded.reason}), so everything was read again` });
    }
    const anchor = await this.deltaAnchor(conn, signal, notices);
    const users = await this.readAllUsers(conn, signal);
    const pending: DeltaState | undefined = anchor
      ? {
          version: 1,
          fingerprint: this.fingerprint,
          deltaLink: anchor,
          fullReadAt: this.ctx.now().toISOString(),
          users,
        }
      : undefined;
    return { users, mode: 'full read', notices, pending };
  }

  private async loadState(): Promise<LoadResult> {
    const stamp = await stateStamp(this.stateFile);
    if (stamp !== undefined && this.memo?.stamp === stamp) return { kind: 'ok', state: this.memo.state };
    this.memo = undefined;
    const loaded = await loadDeltaState(this.stateFile, this.fingerprint);
    if (loaded.kind === 'ok' && stamp !== undefined) this.memo = { state: loaded.state, stamp };
    return loaded;
  }

  private async saveState(state: DeltaState): Promise<void> {
    this.memo = undefined;
    await saveDeltaState(this.stateFile, state);
    const stamp = await stateStamp(this.stateFile);
    if (stamp !== undefined) this.memo = { state, stamp };
  }

  private async collect(
    conn: Connection,
    url: string,
    options: ReadOptions,
    keep: (v: unknown) => v is GraphUser,
    into: Map<string, GraphUser> = new Map(),
  ): Promise<Map<string, GraphUser>> {
    try {
      for await (const page of conn.reader.pages(url, options)) {
        for (const item of page.value) if (keep(item) && !into.has(item.id)) into.set(item.id, item);
      }
    } catch (e) {
      throw conn.reader.explain(e, options.what);
    }
    return into;
  }

  private filterParams(alwaysAdvanced: boolean): {
    params: Record<string, string>;
    headers: Record<string, string>;
  } {
    const filter = this.r.config.filter.trim();
    if (!filter) return { params: {}, headers: {} };
    if (alwaysAdvanced || ADVANCED_FILTER.test(filter)) {
      return { params: { $filter: filter, $count: 'true' }, headers: { ConsistencyLevel: 'eventual' } };
    }
    return { params: { $filter: filter }, headers: {} };
  }

  private async readAllUsers(conn: Connection, signal: AbortSignal): Promise<GraphUser[]> {
    const { params, headers } = this.filterParams(false);
    const url = conn.reader.url('users', { $select: this.select.join(','), $top: '999', ...params });
    // /users lists each object once, so a plain list is enough (no de-duplication map).
    const users: GraphUser[] = [];
    try {
      for await (const page of conn.reader.pages(url, { headers, signal, what: 'users' })) {
        for (const item of page.value) if (hasId(item)) users.push(item);
      }
    } catch (e) {
      throw conn.reader.explain(e, 'users');
    }
    return users;
  }

  /** A deltaLink meaning "changes from now on"; undefined (with a notice) if Graph will not give one. */
  private async deltaAnchor(
    conn: Connection,
    signal: AbortSignal,
    notices: Notice[],
  ): Promise<string | undefined> {
    const url = conn.reader.url('users/delta', { $deltatoken: 'latest', $select: this.select.join(',') });
    try {
      let link: string | undefined;
      for await (const page of conn.reader.pages(url, { signal, what: 'users' })) {
        link = page.deltaLink ?? link;
      }
      if (link) return link;
      notices.push({ message: 'Graph gave no delta link; the next run reads everything again' });
      return undefined;
    } catch (e) {
      if (e instanceof GraphHttpError && e.status === 400) {
        notices.push({
          message: `Graph refused a delta query (${e.code}); the next run reads everything again`,
        });
        return undefined;
      }
      throw conn.reader.explain(e, 'users');
    }
  }

  private async readDelta(conn: Connection, state: DeltaState, signal: AbortSignal): Promise<ReadResult> {
    const what = 'user changes';
    if (!URL.canParse(state.deltaLink) || new URL(state.deltaLink).origin !== conn.reader.origin) {
      throw new DeltaRejected('the stored link is not on graphBaseUrl');
    }
    const items: GraphUser[] = [];
    let deltaLink: string | undefined;
    try {
      for await (const page of conn.reader.pages(state.deltaLink, { signal, what })) {
        for (const item of page.value) if (hasId(item)) items.push(item);
        deltaLink = page.deltaLink ?? deltaLink;
      }
    } catch (e) {
      const refused = e instanceof GraphHttpError && e.status >= 400 && e.status < 500;
      if (refused && ![401, 403, 429].includes(e.status))
        throw new DeltaRejected(`${e.status} ${e.code}`.trim());
      throw conn.reader.explain(e, what);
    }
    if (!deltaLink) throw new DeltaRejected('the last page had no deltaLink');
    let all = state.users;
    let changed = 0;
    let removed = 0;
    if (items.length > 0) {
      const users = new Map(state.users.map((u) => [u.id, u]));
      for (const item of items) {
        const id = item.id;
        // reason "changed" (soft-deleted) and "deleted" (gone for good) both leave the set.
        if ('@removed' in item) {
          if (users.delete(id)) removed++;
          continue;
        }
        // Replays arrive in order: merge by id, the last one wins; absent keys keep their value.
        users.set(id, { ...users.get(id), ...item, id });
        changed++;
      }
      all = [...users.values()];
    }
    return {
      users: all,
      mode: `delta: ${plural(changed, 'change')}, ${plural(removed, 'removal')}`,
      notices: [],
      pending: { ...state, deltaLink, users: all },
    };
  }

  private async resolveGroups(conn: Connection, signal: AbortSignal): Promise<readonly ResolvedGroup[]> {
    if (this.groups) return this.groups;
    const out: ResolvedGroup[] = [];
    for (const entry of this.r.config.groups) {
      const g = entry.trim();
      if (GUID.test(g)) {
        out.push({ id: g.toLowerCase(), label: g });
        continue;
      }
      const url = conn.reader.url('groups', {
        $filter: `displayName eq '${g.replaceAll("'", "''")}'`,
        $select: 'id,displayName',
        $top: '999',
      });
      const found = [
        ...(await this.collect(conn, url, { signal, what: `groups named "${g}"` }, hasId)).values(),
      ];
      const place = `${this.place}.groups`;
      if (found.length === 0) {
        throw new ConfigError(`No group is named "${g}" in tenant ${this.r.config.tenantId}`, {
          place,
          fix: "Check the spelling (the whole display name), or configure the group's Object ID from Entra admin center › Groups.",
        });
      }
      if (found.length > 1) {
        throw new ConfigError(
          `${found.length} groups are named "${g}" (${found.map((f) => f.id).join(', ')})`,
          {
            place,
            fix: 'Display names are not unique in Entra ID: put the Object ID of the group you mean into groups.',
          },
        );
      }
      out.push({ id: found[0]!.id, label: `"${g}" (${found[0]!.id})` });
    }
    this.groups = out;
    return out;
  }

  private membersUrl(
    conn: Connection,
    group: ResolvedGroup,
    top: string,
  ): { url: string; headers: Record<string, string> } {
    const { params, headers } = this.filterParams(true);
    const url = conn.reader.url(`groups/${encodeURIComponent(group.id)}/transitiveMembers`, {
      $select: this.select.join(','),
      $top: top,
      ...params,
    });
    return { url, headers };
  }

  private async readGroups(conn: Connection, signal: AbortSignal): Promise<ReadResult> {
    const groups = await this.resolveGroups(conn, signal);
    const users = new Map<string, GraphUser>();
    for (const group of groups) {
      const { url, headers } = this.membersUrl(conn, group, '999');
      await this.collect(conn, url, { headers, signal, what: `group ${group.label}` }, isUser, users);
    }
    const all = [...users.values()];
    // Without User.Read.All, Graph returns members with their id only (graph.md §0.5).
    if (all.length > 0 && all.every((u) => typeof u.userPrincipalName !== 'string')) {
      throw new ConfigError(`App ${this.r.config.clientId} may read group members but not their properties`, {
        place: `${this.place}.groups`,
        fix: 'Add the Microsoft Graph Application permission User.Read.All and grant admin consent.',
      });
    }
    return { users: all, mode: `members of ${plural(groups.length, 'group')}, nested included`, notices: [] };
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const lines: string[] = [];
    const { config } = this.r;
    const failed = (what: string, e: unknown): CheckResult => {
      lines.push(`${what}: FAILED — ${errorText(e)}`);
      return { ok: false, lines };
    };
    let conn: Connection;
    try {
      conn = this.connect();
    } catch (e) {
      return failed('setup', e);
    }
    const how = this.r.credential.type === 'secret' ? 'a client secret' : 'a certificate';
    const signIn = `sign-in to ${this.r.authorityHost}/${config.tenantId} as app ${config.clientId} with ${how}`;
    try {
      await conn.tokens.getToken(signal, true);
      const minutes = Math.round(((conn.tokens.expiresAt ?? Date.now()) - Date.now()) / 60_000);
      const cert = conn.tokens.cert();
      lines.push(`${signIn}: OK (token valid for ${minutes} min)`);
      if (cert) {
        const days = Math.floor((cert.notAfter.getTime() - this.ctx.now().getTime()) / 86_400_000);
        lines.push(
          `certificate ${cert.thumbprint} (${cert.subject}) expires in ${days} days${days < 30 ? ' — renew it soon' : ''}`,
        );
      }
    } catch (e) {
      return failed(signIn, e);
    }
    const reader = conn.reader;
    try {
      await reader.get(reader.url('users', { $select: 'id', $top: '1' }), { signal, what: 'users' });
      lines.push(`read users from ${this.r.graphBaseUrl}: OK (User.Read.All granted)`);
    } catch (e) {
      return failed('read users', reader.explain(e, 'users'));
    }
    if (config.filter && config.groups.length === 0) {
      const { params, headers } = this.filterParams(false);
      try {
        await reader.get(reader.url('users', { $select: 'id', $top: '1', ...params }), {
          headers,
          signal,
          what: 'users',
        });
        lines.push(`filter ${JSON.stringify(config.filter)}: OK`);
      } catch (e) {
        return failed(`filter ${JSON.stringify(config.filter)}`, reader.explain(e, 'users'));
      }
    }
    let groups: readonly ResolvedGroup[];
    try {
      groups = await this.resolveGroups(conn, signal);
    } catch (e) {
      return failed('groups', e);
    }
    for (const group of groups) {
      const { url, headers } = this.membersUrl(conn, group, '1');
      try {
        await reader.get(url, { headers, signal, what: `group ${group.label}` });
        lines.push(`group ${group.label}: OK (members readable)`);
      } catch (e) {
        return failed(`group ${group.label}`, reader.explain(e, `group ${group.label}`));
      }
    }
    return { ok: true, lines };
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    await conn?.dispatcher.close();
  }
}

export const entraSource: SourceDefinition<EntraConfig> = {
  kind: 'entra',
  summary: 'Microsoft Entra ID users through Microsoft Graph (app-only; client secret or certificate).',
  schema: entraSchema,
  create: (config, ctx) =>
    new EntraSource(resolveEntraConfig(config, `jobs[${ctx.job}].sources[${config.name}]`), ctx),
};
