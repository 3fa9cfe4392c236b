/**
 * The `entra` source: every member of a Microsoft Entra ID tenant, or the (nested) members of some
 * groups, read through Microsoft Graph with app-only access.
 *
 * Reads:
 * - tenant-wide: `/users?$select=…&$top=999`, all pages (users.ts); with `delta` on (and no
 *   `filter`), through users/delta (delta.ts).
 * - group scope: the transitive members of each group (scope.ts).
 * The delta state advances only in settle('applied' | 'unchanged').
 */
import path from 'node:path';
import type { Agent } from 'undici';
import { AbortedError, errorText } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import type {
  CheckResult,
  PersonLookup,
  SettleOutcome,
  Source,
  SourceContext,
  SourceSnapshot,
} from '../../core/source.js';
import type { Notice } from '../../core/types.js';
import type { ResolvedEntraConfig } from './config.js';
import { DeltaStore, readWithDelta } from './delta.js';
import { deltaFingerprint } from './delta-state.js';
import type { ExplainContext } from './explain.js';
import { explainEntra } from './explain-person.js';
import { GraphReader } from './graph.js';
import { createDispatcher } from './http.js';
import { fieldOrigins, mapUsers, selectProperties, UserMapper } from './map.js';
import { GroupScope, type ResolvedGroup } from './scope.js';
import { TokenProvider } from './token.js';
import { filterParams, type OnUser, type ReadResult, readAllUsers } from './users.js';

interface Connection {
  readonly dispatcher: Agent;
  readonly tokens: TokenProvider;
  readonly reader: GraphReader;
}

export class EntraSource implements Source {
  readonly kind = 'entra' as const;
  readonly name: string;
  private conn: Connection | undefined;
  private readonly select: readonly string[];
  private readonly delta: DeltaStore;
  private readonly scope: GroupScope;

  constructor(
    private readonly r: ResolvedEntraConfig,
    private readonly ctx: SourceContext,
  ) {
    this.name = r.config.name;
    this.select = selectProperties(r.mapping);
    const fingerprint = deltaFingerprint({
      tenantId: r.config.tenantId,
      clientId: r.config.clientId,
      graphBaseUrl: r.graphBaseUrl,
      select: this.select,
    });
    this.delta = new DeltaStore(path.join(ctx.stateDir, `${this.name}.entra-delta.json`), fingerprint);
    this.scope = new GroupScope({
      groups: r.config.groups,
      filter: r.config.filter,
      tenantId: r.config.tenantId,
      clientId: r.config.clientId,
      select: this.select,
      place: `${this.place}.groups`,
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
    const { config } = this.r;
    // A full read maps each page as it arrives, while Graph prepares the next one.
    const mapper = new UserMapper(this.r.mapping, config, this.name);
    const result = await this.read(conn, signal, (user) => mapper.add(user));
    const streamed = result.streamed === true && mapper.seen === result.users.length;
    const mapped = streamed ? mapper.done() : mapUsers(result.users, this.r.mapping, config, this.name);
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
      fieldOrigins: fieldOrigins(this.r.mapping),
      settle: async (outcome: SettleOutcome): Promise<void> => {
        // Only a run that reached a stable end moves the cursor; otherwise the next run re-reads
        // from the previous link and sees the same changes again.
        if (pending && (outcome === 'applied' || outcome === 'unchanged')) await this.delta.save(pending);
      },
    };
  }

  private async read(conn: Connection, signal: AbortSignal, onUser: OnUser): Promise<ReadResult> {
    const { config } = this.r;
    if (this.scope.configured) return this.scope.read(conn.reader, signal, onUser);
    if (!config.delta || config.filter) {
      const users = await readAllUsers(conn.reader, this.select, config.filter, signal, onUser);
      return { users, mode: 'full read', notices: [], streamed: true };
    }
    return readWithDelta(
      {
        reader: conn.reader,
        select: this.select,
        store: this.delta,
        fullReadIntervalHours: config.fullReadIntervalHours,
        now: () => this.ctx.now(),
        logger: this.ctx.logger,
        source: this.name,
      },
      signal,
      onUser,
    );
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
        if (conn.tokens.assertionAlgorithm === 'RS256') {
          lines.push(
            config.certificateAlgorithm === 'RS256'
              ? 'client assertion: RS256 with the SHA-1 thumbprint (x5t), as certificateAlgorithm says'
              : 'client assertion: RS256 with the SHA-1 thumbprint (x5t) — this tenant refused PS256 (AADSTS700027); set certificateAlgorithm: "RS256" to skip the refused first try',
          );
        }
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
      const { params, headers } = filterParams(config.filter);
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
      groups = await this.scope.resolve(reader, signal);
    } catch (e) {
      return failed('groups', e);
    }
    for (const group of groups) {
      const { url, headers } = this.scope.membersUrl(reader, group, '1');
      try {
        await reader.get(url, { headers, signal, what: `group ${group.label}` });
        lines.push(`group ${group.label}: OK (members readable)`);
      } catch (e) {
        return failed(`group ${group.label}`, reader.explain(e, `group ${group.label}`));
      }
    }
    return { ok: true, lines };
  }

  explain(key: string, signal: AbortSignal): Promise<PersonLookup> {
    return explainEntra(this.connect().reader, this.r, this.scope, this.select, key, signal);
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    await conn?.dispatcher.close();
  }
}
