/**
 * A local Microsoft Graph + Entra STS stand-in over real HTTPS (graph.md §8): the v2.0 token
 * endpoint (client secret and client assertion, AADSTS errors), OpenID metadata, /v1.0/users with
 * $select/$top/$filter and opaque $skiptoken nextLinks, group lookup, (transitive) members,
 * /users/delta with a change log, and per-page fault injection. Loopback only.
 *
 * This file only wires things up, keeps the request log and routes; the behaviour lives in
 * tokens.ts + assertion.ts (STS), directory.ts (the tenant's data and change log), listings.ts
 * (users, groups, members), query.ts ($select/$top/$filter), paging.ts (nextLinks), delta.ts,
 * faults.ts, errors.ts (error bodies) and http.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { DeltaFeed } from './delta.js';
import { Directory } from './directory.js';
import { denied, graphError, Reply } from './errors.js';
import { applyFault, type Fault, FaultList } from './faults.js';
import type { StandInGroup, StandInObject, StandInUser } from './fixtures.js';
import { headerOf, readBody, send } from './http.js';
import { type Listings, listGroups, listMembers, listUsers } from './listings.js';
import { Pager } from './paging.js';
import { createServerPki, type ServerPki } from './pki.js';
import { type LoggedRequest, type Route, routeOf } from './routes.js';
import { type StandInApp, Sts } from './tokens.js';

export type { Fault, FaultAction } from './faults.js';
export type { LoggedRequest, Route } from './routes.js';
export type { Permission, StandInApp } from './tokens.js';

export interface GraphStandInOptions {
  readonly tenantId?: string;
  /** A verified domain accepted in place of the tenant id. */
  readonly tenantDomain?: string;
  readonly apps?: readonly StandInApp[];
  readonly users?: readonly StandInUser[];
  readonly groups?: readonly StandInGroup[];
  readonly objects?: readonly StandInObject[];
  /** `expires_in` of issued tokens (default 3599). */
  readonly tokenLifetimeSeconds?: number;
  /** Objects per /users/delta page (Graph chooses; default 200). */
  readonly deltaPageSize?: number;
}

export const DEFAULT_TENANT = '11111111-2222-4333-8444-555555555555';
export const DEFAULT_CLIENT = '99999999-8888-4777-8666-555555555555';
export const DEFAULT_SECRET = 'stand-in~secret.value';

export class GraphStandIn {
  readonly tenantId: string;
  readonly pki: ServerPki;
  private readonly server: Server;
  private origin = '';
  private readonly sts: Sts;
  private readonly directory: Directory;
  private readonly pager: Pager;
  private readonly listings: Listings;
  private readonly delta: DeltaFeed;
  private readonly faults = new FaultList();
  private log: LoggedRequest[] = [];

