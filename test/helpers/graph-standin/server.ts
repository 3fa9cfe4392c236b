/**
 * A local Microsoft Graph + Entra STS stand-in over real HTTPS (graph.md §8): the v2.0 token
 * endpoint (client secret and client assertion, AADSTS errors), OpenID metadata, /v1.0/users with
 * $select/$top/$filter and opaque $skiptoken nextLinks, group lookup, (transitive) members,
 * /users/delta with a change log, and per-page fault injection. Loopback only.
 */
import {
  createHash,
  constants as cryptoConstants,
  randomBytes,
  randomUUID,
  verify,
  X509Certificate,
} from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { compileFilter, FilterError } from './filter.js';
import type { StandInGroup, StandInObject, StandInUser } from './fixtures.js';
import { createServerPki, type ServerPki } from './pki.js';

export type Route =
  | 'token'
  | 'metadata'
  | 'users'
  | 'delta'
  | 'groups'
  | 'members'
  | 'transitiveMembers'
  | 'other';
export type Permission = 'User.Read.All' | 'GroupMember.Read.All';

export type FaultAction =
  /** An error answer; `retryAfter` is sent verbatim as the Retry-After header. */
  | { readonly type: 'status'; readonly status: number; readonly retryAfter?: string; readonly code?: string }
  /** The TCP connection is destroyed before any answer. */
  | { readonly type: 'reset' }
  /** Headers and half the body are sent, then the connection is destroyed. */
  | { readonly type: 'reset-mid-body' }
  /** The answer is delayed. */
  | { readonly type: 'delay'; readonly ms: number }
  /** The caller's access token expires now; the answer is 401 InvalidAuthenticationToken. */
  | { readonly type: 'expire-token' }
  /** An empty page whose nextLink points at the same place (pages 2 and later). */
  | { readonly type: 'empty-page' }
  /** An empty page whose nextLink points at another host. */
  | { readonly type: 'foreign-link' };

export interface Fault {
  /** Route the fault applies to; 'graph' means any /v1.0 route. */
  readonly route: Route | 'graph';
  /** 1-based page of a listing (delta rounds count their own pages); omitted: every request. */
  readonly page?: number;
  /** How many matching requests get the fault (default 1; Infinity: all). */
  readonly times?: number;
  readonly action: FaultAction;
}

export interface StandInApp {
  readonly clientId: string;
  readonly secret?: string;
  /** The secret is right but expired (AADSTS7000222). */
  readonly secretExpired?: boolean;
  /** The certificate uploaded to the app registration (PEM). */
  readonly certificatePem?: string;
  /** Application permissions with admin consent (default: both). */
  readonly permissions?: readonly Permission[];
}

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

export interface LoggedRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly route: Route;
  /** Page of a listing, when the request was one. */
  page?: number;
  status: number;
  readonly consistencyLevel: string | undefined;
  readonly authorization: boolean;
  readonly clientRequestId: string | undefined;
  fault?: string;
}

export const DEFAULT_TENANT = '11111111-2222-4333-8444-555555555555';
export const DEFAULT_CLIENT = '99999999-8888-4777-8666-555555555555';
export const DEFAULT_SECRET = 'stand-in~secret.value';
const GRAPH_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const DEFAULT_SELECT = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
const COLLECTIONS = new Set(['businessPhones', 'otherMails', 'proxyAddresses']);
const USER_PROPERTIES = new Set([
  ...DEFAULT_SELECT,
  'accountEnabled',
  'employeeId',
  'employeeType',
  'userType',
  'otherMails',
  'proxyAddresses',
  'onPremisesImmutableId',
  'onPremisesExtensionAttributes',
  'onPremisesSamAccountName',
  'department',
  'companyName',
  'createdDateTime',
]);

interface Chain {
  readonly route: Route;
  readonly items: readonly unknown[];
  readonly project: (item: unknown) => unknown;
  readonly pageSize: number;
  /** Path + query of the first request, without $skiptoken, for nextLinks. */
  readonly nextBase: string;
  readonly advanced: boolean;
  readonly context: string;
  readonly count: number | undefined;
  /** Extra members of the last page (the deltaLink). */
  readonly last: (() => Record<string, unknown>) | undefined;
}

