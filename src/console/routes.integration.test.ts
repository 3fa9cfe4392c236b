import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleJob, idleUnit } from '../../test/helpers/console-job.js';
import type { JobConfig } from '../config/schema.js';
import { consoleData } from '../daemon/console-data.js';
import { type AdminServer, startAdminServer } from '../daemon/http.js';
import { targetOf } from '../state/baseline.js';
import { mappedRows, type PersonRow, plansDir, writePlanLog } from '../state/plan-log.js';
import type { JobState } from '../state/store.js';
import { silentLogger } from '../telemetry/logger.js';
import { SECURITY_HEADERS } from './routes.js';
import { THROTTLE_LIMIT } from './session.js';

const TOKEN = 'integration-admin-token-0123456789';
const HOSTILE = '<img src=x onerror=alert(1)>';
const RUN = '11111111-2222-4333-8444-555555555555';
const BIG_RUN = '99999999-2222-4333-8444-555555555555';

let job: JobConfig;
let state: JobState;
let token = TOKEN;
const asked: string[] = [];
const servers: AdminServer[] = [];

function person(i: number, first = `First${i}`): PersonRow {
  return {
    firstName: first,
    lastName: `Last${i}`,
    email: `p${i}@example.com`,
    id: String(100_000 + i),
    syncId: `S${i}`,
  };
}

async function serve(tokenOf: () => string): Promise<string> {
  const unit = idleUnit(job, state);
  const unused = () => Promise.reject(new Error('not in this test'));
  const server = await startAdminServer(
    { host: '127.0.0.1', port: 0 },
    tokenOf,
    {
      readiness: unused,
      metrics: unused,
      status: unused,
      reload: unused,
      runNow: () => 'unknown-job',
      console: consoleData(new Map([[job.name, unit]]), (name) => {
        asked.push(name);
        return 'started';
      }),
    },
    silentLogger,
  );
  servers.push(server);
  return server.url;
}

let base: string;