  constructor(options: GraphStandInOptions = {}) {
    const origin = (): string => this.origin;
    this.tenantId = options.tenantId ?? DEFAULT_TENANT;
    this.sts = new Sts(
      { tenantId: this.tenantId, tenantDomain: options.tenantDomain },
      origin,
      options.tokenLifetimeSeconds ?? 3599,
    );
    for (const app of options.apps ?? [{ clientId: DEFAULT_CLIENT, secret: DEFAULT_SECRET }])
      this.setApp(app);
    this.directory = new Directory(options.users ?? [], options.groups ?? [], options.objects ?? []);
    this.pager = new Pager(origin);
    this.listings = { directory: this.directory, pager: this.pager, origin };
    this.delta = new DeltaFeed(this.directory, this.pager, origin, options.deltaPageSize ?? 200);
    this.pki = createServerPki();
    this.server = createServer({ key: this.pki.keyPem, cert: this.pki.certPem }, (req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(e));
      });
    });
    this.server.keepAliveTimeout = 10_000;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.origin = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The Graph base URL (the source's `graphBaseUrl`). */
  get url(): string {
    return this.origin;
  }

  /** The STS host (the source's `authorityHost`); the same server. */
  get authorityHost(): string {
    return this.origin;
  }

  get caFile(): string {
    return this.pki.caFile;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.pki.cleanup();
  }

  // ── test controls ──────────────────────────────────────────────────────────────────────────

  /** `expires_in` of tokens issued from now on. */
  get tokenLifetimeSeconds(): number {
    return this.sts.lifetimeSeconds;
  }

  set tokenLifetimeSeconds(seconds: number) {
    this.sts.lifetimeSeconds = seconds;
  }

  requests(): readonly LoggedRequest[] {
    return [...this.log];
  }

  /** Requests so far, optionally of one route. */
  count(route?: Route): number {
    return route ? this.log.filter((r) => r.route === route).length : this.log.length;
  }

  resetRequests(): void {
    this.log = [];
  }

  setFaults(faults: readonly Fault[]): void {
    this.faults.set(faults);
  }

  setApp(app: StandInApp): void {
    this.sts.setApp(app);
  }

  setGroups(groups: readonly StandInGroup[]): void {
    this.directory.setGroups(groups);
  }

  /** Access tokens issued so far (to check that none leaks into logs or errors). */
  issuedTokens(): string[] {
    return this.sts.issued();
  }

  /** Every issued access token expires now. */
  expireTokens(): void {
    this.sts.expireAll();
  }

  /** Every delta token issued so far is rejected, as a 410 resync or a 400 syncStateNotFound. */
  expireDeltaTokens(mode: 'resync' | 'syncStateNotFound'): void {
    this.delta.expire(mode);
  }

  allUsers(): readonly StandInUser[] {
    return this.directory.allUsers();
  }

  addUser(user: StandInUser): void {
    this.directory.addUser(user);
  }

  updateUser(id: string, patch: Partial<StandInUser>): StandInUser {
    return this.directory.updateUser(id, patch);
  }

  /** `changed`: soft-deleted (restorable); `deleted`: permanently deleted. */
  removeUser(id: string, reason: 'changed' | 'deleted' = 'changed'): void {
    this.directory.removeUser(id, reason);
  }

  // ── request handling ───────────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const header = (name: string): string | undefined => headerOf(req, name);
    const route = routeOf(req.method ?? 'GET', url.pathname);
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      route,
      status: 0,
      consistencyLevel: header('consistencylevel'),
      authorization: Boolean(header('authorization')),
      clientRequestId: header('client-request-id'),
    };
    this.log.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    const body = req.method === 'POST' ? await readBody(req) : '';
    // The answer is made before a fault is taken: a faulted request still issues its tokens and pages.
    const reply = this.dispatch(route, url, header, body, entry);
    const fault = this.faults.take(route, entry.page);
    if (fault) {
      entry.fault = fault.type;
      const faulted = await applyFault(fault, {
        req,
        res,
        route,
        clientRequestId: header('client-request-id'),
        expireToken: () => this.sts.expire(header('authorization')),
        emptyPage: () => this.pager.emptyPage(url.searchParams.get('$skiptoken')),
      });
      if (faulted === 'done') return;
    }
    send(res, reply, header('client-request-id'));
  }

  private dispatch(
    route: Route,
    url: URL,
    header: (n: string) => string | undefined,
    body: string,
    entry: LoggedRequest,
  ): Reply {
    const path = url.pathname;
    const tenant = path.split('/')[1] ?? '';
    if (route === 'token') return this.sts.token(tenant, body, header('authorization'));
    if (route === 'metadata') return this.sts.metadata(tenant);
    if (route === 'other')
      return graphError(400, 'BadRequest', `Resource not found for the segment '${path}'.`);
    const auth = this.sts.authorize(header('authorization'));
    if (auth instanceof Reply) return auth;
    const eventual = header('consistencylevel')?.toLowerCase() === 'eventual';
    const request = { url, eventual, note: entry };
    try {
      const skip = url.searchParams.get('$skiptoken');
      if (skip !== null) return this.pager.resume(skip, eventual, entry);
      switch (route) {
        case 'users':
          if (!auth.has('User.Read.All')) return denied();
          return listUsers(this.listings, request);
        case 'delta':
          if (!auth.has('User.Read.All')) return denied();
          return this.delta.handle(url, entry);
        case 'groups':
          if (!auth.has('GroupMember.Read.All')) return denied();
          return listGroups(this.listings, request);
        case 'members':
        case 'transitiveMembers':
          if (!auth.has('GroupMember.Read.All')) return denied();
          return listMembers(this.listings, route, request, auth.has('User.Read.All'));
      }
    } catch (e) {
      // Query checks deep inside throw Graph's error answer.
      if (e instanceof Reply) return e;
      throw e;
    }
  }
}

/** Starts a stand-in on 127.0.0.1 with a fresh CA. Close it when done. */
export async function startGraphStandIn(options: GraphStandInOptions = {}): Promise<GraphStandIn> {
  const standIn = new GraphStandIn(options);
  await standIn.listen();
  return standIn;
}