interface Cursor {
  readonly chain: Chain;
  readonly offset: number;
  readonly page: number;
}

interface ChangeEntry {
  readonly seq: number;
  readonly id: string;
  readonly user?: StandInUser;
  readonly removed?: 'changed' | 'deleted';
}

interface DeltaToken {
  readonly seq: number;
  readonly select: readonly string[];
  expired?: 'resync' | 'syncStateNotFound';
}

class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

const b64url = (buf: Buffer): string => buf.toString('base64url');

export class GraphStandIn {
  readonly tenantId: string;
  readonly pki: ServerPki;
  private readonly server: Server;
  private origin = '';
  private readonly options: GraphStandInOptions;
  private readonly apps = new Map<string, StandInApp>();
  private readonly users = new Map<string, StandInUser>();
  private readonly everSet = new Map<string, Set<string>>();
  private groups = new Map<string, StandInGroup>();
  private readonly objects = new Map<string, StandInObject>();
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private readonly cursors = new Map<string, Cursor>();
  private readonly deltaTokens = new Map<string, DeltaToken>();
  private readonly changes: ChangeEntry[] = [];
  private seq = 0;
  private faults: { fault: Fault; hits: number }[] = [];
  private log: LoggedRequest[] = [];
  tokenLifetimeSeconds: number;

  constructor(options: GraphStandInOptions = {}) {
    this.options = options;
    this.tenantId = options.tenantId ?? DEFAULT_TENANT;
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3599;
    for (const app of options.apps ?? [{ clientId: DEFAULT_CLIENT, secret: DEFAULT_SECRET }])
      this.setApp(app);
    for (const u of options.users ?? []) this.users.set(u.id, u);
    this.setGroups(options.groups ?? []);
    for (const o of options.objects ?? []) this.objects.set(o.id, o);
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
    this.faults = faults.map((fault) => ({ fault, hits: 0 }));
  }

  setApp(app: StandInApp): void {
    this.apps.set(app.clientId, app);
  }

  setGroups(groups: readonly StandInGroup[]): void {
    this.groups = new Map(groups.map((g) => [g.id, g]));
  }

  /** Access tokens issued so far (to check that none leaks into logs or errors). */
  issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  /** Every issued access token expires now. */
  expireTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  /** Every delta token issued so far is rejected, as a 410 resync or a 400 syncStateNotFound. */
  expireDeltaTokens(mode: 'resync' | 'syncStateNotFound'): void {
    for (const t of this.deltaTokens.values()) t.expired = mode;
  }

  allUsers(): readonly StandInUser[] {
    return [...this.users.values()];
  }

  addUser(user: StandInUser): void {
    this.users.set(user.id, user);
    this.record({ id: user.id, user });
  }

  updateUser(id: string, patch: Partial<StandInUser>): StandInUser {
    const old = this.users.get(id);
    if (!old) throw new Error(`no user ${id}`);
    const user = { ...old, ...patch } as StandInUser;
    this.users.set(id, user);
    const set = this.everSet.get(id) ?? new Set<string>();
    for (const k of Object.keys(patch)) set.add(k);
    this.everSet.set(id, set);
    this.record({ id, user });
    return user;
  }

  /** `changed`: soft-deleted (restorable); `deleted`: permanently deleted. */
  removeUser(id: string, reason: 'changed' | 'deleted' = 'changed'): void {
    if (!this.users.delete(id)) throw new Error(`no user ${id}`);
    this.record({ id, removed: reason });
  }

  private record(entry: Omit<ChangeEntry, 'seq'>): void {
    this.seq++;
    this.changes.push({ seq: this.seq, ...entry });
  }