beforeAll(async () => {
  ({ job, state } = consoleJob('console-http-'));
  await state.writeBlocked({
    version: 2,
    target: targetOf(job),
    planId: 'plan-abc',
    baselineId: 'unknown',
    blockedAt: new Date().toISOString(),
    seenAt: new Date().toISOString(),
    runId: RUN,
    reasons: [`3 deletes, more than guard.maxDeletes = 2 (${HOSTILE})`],
    adds: 0,
    updates: 0,
    deletes: 3,
  });
  const header = {
    job: 'main',
    planId: 'plan-abc',
    baselineId: 'unknown',
    outcome: 'blocked',
    at: new Date().toISOString(),
    rejectedTotal: 0,
  };
  await writePlanLog(
    plansDir(state.dir),
    { ...header, runId: RUN },
    {
      adds: [],
      updates: [],
      deletes: [person(1, HOSTILE), person(2), person(3)],
      rejections: [],
    },
  );
  const many = Array.from({ length: 100_000 }, (_, i) => i);
  await writePlanLog(
    plansDir(state.dir),
    { ...header, runId: BIG_RUN },
    {
      adds: [],
      updates: [],
      deletes: mappedRows(many, (i) => person(i)),
      rejections: [],
    },
  );
  base = await serve(() => token);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function login(): Promise<string> {
  const r = await fetch(`${base}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: `token=${encodeURIComponent(TOKEN)}`,
  });
  expect(r.status).toBe(303);
  return r.headers.get('set-cookie')!.split(';')[0]!;
}

const get = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { redirect: 'manual', headers });

/** A request with the path and Host exactly as given (fetch normalises `..` and sets Host itself). */
function rawGet(
  url: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = http.request({ hostname, port, path: rawPath, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console on the admin listener', () => {
  it('sends the security headers on every console response, and the stylesheet without a login', async () => {
    const cookie = await login();
    for (const [p, status] of [
      ['/console/login', 303],
      ['/console/', 200],
      ['/console/jobs/main', 200],
      [`/console/jobs/main/runs/${RUN}?section=deletes`, 200],
      ['/console/jobs/nope', 404],
    ] as const) {
      const r = await get(`${base}${p}`, { cookie });
      expect(r.status, p).toBe(status);
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(r.headers.get(k), `${p} ${k}`).toBe(v);
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
    const css = await get(`${base}/console/assets/console.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  it('wants a session or the Bearer token; a rotated token ends every session', async () => {
    expect((await get(`${base}/console/jobs/main`)).headers.get('location')).toBe('/console/login');
    const bearer = await get(`${base}/console/jobs/main`, { authorization: `Bearer ${TOKEN}` });
    expect(bearer.status).toBe(200);
    expect(await bearer.text()).toContain('id="approve"');
    const cookie = await login();
    expect((await get(`${base}/console/`, { cookie })).status).toBe(200);
    token = 'rotated-admin-token-9876543210';
    try {
      expect((await get(`${base}/console/`, { cookie })).headers.get('location')).toBe('/console/login');
    } finally {
      token = TOKEN;
    }
    expect((await get(`${base}/console/`, { cookie })).headers.get('location')).toBe('/console/login');
  });

  it('refuses a POST without the CSRF token or from another origin, and takes a Bearer POST', async () => {
    const cookie = await login();
    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
    const post = (p: string, headers: Record<string, string>, body: string) =>
      fetch(`${base}${p}`, { method: 'POST', redirect: 'manual', headers, body });
    expect((await post('/console/jobs/main/run', { ...form, origin: base }, 'csrf=wrong')).status).toBe(403);
    const page = await (await get(`${base}/console/jobs/main`, { cookie })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect(
      (await post('/console/jobs/main/run', { ...form, origin: 'http://evil.example' }, `csrf=${csrf}`))
        .status,
    ).toBe(403);
    expect((await post('/console/jobs/main/run', { ...form }, `csrf=${csrf}`)).status).toBe(403);
    expect(
      (
        await post(
          '/console/jobs/main/run',
          { ...form, origin: base, 'sec-fetch-site': 'cross-site' },
          `csrf=${csrf}`,
        )
      ).status,
    ).toBe(403);
    // Another port of the same host is the same site, not the same origin.
    expect(
      (
        await post(
          '/console/jobs/main/run',
          { ...form, origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' },
          `csrf=${csrf}`,
        )
      ).status,
    ).toBe(403);
    expect(asked).toEqual([]);
    const ok = await post('/console/jobs/main/run', { ...form, origin: base }, `csrf=${csrf}`);
    expect(ok.headers.get('location')).toBe('/console/jobs/main?notice=run-started');
    expect(asked).toEqual(['main']);
    // Behind a TLS-terminating proxy the Origin names the public https address, and the browser
    // attests same-origin (Chromium's own form POST: Origin null); both are the console's pages.
    const proxiedPosts: Record<string, string>[] = [
      { origin: 'https://sync.example.org', 'sec-fetch-site': 'same-origin' },
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
      { origin: base.replace('http://', 'https://') },
    ];
    for (const proxied of proxiedPosts)
      expect((await post('/console/jobs/main/run', { ...form, ...proxied }, `csrf=${csrf}`)).status).toBe(
        303,
      );
    expect(asked).toEqual(['main', 'main', 'main', 'main']);
    // Bearer (curl): no CSRF token needed, but never from a web page of another origin.
    const bearer = { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${TOKEN}` };
    expect(
      (
        await post(
          '/console/jobs/main/approve',
          { ...bearer, origin: 'http://evil.example' },
          'planId=plan-abc',
        )
      ).status,
    ).toBe(403);
    expect((await state.readBlocked())?.approval).toBeUndefined();
    const other = await post('/console/jobs/main/approve', bearer, 'planId=plan-old');
    expect(other.status).toBe(409);
    expect(await other.text()).toMatch(/id="error"[^>]*>Plan plan-old is not the blocked plan/);
    const approved = await post('/console/jobs/main/approve', bearer, 'planId=plan-abc');
    expect(approved.headers.get('location')).toBe('/console/jobs/main?notice=approved');
    expect((await state.readBlocked())?.approval?.by).toMatch(
      /^console \(admin token\) from 127\.0\.0\.1 at /,
    );
  });

  it('takes only configured jobs and stored run ids: no path traversal', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const p of [
      '/console/jobs/other',
      '/console/jobs/main/runs/..%2f..%2fsnapshot',
      '/console/jobs/main/runs/%2e%2e',
      `/console/jobs/main/runs/${RUN}%00`,
      '/console/jobs/main/runs/00000000-0000-4000-8000-000000000000',
      '/console/jobs/main%2f..%2fmain/runs/x',
      '/console/jobs/%E0%A4%A',
    ]) {
      const r = await rawGet(base, p, auth);
      expect(r.status, p).toBe(404);
      expect(r.body, p).not.toContain('p1@example.com');
    }
  });

  it('renders hostile names from the directory as text', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const plan = await (await get(`${base}/console/jobs/main/runs/${RUN}?section=deletes`, auth)).text();
    expect(plan).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(plan).not.toContain(HOSTILE);
    expect(plan).toContain('rows 1–3 of 3');
    const job = await (await get(`${base}/console/jobs/main`, auth)).text();
    expect(job).not.toContain(HOSTILE);
  });

  it('without a token answers loopback host names only (DNS rebinding)', async () => {
    const open = await serve(() => '');
    expect((await rawGet(open, '/console/', { host: 'evil.example' })).status).toBe(421);
    expect((await rawGet(open, '/console/', { host: 'localhost' })).status).toBe(200);
    const page = await get(`${open}/console/jobs/main`);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('id="approve"');
    const csrf = /name="csrf" value="([^"]+)"/.exec(
      await (await get(`${open}/console/jobs/main`)).text(),
    )![1]!;
    const refused = await fetch(`${open}/console/jobs/main/approve`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: open },
      body: `planId=plan-abc&csrf=${csrf}`,
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('set admin.token to approve from the browser');
  });

  it('slows token guessing: after 10 wrong tokens from an address, its logins and wrong Bearer tokens get 429', async () => {
    const own = await serve(() => token); // its own listener: its own count, the other tests unaffected
    const tryLogin = (typed: string) =>
      fetch(`${own}/console/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: own },
        body: `token=${encodeURIComponent(typed)}`,
      });
    for (let i = 0; i < THROTTLE_LIMIT - 1; i++) expect((await tryLogin(`guess-${i}`)).status).toBe(401);
    // A wrong Bearer token on the JSON endpoints counts against the same address.
    expect((await get(`${own}/status`, { authorization: 'Bearer guess-x' })).status).toBe(401);
    const refused = await tryLogin(TOKEN);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect((await get(`${own}/status`, { authorization: 'Bearer guess-y' })).status).toBe(429);
    expect((await get(`${own}/console/`, { authorization: 'Bearer guess-z' })).status).toBe(429);
    // The right Bearer token still works: a guesser cannot lock the admin's scripts out.
    expect((await get(`${own}/console/`, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('pages a 100k-row plan (server time measured, not asserted)', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const times: string[] = [];
    for (const page of [1, 1000, 1, 1000]) {
      const t = performance.now();
      const r = await get(`${base}/console/jobs/main/runs/${BIG_RUN}?section=deletes&page=${page}`, auth);
      const text = await r.text();
      times.push(`page ${page}: ${(performance.now() - t).toFixed(1)} ms`);
      expect(text).toContain(page === 1 ? 'rows 1–100 of 100,000' : 'rows 99,901–100,000 of 100,000');
      expect(text).toContain('rel="next"'.repeat(page === 1 ? 1 : 0) || 'rel="prev"');
    }
    process.stdout.write(`100k-row plan, request to last byte (cold, then warm): ${times.join(', ')}\n`);
  });
});
