/**
 * The entra source against the Graph stand-in over HTTPS, with the real Graph SDK and undici:
 * paging, scoping, credentials, error wording, throttling and faults, and delta.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  captureLogs,
  createTestSource,
  type LogCapture,
  testConfig,
  testContext,
} from '../../../test/helpers/graph-standin/harness.js';
import {
  createClientCertificate,
  DEFAULT_CLIENT,
  DEFAULT_SECRET,
  type GraphStandIn,
  generateUsers,
  makeGuest,
  makeUser,
  objectId,
  startGraphStandIn,
} from '../../../test/helpers/graph-standin/index.js';
import { pause, scaled } from '../../../test/helpers/timing.js';
import {
  AbortedError,
  ConfigError,
  SourceInvalidError,
  SourceUnavailableError,
  type SyncError,
} from '../../core/errors.js';
import type { SourceSnapshot } from '../../core/source.js';
import type { EntraConfig } from './config.js';
import type { EntraSource } from './source.js';

const EXPIRED_CLIENT = 'aaaaaaaa-0000-4000-8000-000000000001';
const NO_CONSENT_CLIENT = 'aaaaaaaa-0000-4000-8000-000000000002';
const CERT_CLIENT = 'aaaaaaaa-0000-4000-8000-000000000003';
const GROUPS_ONLY_CLIENT = 'aaaaaaaa-0000-4000-8000-000000000004';
/** Knows its certificate by the SHA-1 thumbprint only and refuses PS256 (AADSTS700027). */
const LEGACY_CERT_CLIENT = 'aaaaaaaa-0000-4000-8000-000000000005';

type Overrides = Parameters<typeof testConfig>[2];

const signal = (): AbortSignal => new AbortController().signal;
/** Records as plain objects with their places (a record builds its place when read, as a getter). */
const withPlaces = (records: SourceSnapshot['records']) => records.map((r) => ({ ...r, place: r.place }));
const open: EntraSource[] = [];

