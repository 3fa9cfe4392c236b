/**
 * The stand-in answers as graph.md describes, including paths the entra source does not take
 * (casts, direct members, RS256 assertions, an initial delta round). Plain undici requests.
 */
import { createHash, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUsers, makeGuest, objectId } from './fixtures.js';
import { createClientCertificate } from './pki.js';
import { DEFAULT_CLIENT, DEFAULT_SECRET, type GraphStandIn, startGraphStandIn } from './server.js';

const CERT_CLIENT = 'cccccccc-0000-4000-8000-000000000001';
let s: GraphStandIn;
let agent: Agent;
let token: string;
let certKeyPem: string;
let certPem: string;

type Json = Record<string, unknown>;

async function call(
  method: 'GET' | 'POST',
  url: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Json }> {
  const res = await request(url.startsWith('https:') ? url : `${s.url}${url}`, {
    method,
    dispatcher: agent,
    ...options,
  });
  return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Json };
}

const get = (url: string, headers: Record<string, string> = {}) =>
  call('GET', url, { headers: { authorization: `Bearer ${token}`, ...headers } });

function tokenRequest(fields: Record<string, string>, headers: Record<string, string> = {}) {
  return call('POST', `/${s.tenantId}/oauth2/v2.0/token`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

function rs256Assertion(overrides: Json = {}): string {
  const x509 = new X509Certificate(certPem);
  const now = Math.floor(Date.now() / 1000);
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const header = { alg: 'RS256', typ: 'JWT', x5t: createHash('sha1').update(x509.raw).digest('base64url') };
  const payload = {
    aud: `${s.url}/${s.tenantId}/oauth2/v2.0/token`,
    iss: CERT_CLIENT,
    sub: CERT_CLIENT,
    jti: randomUUID(),
    nbf: now,
    exp: now + 600,
    ...overrides,
  };
  const input = `${enc(header)}.${enc(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), certKeyPem).toString('base64url')}`;
}

beforeAll(async () => {
  const g1 = objectId(1, 2);
  const g2 = objectId(2, 2);
  s = await startGraphStandIn({
    users: [...generateUsers({ count: 5 }), makeGuest(5)],
    groups: [
      { id: g1, displayName: 'Door Access', members: [objectId(0), g2, objectId(1, 3)] },
      { id: g2, displayName: 'Nested', members: [objectId(1), objectId(2)] },
    ],
    objects: [{ id: objectId(1, 3), '@odata.type': '#microsoft.graph.device', displayName: 'Kiosk' }],
    deltaPageSize: 4,
  });
  agent = new Agent({ connect: { ca: readFileSync(s.caFile, 'utf8') } });
  const dir = path.join(s.pki.dir, 'c');
  mkdirSync(dir);
  const cert = createClientCertificate(dir, 'rs');
  certPem = cert.certPem;
  certKeyPem = readFileSync(cert.file, 'utf8').replace(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/,
    '',
  );
  s.setApp({ clientId: CERT_CLIENT, certificatePem: cert.certPem });
  const t = await tokenRequest({
    client_id: DEFAULT_CLIENT,
    client_secret: DEFAULT_SECRET,
    scope: `${s.url}/.default`,
    grant_type: 'client_credentials',
    'x-client-SKU': 'ignored',
  });
  token = String(t.body.access_token);
});
afterAll(async () => {
  await agent.close();
  await s.close();
});

describe('STS', () => {
  it('issues tokens for a secret in Basic auth and for an RS256/x5t assertion', async () => {
    const basic = Buffer.from(`${DEFAULT_CLIENT}:${DEFAULT_SECRET}`).toString('base64');
    const a = await tokenRequest(
      { scope: `${s.url}/.default`, grant_type: 'client_credentials' },
      { authorization: `Basic ${basic}` },
    );
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    const assertion = {
      client_id: CERT_CLIENT,
      scope: `${s.url}/.default`,
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    };
    expect((await tokenRequest({ ...assertion, client_assertion: rs256Assertion() })).status).toBe(200);
    const old = await tokenRequest({
      ...assertion,
      client_assertion: rs256Assertion({ exp: 1_000, nbf: 400 }),
    });
    expect([old.status, old.body.error_codes]).toEqual([401, [700024]]);
    const aud = await tokenRequest({
      ...assertion,
      client_assertion: rs256Assertion({ aud: 'https://elsewhere/token' }),
    });
    expect(aud.body.error_codes).toEqual([700027]);
  });

  it('answers AADSTS errors in the v2 shape', async () => {
    const r = await tokenRequest({
      client_id: DEFAULT_CLIENT,
      client_secret: DEFAULT_SECRET,
      scope: 'https://graph.microsoft.com/.default',
      grant_type: 'client_credentials',
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      error: 'invalid_scope',
      error_codes: [70011],
      error_uri: 'https://login.microsoftonline.com/error?code=70011',
    });
    expect(String(r.body.error_description)).toMatch(
      /^AADSTS70011: [\s\S]*\r\nTrace ID: [\s\S]*\r\nCorrelation ID: [\s\S]*\r\nTimestamp: /,
    );
  });

  it('serves the OpenID metadata the SDK path needs', async () => {
    const r = await call('GET', `/${s.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(r.body).toMatchObject({
      token_endpoint: `${s.url}/${s.tenantId}/oauth2/v2.0/token`,
      issuer: `${s.url}/${s.tenantId}/v2.0`,
    });
    expect(r.body.jwks_uri).toBeTypeOf('string');
    expect(r.body.authorization_endpoint).toBeTypeOf('string');
  });
});

describe('Graph', () => {
  it('needs a bearer token, and echoes client-request-id', async () => {
    const r = await call('GET', '/v1.0/users', { headers: { 'client-request-id': 'abc' } });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({
      error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' },
    });
    expect((r.body.error as Json).innerError).toMatchObject({
      'request-id': expect.any(String),
      date: expect.any(String),
    });
    expect(r.headers['client-request-id']).toBe('abc');
  });

  it('returns the default properties without $select, and bounds $top', async () => {
    const r = await get('/v1.0/users?$top=2');
    const first = (r.body.value as Json[])[0]!;
    expect(Object.keys(first).sort()).toContain('businessPhones');
    expect(first).not.toHaveProperty('accountEnabled');
    expect(r.body['@odata.nextLink']).toMatch(/\/v1\.0\/users\?\$top=2&\$skiptoken=/);
    expect(String(r.headers['content-type'])).toMatch(/^application\/json;odata.metadata=minimal/);
    const big = await get('/v1.0/users?$top=1000');
    expect(big.body).toMatchObject({
      error: { code: 'Request_UnsupportedQuery', message: expect.stringContaining("'1000'") },
    });
    const unknown = await get('/v1.0/users?$select=id,skills2');
    expect(unknown.status).toBe(400);
  });

  it('needs ConsistencyLevel and $count for advanced filters; @odata.count on the first page only', async () => {
    const plain = await get("/v1.0/users?$filter=endsWith(mail,'@contoso.com')");
    expect(plain.body).toMatchObject({
      error: { code: 'Request_UnsupportedQuery', message: expect.stringMatching(/^Operator 'endsWith'/) },
    });
    const adv = await get("/v1.0/users?$filter=endsWith(mail,'@contoso.com')&$count=true&$top=2", {
      consistencylevel: 'eventual',
    });
    expect(adv.body['@odata.count']).toBe(5);
    const next = String(adv.body['@odata.nextLink']);
    expect((await get(next)).status).toBe(400);
    const page2 = await get(next, { consistencylevel: 'eventual' });
    expect(page2.body).not.toHaveProperty('@odata.count');
    expect((await get("/v1.0/users?$filter=userType eq 'Guest'")).body.value).toHaveLength(1);
  });

  it('lists direct and transitive members, with and without the user cast', async () => {
    const g1 = objectId(1, 2);
    const direct = await get(`/v1.0/groups/${g1}/members?$select=id,mail`);
    expect((direct.body.value as Json[]).map((v) => v['@odata.type'])).toEqual([
      '#microsoft.graph.user',
      '#microsoft.graph.group',
      '#microsoft.graph.device',
    ]);
    const all = await get(`/v1.0/groups/${g1}/transitiveMembers?$select=id,mail`);
    expect(all.body.value).toHaveLength(5);
    const cast = await get(`/v1.0/groups/${g1}/transitiveMembers/microsoft.graph.user?$select=id,mail`);
    expect((cast.body.value as Json[]).map((v) => v.id)).toEqual([objectId(0), objectId(1), objectId(2)]);
    expect(cast.body.value as Json[]).not.toContainEqual(
      expect.objectContaining({ '@odata.type': expect.anything() }),
    );
    expect(String(cast.body['@odata.context'])).toContain('#users(');
    const missing = await get(`/v1.0/groups/${objectId(9, 2)}/transitiveMembers`);
    expect([missing.status, (missing.body.error as Json).code]).toEqual([404, 'Request_ResourceNotFound']);
  });

  it('runs an initial delta round with nextLinks and a deltaLink, and refuses $top', async () => {
    let next: string | undefined = '/v1.0/users/delta?$select=id,mail,surname';
    const seen: Json[] = [];
    let deltaLink = '';
    while (next) {
      const r = await get(next);
      seen.push(...(r.body.value as Json[]));
      next = r.body['@odata.nextLink'] as string | undefined;
      deltaLink = (r.body['@odata.deltaLink'] as string | undefined) ?? deltaLink;
    }
    expect(seen).toHaveLength(6);
    expect(deltaLink).toMatch(/\$deltatoken=/);
    s.updateUser(objectId(3), { surname: 'New' });
    s.removeUser(objectId(4), 'deleted');
    const changes = await get(deltaLink);
    expect(changes.body.value).toEqual([
      { id: objectId(3), mail: expect.any(String), surname: 'New' },
      { id: objectId(4), '@removed': { reason: 'deleted' } },
    ]);
    expect((await get('/v1.0/users/delta?$top=5')).status).toBe(400);
  });

  it('sends 429 with Retry-After and the throttling body', async () => {
    s.setFaults([{ route: 'users', action: { type: 'status', status: 429, retryAfter: '2.128' } }]);
    const r = await get('/v1.0/users');
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('2.128');
    expect(r.body).toMatchObject({ error: { code: 'TooManyRequests', innerError: expect.any(Object) } });
    expect((await get('/v1.0/users')).status).toBe(200);
  });
});