  // ── request handling ───────────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
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
    const reply = this.dispatch(route, url, header, body, entry);
    const fault = this.takeFault(route, entry.page);
    if (fault) {
      entry.fault = fault.type;
      const faulted = await this.applyFault(fault, req, res, url, header, entry);
      if (faulted === 'done') return;
    }
    send(res, reply, header('client-request-id'));
  }

  private takeFault(route: Route, page: number | undefined): FaultAction | undefined {
    for (const f of this.faults) {
      const routeOk = f.fault.route === route || (f.fault.route === 'graph' && isGraphRoute(route));
      const pageOk = f.fault.page === undefined || f.fault.page === page;
      if (routeOk && pageOk && f.hits < (f.fault.times ?? 1)) {
        f.hits++;
        return f.fault.action;
      }
    }
    return undefined;
  }

  private async applyFault(
    action: FaultAction,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    header: (n: string) => string | undefined,
    entry: LoggedRequest,
  ): Promise<'done' | 'continue'> {
    switch (action.type) {
      case 'delay':
        await new Promise((r) => setTimeout(r, action.ms));
        return 'continue';
      case 'reset':
        req.socket.destroy();
        return 'done';
      case 'reset-mid-body': {
        res.writeHead(200, { 'content-type': GRAPH_CONTENT_TYPE, 'content-length': '100000' });
        res.write('{"value":[{"id":"');
        setTimeout(() => req.socket.destroy(), 20);
        return 'done';
      }
      case 'expire-token': {
        const token = /^Bearer (.+)$/.exec(header('authorization') ?? '')?.[1];
        const t = token ? this.tokens.get(token) : undefined;
        if (t) t.expiresAt = 0;
        send(
          res,
          graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'),
          header('client-request-id'),
        );
        return 'done';
      }
      case 'empty-page': {
        const skip = url.searchParams.get('$skiptoken');
        const cursor = skip ? this.cursors.get(skip) : undefined;
        if (!cursor) return 'continue';
        const again = this.newCursorToken(cursor);
        const next = `${this.origin}${cursor.chain.nextBase}${cursor.chain.nextBase.includes('?') ? '&' : '?'}$skiptoken=${again}`;
        send(
          res,
          new Reply(200, { '@odata.context': cursor.chain.context, '@odata.nextLink': next, value: [] }),
          header('client-request-id'),
        );
        return 'done';
      }
      case 'foreign-link': {
        const next = 'https://graph.example.net/v1.0/users?$skiptoken=elsewhere';
        send(res, new Reply(200, { '@odata.nextLink': next, value: [] }), header('client-request-id'));
        return 'done';
      }
      case 'status': {
        const headers: Record<string, string> =
          action.retryAfter !== undefined ? { 'retry-after': action.retryAfter } : {};
        const code = action.code ?? STATUS_CODES[action.status] ?? 'UnknownError';
        const message =
          action.status === 429 ? 'Please retry again later.' : 'The service is temporarily unavailable.';
        const reply =
          entry.route === 'token'
            ? stsError(
                action.status,
                'temporarily_unavailable',
                0,
                'AADSTS50196: The server is busy. Try again later.',
              )
            : graphError(action.status, code, message, headers);
        send(
          res,
          new Reply(reply.status, reply.body, { ...reply.headers, ...headers }),
          header('client-request-id'),
        );
        return 'done';
      }
    }
  }

  private dispatch(
    route: Route,
    url: URL,
    header: (n: string) => string | undefined,
    body: string,
    entry: LoggedRequest,
  ): Reply {
    const path = url.pathname;
    if (route === 'token') return this.token(path.split('/')[1] ?? '', body, header('authorization'));
    if (route === 'metadata') return this.metadata(path.split('/')[1] ?? '');
    if (route === 'other')
      return graphError(400, 'BadRequest', `Resource not found for the segment '${path}'.`);
    const auth = this.authorize(header('authorization'));
    if (auth instanceof Reply) return auth;
    const eventual = header('consistencylevel')?.toLowerCase() === 'eventual';
    try {
      const skip = url.searchParams.get('$skiptoken');
      if (skip !== null) return this.continueChain(skip, eventual, entry);
      switch (route) {
        case 'users':
          if (!auth.has('User.Read.All')) return denied();
          return this.users_(url, eventual, entry);
        case 'delta':
          if (!auth.has('User.Read.All')) return denied();
          return this.delta(url, entry);
        case 'groups':
          if (!auth.has('GroupMember.Read.All')) return denied();
          return this.groupList(url, eventual, entry);
        case 'members':
        case 'transitiveMembers':
          if (!auth.has('GroupMember.Read.All')) return denied();
          return this.members(route, url, eventual, auth.has('User.Read.All'), entry);
      }
    } catch (e) {
      if (e instanceof Reply) return e;
      throw e;
    }
  }

  // ── STS ────────────────────────────────────────────────────────────────────────────────────

  private tokenUrl(tenant: string): string {
    return `${this.origin}/${tenant}/oauth2/v2.0/token`;
  }

  private knownTenant(tenant: string): boolean {
    return (
      tenant.toLowerCase() === this.tenantId ||
      tenant.toLowerCase() === this.options.tenantDomain?.toLowerCase()
    );
  }

  private metadata(tenant: string): Reply {
    if (!this.knownTenant(tenant)) {
      return stsError(
        400,
        'invalid_tenant',
        90002,
        `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    const base = `${this.origin}/${tenant}`;
    return new Reply(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      issuer: `${base}/v2.0`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      cloud_instance_name: 'microsoftonline.com',
      msgraph_host: 'graph.microsoft.com',
    });
  }

  private token(tenant: string, body: string, authorization: string | undefined): Reply {
    const form = new URLSearchParams(body);
    let clientId = form.get('client_id') ?? '';
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/i.exec(authorization ?? '')?.[1];
    if (basic) {
      const [id, pw] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      secret = decodeURIComponent(pw ?? '');
    }
    if (!this.knownTenant(tenant)) {
      return stsError(
        400,
        'invalid_request',
        90002,
        `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      );
    }
    const app = this.apps.get(clientId);
    if (!app) {
      return stsError(
        400,
        'unauthorized_client',
        700016,
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return stsError(
        400,
        'unsupported_grant_type',
        70003,
        'AADSTS70003: The app requested an unsupported grant type.',
      );
    }
    if (form.get('scope') !== `${this.origin}/.default`) {
      return stsError(
        400,
        'invalid_scope',
        70011,
        `AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope ${form.get('scope')} is not valid.`,
      );
    }
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (!app.secret || secret !== app.secret) {
        return stsError(
          401,
          'invalid_client',
          7000215,
          `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        );
      }
      if (app.secretExpired) {
        return stsError(
          401,
          'invalid_client',
          7000222,
          `AADSTS7000222: The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
        );
      }
    } else if (assertion !== null) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        return stsError(
          400,
          'invalid_request',
          90013,
          "AADSTS90013: Invalid input received from the user. 'client_assertion_type' is not valid.",
        );
      }
      const problem = this.checkAssertion(assertion, app, tenant);
      if (problem) return problem;
    } else {
      return stsError(
        401,
        'invalid_client',
        7000218,
        "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const accessToken = b64url(randomBytes(32));
    this.tokens.set(accessToken, { clientId, expiresAt: Date.now() + this.tokenLifetimeSeconds * 1000 });
    return new Reply(200, {
      token_type: 'Bearer',
      expires_in: this.tokenLifetimeSeconds,
      ext_expires_in: this.tokenLifetimeSeconds,
      access_token: accessToken,
    });
  }

  private checkAssertion(assertion: string, app: StandInApp, tenant: string): Reply | undefined {
    const unknownKey = (why: string): Reply =>
      stsError(
        401,
        'invalid_client',
        700027,
        `AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - ${why}]`,
      );
    const parts = assertion.split('.');
    if (parts.length !== 3)
      return stsError(400, 'invalid_request', 50027, 'AADSTS50027: JWT token is invalid or malformed.');
    const [h, p, s] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
      payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return stsError(400, 'invalid_request', 50027, 'AADSTS50027: JWT token is invalid or malformed.');
    }
    if (!app.certificatePem) return unknownKey('The key was not found.');
    const cert = new X509Certificate(app.certificatePem);
    const s256 = b64url(createHash('sha256').update(cert.raw).digest());
    const s1 = b64url(createHash('sha1').update(cert.raw).digest());
    if (header['x5t#S256'] !== s256 && header.x5t !== s1) return unknownKey('The key was not found.');
    const data = Buffer.from(`${h}.${p}`);
    const sig = Buffer.from(s, 'base64url');
    const ok =
      header.alg === 'PS256'
        ? verify(
            'sha256',
            data,
            { key: cert.publicKey, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
            sig,
          )
        : header.alg === 'RS256' && verify('sha256', data, cert.publicKey, sig);
    if (!ok) return unknownKey('The signature of the client assertion could not be verified.');
    if (payload.aud !== this.tokenUrl(tenant)) {
      return stsError(
        401,
        'invalid_client',
        700027,
        `AADSTS700027: Client assertion contains an invalid audience '${String(payload.aud)}'.`,
      );
    }
    if (payload.iss !== app.clientId || payload.sub !== app.clientId) {
      return stsError(
        401,
        'invalid_client',
        700021,
        "AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter.",
      );
    }
    const now = Date.now() / 1000;
    const skew = 300;
    if (
      typeof payload.exp !== 'number' ||
      typeof payload.nbf !== 'number' ||
      payload.exp <= now ||
      now < payload.nbf - skew
    ) {
      return stsError(
        401,
        'invalid_client',
        700024,
        'AADSTS700024: Client assertion is not within its valid time range.',
      );
    }
    return undefined;
  }

  private authorize(authorization: string | undefined): Set<Permission> | Reply {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!token) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const t = this.tokens.get(token);
    if (!t)
      return graphError(
        401,
        'InvalidAuthenticationToken',
        'CompactToken validation failed with reason code: 80049217.',
      );
    if (t.expiresAt <= Date.now()) {
      return graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    }
    const app = this.apps.get(t.clientId);
    return new Set(app?.permissions ?? ['User.Read.All', 'GroupMember.Read.All']);
  }

  // ── Graph ──────────────────────────────────────────────────────────────────────────────────

  private parseSelect(url: URL, valid: (p: string) => boolean, type: string): string[] | undefined {
    const raw = url.searchParams.get('$select');
    if (raw === null) return undefined;
    const props = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const p of props) {
      if (!valid(p))
        throw graphError(
          400,
          'Request_BadRequest',
          `Could not find a property named '${p}' on type '${type}'.`,
        );
    }
    return props;
  }

  private parseTop(url: URL): number {
    const raw = url.searchParams.get('$top');
    if (raw === null) return 100;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 999) {
      throw graphError(
        400,
        'Request_UnsupportedQuery',
        `Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`,
      );
    }
    return n;
  }

  private parseFilter(
    url: URL,
    eventual: boolean,
    alwaysAdvanced: boolean,
  ): { test: (o: Record<string, unknown>) => boolean; advanced: boolean } | undefined {
    const raw = url.searchParams.get('$filter');
    if (raw === null) return undefined;
    let compiled: ReturnType<typeof compileFilter>;
    try {
      compiled = compileFilter(raw);
    } catch (e) {
      const why = e instanceof FilterError ? e.message : String(e);
      throw graphError(
        400,
        'Request_UnsupportedQuery',
        `Unsupported or invalid query filter clause specified: ${why}.`,
      );
    }
    const needs = compiled.advanced ?? (alwaysAdvanced ? 'filter on members' : undefined);
    const count = url.searchParams.get('$count') === 'true';
    if (needs && !(eventual && count)) throw advancedMissing(needs);
    return { test: compiled.test, advanced: needs !== undefined };
  }

  private startChain(url: URL, chain: Omit<Chain, 'nextBase'>, entry: LoggedRequest): Reply {
    // nextLinks keep the other query parameters as the client sent them (graph.md §2).
    const query = url.search
      .slice(1)
      .split('&')
      .filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p))
      .join('&');
    const full: Chain = { ...chain, nextBase: query ? `${url.pathname}?${query}` : url.pathname };
    return this.servePage({ chain: full, offset: 0, page: 1 }, entry);
  }

  private newCursorToken(cursor: Cursor): string {
    const token = b64url(randomBytes(18));
    this.cursors.set(token, cursor);
    return token;
  }

  private continueChain(skip: string, eventual: boolean, entry: LoggedRequest): Reply {
    const cursor = this.cursors.get(skip);
    if (!cursor) {
      throw graphError(
        400,
        'Directory_ExpiredPageToken',
        'The specified page token value has expired and can no longer be included in your request.',
      );
    }
    if (cursor.chain.advanced && !eventual) throw advancedMissing('ConsistencyLevel');
    return this.servePage(cursor, entry);
  }

  private servePage(cursor: Cursor, entry: LoggedRequest): Reply {
    const { chain, offset, page } = cursor;
    entry.page = page;
    const end = Math.min(offset + chain.pageSize, chain.items.length);
    const value: unknown[] = [];
    for (let i = offset; i < end; i++) value.push(chain.project(chain.items[i]));
    const body: Record<string, unknown> = { '@odata.context': chain.context };
    if (page === 1 && chain.count !== undefined) body['@odata.count'] = chain.count;
    if (end < chain.items.length) {
      const token = this.newCursorToken({ chain, offset: end, page: page + 1 });
      const sep = chain.nextBase.includes('?') ? '&' : '?';
      body['@odata.nextLink'] = `${this.origin}${chain.nextBase}${sep}$skiptoken=${token}`;
    } else if (chain.last) Object.assign(body, chain.last());
    body.value = value;
    return new Reply(200, body);
  }

  private users_(url: URL, eventual: boolean, entry: LoggedRequest): Reply {
    const select = this.parseSelect(url, validUserProperty, 'microsoft.graph.user') ?? DEFAULT_SELECT;
    const pageSize = this.parseTop(url);
    const filter = this.parseFilter(url, eventual, false);
    const all = [...this.users.values()];
    const items = filter ? all.filter((u) => filter.test(u)) : all;
    const counted = eventual && url.searchParams.get('$count') === 'true';
    return this.startChain(
      url,
      {
        route: 'users',
        items,
        project: (u) => projectUser(u as StandInUser, select),
        pageSize,
        advanced: filter?.advanced ?? false,
        context: `${this.origin}/v1.0/$metadata#users(${select.join(',')})`,
        count: counted ? items.length : undefined,
        last: undefined,
      },
      entry,
    );
  }

  private groupList(url: URL, eventual: boolean, entry: LoggedRequest): Reply {
    const select = this.parseSelect(
      url,
      (p) => ['id', 'displayName', 'mail', 'description'].includes(p),
      'microsoft.graph.group',
    ) ?? ['id', 'displayName'];
    const filter = this.parseFilter(url, eventual, false);
    const all = [...this.groups.values()].map((g) => ({ id: g.id, displayName: g.displayName }));
    const items = filter ? all.filter((g) => filter.test(g)) : all;
    return this.startChain(
      url,
      {
        route: 'groups',
        items,
        project: (g) => pick(g as Record<string, unknown>, select),
        pageSize: this.parseTop(url),
        advanced: filter?.advanced ?? false,
        context: `${this.origin}/v1.0/$metadata#groups(${select.join(',')})`,
        count: undefined,
        last: undefined,
      },
      entry,
    );
  }

  private members(
    route: 'members' | 'transitiveMembers',
    url: URL,
    eventual: boolean,
    readUsers: boolean,
    entry: LoggedRequest,
  ): Reply {
    const m = /^\/v1\.0\/groups\/([^/]+)\/\w+(\/microsoft\.graph\.user)?$/.exec(url.pathname);
    const groupId = decodeURIComponent(m?.[1] ?? '');
    const cast = Boolean(m?.[2]);
    const group = this.groups.get(groupId);
    if (!group) {
      throw graphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    const select =
      this.parseSelect(
        url,
        (p) => validUserProperty(p) || p === 'description',
        'microsoft.graph.directoryObject',
      ) ?? DEFAULT_SELECT;
    const filter = this.parseFilter(url, eventual, true);
    const ids = route === 'members' ? [...group.members] : this.transitive(group);
    const objects: { type: string; obj: Record<string, unknown> }[] = [];
    for (const id of ids) {
      const user = this.users.get(id);
      const g = this.groups.get(id);
      const o = this.objects.get(id);
      if (user) objects.push({ type: '#microsoft.graph.user', obj: user });
      else if (cast) continue;
      else if (g)
        objects.push({
          type: '#microsoft.graph.group',
          obj: { id: g.id, displayName: g.displayName, mail: null },
        });
      else if (o) objects.push({ type: o['@odata.type'], obj: { ...o } });
    }
    const items = objects
      .filter((x) => (cast ? x.type === '#microsoft.graph.user' : true))
      .filter((x) => !filter || filter.test(x.obj));
    const project = (item: unknown): unknown => {
      const { type, obj } = item as { type: string; obj: Record<string, unknown> };
      const head = cast ? {} : { '@odata.type': type };
      if (type === '#microsoft.graph.user') {
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
    };
    return this.startChain(
      url,
      {
        route,
        items,
        project,
        pageSize: this.parseTop(url),
        advanced: filter?.advanced ?? false,
        context: `${this.origin}/v1.0/$metadata#${cast ? 'users' : 'directoryObjects'}(${select.join(',')})`,
        count: eventual && url.searchParams.get('$count') === 'true' ? items.length : undefined,
        last: undefined,
      },
      entry,
    );
  }

  /** Every object reachable from `root` through nested groups, each once; cycles are fine. */
  private transitive(root: StandInGroup): string[] {
    const seen = new Set<string>([root.id]);
    const out: string[] = [];
    const queue = [...root.members];
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(id);
      const nested = this.groups.get(id);
      if (nested) queue.push(...nested.members);
    }
    return out;
  }

  private delta(url: URL, entry: LoggedRequest): Reply {
    for (const k of ['$top', '$orderby', '$expand']) {
      if (url.searchParams.has(k))
        throw graphError(
          400,
          'Request_UnsupportedQuery',
          `The query parameter '${k}' is not supported with delta.`,
        );
    }
    const filter = url.searchParams.get('$filter');
    if (filter !== null && !/^id eq '[^']+'( or id eq '[^']+')*$/.test(filter)) {
      throw graphError(400, 'Request_UnsupportedQuery', 'Delta only supports $filter on id.');
    }
    const context = `${this.origin}/v1.0/$metadata#users(${url.searchParams.get('$select') ?? ''})`;
    const deltaLink = (seq: number, select: readonly string[]) => (): Record<string, unknown> => {
      const token = b64url(randomBytes(24));
      this.deltaTokens.set(token, { seq, select });
      return { '@odata.deltaLink': `${this.origin}/v1.0/users/delta?$deltatoken=${token}` };
    };
    const dt = url.searchParams.get('$deltatoken');
    if (dt === 'latest') {
      const select = this.parseSelect(url, validUserProperty, 'microsoft.graph.user') ?? DEFAULT_SELECT;
      return new Reply(200, { '@odata.context': context, ...deltaLink(this.seq, select)(), value: [] });
    }
    if (dt !== null) {
      const token = this.deltaTokens.get(dt);
      if (token?.expired === 'resync' || dt === '') {
        return graphError(
          410,
          'resyncRequired',
          'Resync required. Replace any local cached copies of the directory objects with the results of a full sync.',
          {
            location: `${this.origin}/v1.0/users/delta?$deltatoken=`,
          },
        );
      }
      if (!token || token.expired === 'syncStateNotFound') {
        return graphError(
          400,
          'syncStateNotFound',
          'The sync state generation is not found. Please restart the sync.',
        );
      }
      const items = this.changes.filter((c) => c.seq > token.seq);
      return this.startChain(
        url,
        {
          route: 'delta',
          items,
          project: (c) => {
            const change = c as ChangeEntry;
            if (change.removed) return { id: change.id, '@removed': { reason: change.removed } };
            return this.projectDelta(change.user!, token.select);
          },
          pageSize: this.options.deltaPageSize ?? 200,
          advanced: false,
          context,
          count: undefined,
          last: deltaLink(this.seq, token.select),
        },
        entry,
      );
    }
    const select = this.parseSelect(url, validUserProperty, 'microsoft.graph.user') ?? DEFAULT_SELECT;
    return this.startChain(
      url,
      {
        route: 'delta',
        items: [...this.users.values()],
        project: (u) => this.projectDelta(u as StandInUser, select),
        pageSize: this.options.deltaPageSize ?? 200,
        advanced: false,
        context,
        count: undefined,
        last: deltaLink(this.seq, select),
      },
      entry,
    );
  }

  /** Delta leaves out properties that were never set (graph.md §4). */
  private projectDelta(user: StandInUser, select: readonly string[]): Record<string, unknown> {
    const out = projectUser(user, select);
    const set = this.everSet.get(user.id);
    for (const [k, v] of Object.entries(out)) if (v === null && !set?.has(k)) delete out[k];
    return out;
  }
}