function sourceFor(
  standIn: GraphStandIn,
  overrides: Overrides = {},
  logs: LogCapture = captureLogs(),
  stateDir?: string,
) {
  const config: EntraConfig = testConfig(standIn, overrides?.clientId ?? DEFAULT_CLIENT, {
    clientSecret: overrides?.certificateFile ? '' : DEFAULT_SECRET,
    ...overrides,
  });
  const ctx = testContext(logs.logger, stateDir);
  const source = createTestSource(config, ctx);
  open.push(source);
  return { source, ctx, logs };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function failure(p: Promise<unknown>): Promise<SyncError> {
  try {
    await p;
  } catch (e) {
    return e as SyncError;
  }
  throw new Error('expected a rejection');
}

/** No secret, passphrase or access token in any log line or error text. */
function expectNoSecrets(standIn: GraphStandIn, texts: string[]): void {
  const all = texts.join('\n');
  for (const secret of [
    DEFAULT_SECRET,
    'wrong-secret',
    'old-secret',
    'pa55phrase',
    ...standIn.issuedTokens(),
  ]) {
    expect(all).not.toContain(secret);
  }
}

describe('a tenant of 2,500 users', () => {
  let s: GraphStandIn;
  const special = [
    makeUser(5000, { mail: null, proxyAddresses: ['SMTP:primary5000@contoso.com'] }),
    makeUser(5001, { mail: null, proxyAddresses: [], userPrincipalName: 'u5001@contoso.com' }),
    makeUser(5002, { mail: null, proxyAddresses: [], userPrincipalName: 'room@contoso.onmicrosoft.com' }),
    makeUser(5003, { givenName: null, surname: null, displayName: 'Hopper, Grace' }),
    makeGuest(5004, { userType: 'Member' }),
  ];

  const users = [...generateUsers({ count: 2_495, guestEvery: 50, disabledEvery: 40 }), ...special];
  const isGuest = (u: (typeof users)[number]): boolean =>
    u.userType === 'Guest' || u.userPrincipalName.includes('#EXT#');
  const guests = users.filter(isGuest).length;
  const disabled = users.filter((u) => !isGuest(u) && !u.accountEnabled).length;
  const expected = users.length - guests - disabled;
  let certFile: string;
  let otherCertFile: string;

  beforeAll(async () => {
    s = await startGraphStandIn({ users });
    const certs = path.join(s.pki.dir, 'clients');
    mkdirSync(certs);
    const cert = createClientCertificate(certs, 'app', 'pa55phrase');
    s.setApp({ clientId: EXPIRED_CLIENT, secret: 'old-secret', secretExpired: true });
    s.setApp({ clientId: NO_CONSENT_CLIENT, secret: DEFAULT_SECRET, permissions: [] });
    s.setApp({ clientId: CERT_CLIENT, certificatePem: cert.certPem });
    s.setApp({ clientId: LEGACY_CERT_CLIENT, certificatePem: cert.certPem, legacyAssertionsOnly: true });
    certFile = cert.file;
    otherCertFile = createClientCertificate(certs, 'not-uploaded').file;
  });
  afterAll(() => s.close());
  beforeEach(() => {
    s.resetRequests();
    s.setFaults([]);
  });

  it('reads every page with $top=999 and $select: ⌈2,500/999⌉ pages + one token request', async () => {
    const { source } = sourceFor(s, { delta: false });
    const snap = await source.fetch(signal());
    expect([guests, disabled]).toEqual([50, 50]);
    expect(snap.records.length).toBe(expected);
    expect(new Set(snap.records.map((r) => r.syncId)).size).toBe(snap.records.length);
    expect(snap.notices.map((n) => n.message)).toEqual([
      '50 guest accounts left out (includeGuests is off)',
      '50 disabled accounts left out (includeDisabled is off)',
    ]);
    expect(s.count('token')).toBe(1);
    expect(s.count('users')).toBe(3);
    expect(s.count()).toBe(4);
    const first = s.requests().find((r) => r.route === 'users')!;
    expect(first.url).toContain('$top=999');
    expect(decodeURIComponent(first.url)).toContain(
      '$select=id,userPrincipalName,displayName,userType,accountEnabled,givenName,surname,mail,proxyAddresses,employeeId',
    );
    expect(s.requests().every((r) => r.status === 200)).toBe(true);
    const ada = snap.records[0]!;
    expect(ada).toMatchObject({
      firstName: 'Ada',
      lastName: 'Lovelace0',
      email: 'ada.lovelace0@contoso.com',
      id: '1000',
    });
    expect(ada.place).toEqual({
      source: 'entra',
      kind: 'entra',
      ref: `users/${objectId(0)} (ada.lovelace0@contoso.com)`,
    });
    expect(snap.description).toMatch(/2,400 users \(full read\)/);
  });

  it('includes guests and disabled accounts when asked', async () => {
    const { source } = sourceFor(s, { delta: false, includeGuests: true, includeDisabled: true });
    expect((await source.fetch(signal())).records).toHaveLength(2_500);
  });

  it('falls back for missing mail and names, and reports each fallback', async () => {
    const { source } = sourceFor(s, { delta: false });
    const snap = await source.fetch(signal());
    const bySync = new Map(snap.records.map((r) => [r.syncId, r]));
    expect(bySync.get(objectId(5000))).toMatchObject({
      email: 'primary5000@contoso.com',
      notes: ['e-mail taken from proxyAddresses because mail is empty'],
    });
    expect(bySync.get(objectId(5001))).toMatchObject({
      email: 'u5001@contoso.com',
      notes: ['e-mail taken from userPrincipalName because mail is empty'],
    });
    expect(bySync.get(objectId(5002))?.email).toBeUndefined();
    expect(bySync.get(objectId(5002))?.notes?.[0]).toMatch(/room@contoso.onmicrosoft.com is not a mailbox/);
    expect(bySync.get(objectId(5003))).toMatchObject({ firstName: 'Grace', lastName: 'Hopper' });
    expect(bySync.has(objectId(5004))).toBe(false);
  });

  it('builds the ID from a zero-padded template', async () => {
    const { source } = sourceFor(s, { delta: false, map: { id: 'B{employeeId:8}' } });
    expect((await source.fetch(signal())).records[1]?.id).toBe('B00001001');
  });

  it('signs in with a certificate (PS256 client assertion, encrypted key)', async () => {
    const { source, logs } = sourceFor(s, {
      clientId: CERT_CLIENT,
      certificateFile: certFile,
      certificatePassphrase: 'pa55phrase',
      delta: false,
    });
    expect((await source.fetch(signal())).records.length).toBeGreaterThan(2_000);
    const check = await source.check(signal());
    expect(check.ok).toBe(true);
    expect(check.lines.join('\n')).toMatch(
      /with a certificate: OK[\s\S]*certificate [0-9A-F]{40} \(CN=app\) expires in 1 days — renew it soon/,
    );
    expectNoSecrets(s, [logs.text(), ...check.lines]);
  });

  describe('a tenant that knows the certificate by its SHA-1 thumbprint only (RS256 + x5t)', () => {
    const legacy = (certificateAlgorithm: 'auto' | 'PS256' | 'RS256') =>
      sourceFor(s, {
        clientId: LEGACY_CERT_CLIENT,
        certificateFile: certFile,
        certificatePassphrase: 'pa55phrase',
        certificateAlgorithm,
        delta: false,
      });
    const tokenStatuses = (): number[] =>
      s
        .requests()
        .filter((r) => r.route === 'token')
        .map((r) => r.status);

    it('auto: PS256 is refused with AADSTS700027, RS256 + x5t follows once and is kept', async () => {
      const { source, logs } = legacy('auto');
      expect((await source.fetch(signal())).records.length).toBe(expected);
      expect(tokenStatuses()).toEqual([401, 200]);
      expect(logs.text()).toContain('trying RS256 with the SHA-1 thumbprint (x5t)');
      const check = await source.check(signal());
      expect(check.ok).toBe(true);
      expect(check.lines.join('\n')).toMatch(/client assertion: RS256 .* refused PS256 \(AADSTS700027\)/);
      // The provider remembers: the check's new token was asked for with RS256 straight away.
      expect(tokenStatuses()).toEqual([401, 200, 200]);
    });

    it('RS256: one token request, no refused first try', async () => {
      const { source } = legacy('RS256');
      expect((await source.fetch(signal())).records.length).toBe(expected);
      expect(tokenStatuses()).toEqual([200]);
    });

    it('PS256: the refusal is explained, no fallback', async () => {
      const { source } = legacy('PS256');
      const e = await failure(source.fetch(signal()));
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.describe()).toMatch(/AADSTS700027/);
      expect(tokenStatuses()).toEqual([401]);
    });
  });

  it.each([
    ['a wrong secret', { clientSecret: 'wrong-secret' }, /AADSTS7000215[\s\S]*Secret ID/],
    [
      'an expired secret',
      { clientId: EXPIRED_CLIENT, clientSecret: 'old-secret' },
      /has expired \(AADSTS7000222\)/,
    ],
    [
      'an unknown client',
      { clientId: 'bbbbbbbb-0000-4000-8000-000000000009' },
      /does not know app .* \(AADSTS700016/,
    ],
    [
      'an unknown tenant',
      { tenantId: 'nowhere.onmicrosoft.com' },
      /Tenant nowhere.onmicrosoft.com does not exist .*AADSTS90002/,
    ],
    [
      'a certificate not uploaded',
      { clientId: CERT_CLIENT, certificateFile: '', clientSecret: '' },
      /AADSTS700027/,
    ],
    [
      'missing admin consent',
      { clientId: NO_CONSENT_CLIENT },
      /may not read users \(403 Authorization_RequestDenied[\s\S]*User.Read.All[\s\S]*Grant admin consent/,
    ],
  ] as const)('explains %s in fetch and in check', async (_name, overrides, message) => {
    const given: Overrides = overrides;
    const o: Overrides =
      given.clientId === CERT_CLIENT ? { ...given, certificateFile: otherCertFile } : given;
    const { source, logs } = sourceFor(s, o);
    const e = await failure(source.fetch(signal()));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.describe()).toMatch(message);
    const check = await source.check(signal());
    expect(check.ok).toBe(false);
    expect(check.lines.at(-1)).toMatch(/FAILED/);
    expect(check.lines.join('\n')).toMatch(message);
    expectNoSecrets(s, [logs.text(), e.describe(), String(e.stack), ...check.lines]);
    // Credential errors are not retried; a refused certificate is tried once more as RS256 (auto).
    expect(s.count('token')).toBeLessThanOrEqual(given.clientId === CERT_CLIENT ? 3 : 2);
  });

  it('check reports each step in plain words', async () => {
    const { source } = sourceFor(s, { filter: "userType eq 'Member'" });
    const result = await source.check(signal());
    expect(result).toEqual({
      ok: true,
      lines: [
        expect.stringMatching(
          /^sign-in to https:\/\/127\.0\.0\.1:\d+\/\S+ as app \S+ with a client secret: OK \(token valid for 60 min\)$/,
        ),
        expect.stringMatching(/^read users from https:\/\/127\.0\.0\.1:\d+: OK \(User.Read.All granted\)$/),
        `filter "userType eq 'Member'": OK`,
      ],
    });
  });

  it('waits out a 429 storm (Retry-After 0, fractional, HTTP-date, absent) and gets every page', async () => {
    s.setFaults([
      { route: 'users', page: 1, times: 2, action: { type: 'status', status: 429, retryAfter: '0' } },
      { route: 'users', page: 2, times: 1, action: { type: 'status', status: 429, retryAfter: '0.05' } },
      {
        route: 'users',
        page: 2,
        times: 1,
        action: { type: 'status', status: 429, retryAfter: new Date(Date.now() - 5_000).toUTCString() },
      },
      { route: 'users', page: 3, times: 1, action: { type: 'status', status: 429 } },
      { route: 'users', page: 3, times: 1, action: { type: 'status', status: 503, retryAfter: '0' } },
    ]);
    const { source, logs } = sourceFor(s, { delta: false });
    const snap = await source.fetch(signal());
    expect(snap.records.length).toBe(expected);
    expect(s.count('users')).toBe(3 + 6);
    expect(logs.text()).toContain('Graph request failed; retrying');
  });

  it('retries 500, 502, 504, a reset connection and a body cut short', async () => {
    s.setFaults([
      { route: 'users', page: 1, action: { type: 'status', status: 500 } },
      { route: 'users', page: 1, action: { type: 'reset' } },
      { route: 'users', page: 2, action: { type: 'status', status: 502 } },
      { route: 'users', page: 2, action: { type: 'reset-mid-body' } },
      { route: 'users', page: 3, action: { type: 'status', status: 504, retryAfter: '0' } },
    ]);
    const { source } = sourceFor(s, { delta: false });
    expect((await source.fetch(signal())).records.length).toBe(expected);
    expect(s.count('users')).toBe(3 + 5);
  });

  it('fails the whole read when page 2 keeps failing: no partial snapshot', async () => {
    s.setFaults([
      { route: 'users', page: 2, times: Number.POSITIVE_INFINITY, action: { type: 'status', status: 500 } },
    ]);
    const { source } = sourceFor(s, { delta: false, retries: { max: 2 } });
    const e = await failure(source.fetch(signal()));
    expect(e).toBeInstanceOf(SourceUnavailableError);
    expect(e.message).toMatch(
      /kept failing while reading users \(500 InternalServerError: .*\) after 3 tries; nothing was read/,
    );
    expect(e.place).toMatch(
      /^GET https:\/\/127\.0\.0\.1:\d+\/v1\.0\/users \(page 2\) \(request-id [0-9a-f-]{36}\)$/,
    );
    expect(s.count('users')).toBe(1 + 3);
  });

  /** The waits the transport logged before each retry, in ms. */
  const waits = (logs: LogCapture): number[] =>
    logs
      .text()
      .split('\n')
      .filter((l) => l.includes('Graph request failed; retrying'))
      .map((l) => (JSON.parse(l) as { waitMs: number }).waitMs);

  it('honours a Retry-After longer than maxDelayMs, up to maxRetryAfterMs', async () => {
    s.setFaults([
      { route: 'users', page: 1, times: 1, action: { type: 'status', status: 429, retryAfter: '0.25' } },
      { route: 'users', page: 2, times: 1, action: { type: 'status', status: 503, retryAfter: '3600' } },
      { route: 'users', page: 3, times: 1, action: { type: 'status', status: 429 } },
    ]);
    // ms-scale stand-ins for "maxDelayMs 120 s, Graph asks 300 s, maxRetryAfterMs 15 min".
    const { source, logs } = sourceFor(s, {
      delta: false,
      retries: { baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 300 },
    });
    expect((await source.fetch(signal())).records.length).toBe(expected);
    const [first, second, third] = waits(logs);
    // Retry-After 0.25 s is honoured although maxDelayMs is 2; 3600 s is bounded by maxRetryAfterMs.
    expect([first, second]).toEqual([250, 300]);
    // Without Retry-After our own backoff applies, capped by maxDelayMs.
    expect(third).toBeLessThanOrEqual(2);
  });

  it('stops waiting out a long Retry-After when the run is aborted', async () => {
    s.setFaults([
      {
        route: 'users',
        times: Number.POSITIVE_INFINITY,
        action: { type: 'status', status: 429, retryAfter: '900' },
      },
    ]);
    const { source, logs } = sourceFor(s, { delta: false, retries: { maxRetryAfterMs: 900_000 } });
    const ac = new AbortController();
    const read = failure(source.fetch(ac.signal));
    while (waits(logs).length === 0) await pause(10);
    expect(waits(logs)).toEqual([900_000]);
    ac.abort();
    expect(await read).toBeInstanceOf(AbortedError);
    expect(s.count('users')).toBe(1);
  });

  it('gives up on an endless 429 with SourceUnavailableError', async () => {
    s.setFaults([
      {
        route: 'users',
        times: Number.POSITIVE_INFINITY,
        action: { type: 'status', status: 429, retryAfter: '0' },
      },
    ]);
    const { source } = sourceFor(s, { delta: false, retries: { max: 3 } });
    const e = await failure(source.fetch(signal()));
    expect(e).toBeInstanceOf(SourceUnavailableError);
    expect(e.message).toMatch(/429 TooManyRequests.*after 4 tries/);
  });

  it('renews a token that expires mid-paging and carries on', async () => {
    s.setFaults([{ route: 'users', page: 2, action: { type: 'expire-token' } }]);
    const { source } = sourceFor(s, { delta: false });
    expect((await source.fetch(signal())).records.length).toBe(expected);
    expect(s.count('token')).toBe(2);
    expect(
      s
        .requests()
        .filter((r) => r.route === 'users')
        .map((r) => r.status),
    ).toEqual([200, 401, 200, 200]);
  });

  it('renews a short-lived token before it expires', async () => {
    s.tokenLifetimeSeconds = 1;
    try {
      s.setFaults([{ route: 'users', page: 2, action: { type: 'delay', ms: 700 } }]);
      const { source } = sourceFor(s, { delta: false });
      expect((await source.fetch(signal())).records.length).toBe(expected);
      expect(s.count('token')).toBe(2);
      expect(s.requests().every((r) => r.status === 200)).toBe(true);
    } finally {
      s.tokenLifetimeSeconds = 3599;
    }
  });

  it('follows an empty page that carries a nextLink', async () => {
    s.setFaults([{ route: 'users', page: 2, action: { type: 'empty-page' } }]);
    const { source } = sourceFor(s, { delta: false });
    expect((await source.fetch(signal())).records.length).toBe(expected);
    expect(s.count('users')).toBe(4);
  });

  it('retries a page slower than requestTimeoutMs', async () => {
    s.setFaults([{ route: 'users', page: 2, action: { type: 'delay', ms: scaled(1_500) } }]);
    const { source } = sourceFor(s, { delta: false, requestTimeoutMs: scaled(500) });
    expect((await source.fetch(signal())).records.length).toBe(expected);
    expect(s.count('users')).toBe(4);
  });

  it('never follows a nextLink to another host', async () => {
    s.setFaults([{ route: 'users', page: 1, action: { type: 'foreign-link' } }]);
    const { source } = sourceFor(s, { delta: false });
    const e = await failure(source.fetch(signal()));
    expect(e).toBeInstanceOf(SourceInvalidError);
    expect(e.message).toMatch(/paging link outside https:\/\/127\.0\.0\.1/);
    expect(s.count('users')).toBe(1);
  });

  it('stops when cancelled', async () => {
    s.setFaults([{ route: 'users', page: 2, action: { type: 'delay', ms: 2_000 } }]);
    const { source } = sourceFor(s, { delta: false });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    expect(await failure(source.fetch(ac.signal))).toBeInstanceOf(AbortedError);
  });

  it('re-sends ConsistencyLevel on every page of an advanced filter', async () => {
    const { source } = sourceFor(s, { filter: "endsWith(mail,'@contoso.com')" });
    const snap = await source.fetch(signal());
    // Users without mail (5000–5002) do not match.
    expect(snap.records.length).toBe(expected - 3);
    const users = s.requests().filter((r) => r.route === 'users');
    expect(users).toHaveLength(3);
    expect(users.every((r) => r.consistencyLevel === 'eventual' && r.url.includes('$count=true'))).toBe(true);
    // A filter turns delta off: users/delta cannot filter on anything but id.
    expect(s.count('delta')).toBe(0);
  });

  it('sends a filter Graph serves only in advanced mode (eq on an extension attribute) as an advanced query', async () => {
    const filter = "onPremisesExtensionAttributes/extensionAttribute1 eq 'B7'";
    const { source } = sourceFor(s, { filter });
    const snap = await source.fetch(signal());
    expect(snap.records.map((r) => r.syncId)).toEqual([objectId(7)]);
    const users = s.requests().filter((r) => r.route === 'users');
    expect(users.every((r) => r.consistencyLevel === 'eventual' && r.url.includes('$count=true'))).toBe(true);
    expect((await source.check(signal())).lines).toContain(`filter ${JSON.stringify(filter)}: OK`);
  });

  it('explains a filter Graph refuses on that property whatever the headers (startsWith on an extension attribute)', async () => {
    const { source } = sourceFor(s, {
      filter: "startsWith(onPremisesExtensionAttributes/extensionAttribute1,'B1')",
    });
    const e = await failure(source.fetch(signal()));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.describe()).toMatch(
      /Unsupported or invalid query filter clause specified for property 'onPremisesExtensionAttributes\/extensionAttribute1'[\s\S]*take only eq and ne/,
    );
  });

  it('explains a filter Graph rejects', async () => {
    const { source } = sourceFor(s, { filter: 'department gt 3' });
    const e = await failure(source.fetch(signal()));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.describe()).toMatch(
      /rejected the query for users \(400 Request_UnsupportedQuery[\s\S]*Check `filter`/,
    );
  });

  it('reports an untrusted TLS certificate as a configuration problem', async () => {
    const { source } = sourceFor(s, { caFile: '' });
    const e = await failure(source.fetch(signal()));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.describe()).toMatch(/TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted[\s\S]*caFile/);
  });
});

describe('an empty tenant', () => {
  it('returns an empty snapshot, not an error (the guard decides)', async () => {
    const s = await startGraphStandIn({ users: [] });
    try {
      const { source } = sourceFor(s);
      const snap = await source.fetch(signal());
      expect(snap.records).toEqual([]);
      expect(s.count('users')).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe('group scope', () => {
  let s: GraphStandIn;
  const user = (i: number): string => objectId(i);
  const group = (i: number): string => objectId(i, 2);
  const DOOR = group(1);
  const CONTRACTORS = group(2);
  const DEEP = group(3);
  const STAFF = group(4);
  const BIG = group(5);
  beforeAll(async () => {
    s = await startGraphStandIn({
      users: [
        ...generateUsers({ count: 10 }),
        makeGuest(10),
        makeUser(11, { accountEnabled: false }),
        ...generateUsers({ count: 1_500, start: 100 }),
      ],
      groups: [
        {
          id: DOOR,
          displayName: 'Door Access',
          members: [user(0), user(1), CONTRACTORS, objectId(1, 3), objectId(2, 3), user(10), user(11)],
        },
        { id: CONTRACTORS, displayName: 'Contractors', members: [user(2), user(3), DEEP] },
        // A cycle: Deep contains Door Access again.
        { id: DEEP, displayName: "O'Brien's Deep", members: [user(4), DOOR, user(1)] },
        { id: STAFF, displayName: 'Staff', members: [user(5), user(1)] },
        { id: group(6), displayName: 'Dup', members: [] },
        { id: group(7), displayName: 'dup', members: [] },
        { id: BIG, displayName: 'Everyone', members: Array.from({ length: 1_500 }, (_, i) => user(100 + i)) },
      ],
      objects: [
        { id: objectId(1, 3), '@odata.type': '#microsoft.graph.device', displayName: 'Lobby kiosk' },
        {
          id: objectId(2, 3),
          '@odata.type': '#microsoft.graph.orgContact',
          displayName: 'Vendor',
          mail: 'v@vendor.example',
        },
      ],
      apps: [
        { clientId: DEFAULT_CLIENT, secret: DEFAULT_SECRET },
        { clientId: GROUPS_ONLY_CLIENT, secret: DEFAULT_SECRET, permissions: ['GroupMember.Read.All'] },
      ],
    });
  });
  afterAll(() => s.close());
  beforeEach(() => {
    s.resetRequests();
    s.setFaults([]);
  });

  const ids = (snap: SourceSnapshot): string[] => snap.records.map((r) => r.syncId ?? '').sort();

  it('reads nested members through a cycle, keeps only users, leaves out guests and disabled', async () => {
    const { source } = sourceFor(s, { groups: ['Door Access'] });
    const snap = await source.fetch(signal());
    expect(ids(snap)).toEqual([user(0), user(1), user(2), user(3), user(4)]);
    expect(snap.notices.map((n) => n.message)).toEqual([
      '1 guest account left out (includeGuests is off)',
      '1 disabled account left out (includeDisabled is off)',
    ]);
    expect(s.requests().map((r) => r.route)).toEqual(['token', 'groups', 'transitiveMembers']);
    expect(decodeURIComponent(s.requests()[1]!.url)).toContain("$filter=displayName eq 'Door Access'");
    // The name is resolved once per source.
    s.resetRequests();
    await source.fetch(signal());
    expect(s.requests().map((r) => r.route)).toEqual(['transitiveMembers']);
  });

  it('unites several groups given by id and by name (quotes escaped), each user once', async () => {
    const { source } = sourceFor(s, { groups: [STAFF, "O'Brien's Deep"] });
    expect(ids(await source.fetch(signal()))).toEqual([user(0), user(1), user(2), user(3), user(4), user(5)]);
  });

  it('pages through a large group', async () => {
    const { source } = sourceFor(s, { groups: [BIG] });
    expect((await source.fetch(signal())).records).toHaveLength(1_500);
    expect(s.count('transitiveMembers')).toBe(2);
  });

  it('sends ConsistencyLevel with a filter on members, on every page', async () => {
    const { source } = sourceFor(s, { groups: [BIG], filter: "startsWith(givenName,'Ada')" });
    expect((await source.fetch(signal())).records).toHaveLength(150);
    const reqs = s.requests().filter((r) => r.route === 'transitiveMembers');
    expect(reqs.every((r) => r.consistencyLevel === 'eventual')).toBe(true);
  });

  it.each([
    ['Dup', /2 groups are named "Dup" \(.*\)[\s\S]*Object ID/],
    ['Nobody', /No group is named "Nobody"/],
    [group(99), new RegExp(`group ${group(99)} does not exist`)],
  ])('explains group %s', async (g, message) => {
    const { source } = sourceFor(s, { groups: [g] });
    const e = await failure(source.fetch(signal()));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.describe()).toMatch(message);
    const check = await source.check(signal());
    expect(check.ok).toBe(false);
    expect(check.lines.at(-1)).toMatch(message);
  });

  it('check resolves the groups', async () => {
    const { source } = sourceFor(s, { groups: ['Door Access', STAFF] });
    const result = await source.check(signal());
    expect(result.ok).toBe(true);
    expect(result.lines.slice(2)).toEqual([
      `group "Door Access" (${DOOR}): OK (members readable)`,
      `group ${STAFF}: OK (members readable)`,
    ]);
  });

  it('explains members without properties (GroupMember.Read.All but no User.Read.All)', async () => {
    const { source } = sourceFor(s, { clientId: GROUPS_ONLY_CLIENT, groups: [STAFF] });
    const e = await failure(source.fetch(signal()));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.describe()).toMatch(/may read group members but not their properties[\s\S]*User.Read.All/);
  });
});

describe('delta', () => {
  let s: GraphStandIn;
  beforeAll(async () => {
    s = await startGraphStandIn({ users: generateUsers({ count: 30 }), deltaPageSize: 10 });
  });
  afterAll(() => s.close());
  beforeEach(() => {
    s.resetRequests();
    s.setFaults([]);
  });

  /** A source with its own state dir, after a first full read that settled as applied. */
  async function primed() {
    const made = sourceFor(s);
    const first = await made.source.fetch(signal());
    await first.settle?.('applied', '');
    s.resetRequests();
    return { ...made, first };
  }
  const stateFile = (stateDir: string): string => path.join(stateDir, 'entra.entra-delta.json');

  it('first run: delta anchor, then a full read; the state is written only on settle', async () => {
    const { source, ctx } = sourceFor(s);
    const snap = await source.fetch(signal());
    expect(snap.records).toHaveLength(s.allUsers().length);
    expect(s.requests().map((r) => r.route)).toEqual(['token', 'delta', 'users']);
    expect(s.requests()[1]!.url).toContain('$deltatoken=latest');
    expect(existsSync(stateFile(ctx.stateDir))).toBe(false);
    await snap.settle?.('applied', '');
    expect(existsSync(stateFile(ctx.stateDir))).toBe(true);
  });

  it('no change: one request, the complete set', async () => {
    const { source, first, ctx, logs } = await primed();
    const snap = await source.fetch(signal());
    expect(s.requests().map((r) => r.route)).toEqual(['delta']);
    expect(withPlaces(snap.records)).toEqual(withPlaces(first.records));
    expect(snap.description).toMatch(/\(delta: 0 changes, 0 removals\)/);
    // After a restart: a token and the delta request.
    s.resetRequests();
    const again = sourceFor(s, {}, logs, ctx.stateDir);
    expect(withPlaces((await again.source.fetch(signal())).records)).toEqual(withPlaces(first.records));
    expect(s.requests().map((r) => r.route)).toEqual(['token', 'delta']);
  });

  it('one change: one changed record; settle(failed or blocked) keeps the old link', async () => {
    const { source, first } = await primed();
    const target = first.records[3]!.syncId!;
    s.updateUser(target, { surname: 'Changed', mail: null });
    const snap = await source.fetch(signal());
    const [now, before] = [withPlaces(snap.records), withPlaces(first.records)];
    const changed = now.filter((r, i) => JSON.stringify(r) !== JSON.stringify(before[i]));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({
      syncId: target,
      lastName: 'Changed',
      notes: ['e-mail taken from proxyAddresses because mail is empty'],
    });
    expect(snap.description).toMatch(/delta: 1 change,/);
    const link = s.requests()[0]!.url;
    for (const outcome of ['failed', 'blocked'] as const) {
      await snap.settle?.(outcome, '');
      s.resetRequests();
      const retry = await source.fetch(signal());
      expect(s.requests()[0]!.url).toBe(link);
      expect(retry.records.find((r) => r.syncId === target)?.lastName).toBe('Changed');
      expect(retry.description).toMatch(/delta: 1 change,/);
    }
    const retry = await source.fetch(signal());
    await retry.settle?.('unchanged', '');
    s.resetRequests();
    const after = await source.fetch(signal());
    expect(s.requests()[0]!.url).not.toBe(link);
    expect(after.description).toMatch(/delta: 0 changes/);
    expect(after.records.find((r) => r.syncId === target)?.lastName).toBe('Changed');
    await after.settle?.('applied', '');
  });

  it('removals (soft and hard) are gone, additions appear, replays merge with the last one winning', async () => {
    const { source, first } = await primed();
    const [a, b, c] = [first.records[0]!.syncId!, first.records[1]!.syncId!, first.records[2]!.syncId!];
    s.removeUser(a, 'changed');
    s.removeUser(b, 'deleted');
    s.updateUser(c, { givenName: 'First' });
    s.updateUser(c, { givenName: 'Second' });
    const added = makeUser(900);
    s.addUser(added);
    const snap = await source.fetch(signal());
    const ids = snap.records.map((r) => r.syncId);
    expect(ids).not.toContain(a);
    expect(ids).not.toContain(b);
    expect(ids).toContain(added.id);
    expect(snap.records.find((r) => r.syncId === c)?.firstName).toBe('Second');
    expect(snap.records).toHaveLength(first.records.length - 1);
    expect(snap.description).toMatch(/delta: 3 changes, 2 removals/);
    await snap.settle?.('applied', '');
  });

  it.each(['resync', 'syncStateNotFound'] as const)(
    'an expired link (%s) leads to a full read',
    async (mode) => {
      const { source, first } = await primed();
      s.expireDeltaTokens(mode);
      const snap = await source.fetch(signal());
      expect(s.requests().map((r) => [r.route, r.status])).toEqual([
        ['delta', mode === 'resync' ? 410 : 400],
        ['delta', 200],
        ['users', 200],
      ]);
      expect(snap.notices[0]?.message).toMatch(
        /Graph refused the stored delta link \((410 resyncRequired|400 syncStateNotFound)\)/,
      );
      expect(withPlaces(snap.records)).toEqual(withPlaces(first.records));
      await snap.settle?.('applied', '');
    },
  );

  it('notices when the state file disappears under a running daemon', async () => {
    const { source, ctx } = await primed();
    rmSync(stateFile(ctx.stateDir));
    await source.fetch(signal());
    expect(s.requests().map((r) => r.route)).toEqual(['delta', 'users']);
  });

  it('reads everything again after fullReadIntervalHours', async () => {
    const { source, ctx } = await primed();
    ctx.clock.now = new Date(ctx.clock.now.getTime() + 25 * 3_600_000);
    await source.fetch(signal());
    expect(s.requests().map((r) => r.route)).toEqual(['delta', 'users']);
  });

  it('a delta page that keeps failing fails the fetch and keeps the state', async () => {
    const { source, ctx } = await primed();
    s.setFaults([
      {
        route: 'delta',
        times: Number.POSITIVE_INFINITY,
        action: { type: 'status', status: 503, retryAfter: '0' },
      },
    ]);
    const e = await failure(source.fetch(signal()));
    expect(e).toBeInstanceOf(SourceUnavailableError);
    s.setFaults([]);
    expect(existsSync(stateFile(ctx.stateDir))).toBe(true);
    await source.fetch(signal());
  });
});