function routeOf(method: string, path: string): Route {
  if (method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) return 'token';
  if (/^\/[^/]+\/v2\.0\/\.well-known\/openid-configuration$/.test(path)) return 'metadata';
  if (method !== 'GET') return 'other';
  if (path === '/v1.0/users') return 'users';
  if (path === '/v1.0/users/delta') return 'delta';
  if (path === '/v1.0/groups') return 'groups';
  const m = /^\/v1\.0\/groups\/[^/]+\/(members|transitiveMembers)(\/microsoft\.graph\.user)?$/.exec(path);
  if (m) return m[1] as 'members' | 'transitiveMembers';
  return 'other';
}

const isGraphRoute = (r: Route): boolean => r !== 'token' && r !== 'metadata';

function validUserProperty(p: string): boolean {
  return USER_PROPERTIES.has(p) || p.startsWith('extension_');
}

function projectUser(user: StandInUser, select: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: user.id };
  for (const p of select) {
    if (p === 'id') continue;
    const v = user[p];
    out[p] = v === undefined ? (COLLECTIONS.has(p) ? [] : null) : v;
  }
  return out;
}

function pick(obj: Record<string, unknown>, select: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: obj.id };
  for (const p of select) out[p] = obj[p] ?? null;
  return out;
}

const STATUS_CODES: Record<number, string> = {
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

function innerError(): Record<string, string> {
  return {
    date: new Date().toISOString().slice(0, 19),
    'request-id': randomUUID(),
    'client-request-id': randomUUID(),
  };
}

function graphError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return new Reply(status, { error: { code, message, innerError: innerError() } }, headers);
}

function denied(): Reply {
  return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

function advancedMissing(op: string): Reply {
  return graphError(
    400,
    'Request_UnsupportedQuery',
    `Operator '${op}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
  );
}

function stsError(status: number, error: string, code: number, description: string): Reply {
  const trace = randomUUID();
  const correlation = randomUUID();
  const timestamp = `${new Date().toISOString().replace('T', ' ').slice(0, 19)}Z`;
  return new Reply(status, {
    error,
    error_description: `${description}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

function send(res: ServerResponse, reply: Reply, clientRequestId: string | undefined): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': reply.status < 300 ? GRAPH_CONTENT_TYPE : 'application/json',
    'request-id': randomUUID(),
    'client-request-id': clientRequestId ?? randomUUID(),
    'odata-version': '4.0',
    'content-length': Buffer.byteLength(text),
    ...reply.headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts a stand-in on 127.0.0.1 with a fresh CA. Close it when done. */
export async function startGraphStandIn(options: GraphStandInOptions = {}): Promise<GraphStandIn> {
  const standIn = new GraphStandIn(options);
  await standIn.listen();
  return standIn;
}
