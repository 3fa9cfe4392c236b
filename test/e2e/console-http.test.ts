/**
 * The web console of the real daemon, over HTTP by hand (fetch and a cookie jar of one cookie):
 * a drop whose plan deletes over the guard's limit is blocked, the job page shows it, an approval
 * posted with the page's CSRF token is recorded with who and from where, and Run now pushes it to
 * the emulator. Forged POSTs (no CSRF token, another origin) are refused and approve nothing; with
 * no admin token the console does not approve at all. The Chromium tests are the browser part's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import {
  type DaemonProcess,
  dropFile,
  emulator,
  isRunFinished,
  seedBaseline,
  staffCsv,
  startDaemon,
  users,
  type Workspace,
  workspace,
} from './daemon-harness.js';

const TOKEN = 'console-e2e-admin-token-0123456789';
const HOSTILE = '<img src=x onerror=alert(1)>';

let emu: RunningEmulator;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  emu = await emulator();
});

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
  await emu.close();
});

/** A browser as far as the console can tell: one session cookie, its own Origin on every POST. */
class Browser {
  cookie = '';
  constructor(readonly base: string) {}

  async get(p: string): Promise<Response> {
    return fetch(`${this.base}${p}`, {
      redirect: 'manual',
      headers: this.cookie ? { cookie: this.cookie } : {},
    });
  }

  async post(p: string, fields: Record<string, string>, origin = this.base): Promise<Response> {
    const r = await fetch(`${this.base}${p}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin,
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      body: new URLSearchParams(fields).toString(),
    });
    const set = r.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    return r;
  }
}

function field(page: string, form: string, name: string): string {
  const f = new RegExp(`<form[^>]*id="${form}"[\\s\\S]*?</form>`).exec(page)?.[0] ?? '';
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(f)?.[1] ?? '';
}

function blockedJson(ws: Workspace): { planId: string; approval?: { by: string } } {
  return JSON.parse(readFileSync(path.join(ws.state, 'main', 'blocked.json'), 'utf8'));
}

describe('the web console on the daemon', () => {
  it('shows a blocked plan, approves it with the page’s CSRF token, and Run now pushes it', async () => {
    const ws = workspace(emu.url, {}, { admin: { listen: '127.0.0.1:0', token: TOKEN } });
    await seedBaseline(ws, emu, 40);
    const d = startDaemon(ws);
    daemons.push(d);
    const admin = await d.adminUrl();
    const b = new Browser(admin);

    // 5 of 40 people stay (35 deletes > guard.maxDeletes 25), one new person with a hostile name.
    dropFile(ws, 'staff.csv', `${staffCsv(5)}${HOSTILE},Evil,evil@example.com,999999,S-evil\r\n`);
    await d.waitFor((l) => isRunFinished()(l) && l.outcome === 'blocked', 15_000, 'the blocked run');

    expect((await b.get('/')).headers.get('location')).toBe('/console/');
    expect((await b.get('/console/')).headers.get('location')).toBe('/console/login');
    const wrong = await b.post('/console/login', { token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('id="error"');
    const login = await b.post('/console/login', { token: TOKEN });
    expect(login.status).toBe(303);
    expect(login.headers.get('set-cookie')).toMatch(
      /^mobileid_sync_session=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\//,
    );

    const jobs = await b.get('/console/');
    expect(jobs.status).toBe(200);
    expect(jobs.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(jobs.headers.get('cache-control')).toBe('no-store');
    expect(await jobs.text()).toMatch(/<tr data-job="main">[\s\S]*data-state="blocked"/);

    const page = await (await b.get('/console/jobs/main')).text();
    expect(page).toContain('id="blocked"');
    const planId = field(page, 'approve', 'planId');
    const csrf = field(page, 'approve', 'csrf');
    expect(planId).toBe(blockedJson(ws).planId);
    expect(csrf).toMatch(/^[\w-]{43}$/);

    // The plan page lists the deletes in full and the hostile name as text.
    const link = /href="([^"]*)" id="blocked-plan-link"/.exec(page)?.[1]?.replaceAll('&amp;', '&');
    const deletes = await (await b.get(link!)).text();
    expect(deletes).toContain('rows 1–35 of 35');
    expect(deletes).toContain('person39@example.com');
    const adds = await (await b.get(link!.replace('section=deletes', 'section=adds'))).text();
    expect(adds).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(adds).not.toContain(HOSTILE);

    // Forged approvals: no CSRF token, a wrong one, another origin. None is recorded.
    expect((await b.post('/console/jobs/main/approve', { planId })).status).toBe(403);
    expect((await b.post('/console/jobs/main/approve', { planId, csrf: `${csrf}x` })).status).toBe(403);
    expect((await b.post('/console/jobs/main/approve', { planId, csrf }, 'http://evil.example')).status).toBe(
      403,
    );
    expect(blockedJson(ws).approval).toBeUndefined();

    const approved = await b.post('/console/jobs/main/approve', { planId, csrf });
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toBe('/console/jobs/main?notice=approved');
    expect(blockedJson(ws).approval?.by).toMatch(/^console \(admin token\) from 127\.0\.0\.1 at \d{4}-/);
    expect(await (await b.get('/console/jobs/main?notice=approved')).text()).toContain('id="notice"');

    const run = await b.post('/console/jobs/main/run', { csrf });
    expect(run.headers.get('location')).toBe('/console/jobs/main?notice=run-started');
    await d.waitFor((l) => isRunFinished()(l) && l.outcome === 'applied', 15_000, 'the approved run');
    expect(await users(emu)).toHaveLength(6);

    // Logging out ends the session.
    await b.post('/console/logout', { csrf });
    expect((await b.get('/console/')).headers.get('location')).toBe('/console/login');
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  });

  it('without an admin token: read-only plus Run now, approving is refused', async () => {
    const ws = workspace(emu.url, {}, { admin: { listen: '127.0.0.1:0' } });
    await seedBaseline(ws, emu, 40);
    const d = startDaemon(ws);
    daemons.push(d);
    const b = new Browser(await d.adminUrl());
    dropFile(ws, 'staff.csv', staffCsv(5));
    await d.waitFor((l) => isRunFinished()(l) && l.outcome === 'blocked', 15_000, 'the blocked run');

    const page = await (await b.get('/console/jobs/main')).text();
    expect(page).toContain('id="blocked"');
    expect(page).not.toContain('id="approve"');
    expect(page).toContain('set <code>admin.token</code> to approve from the browser');
    const csrf = field(page, 'run-now', 'csrf');
    const refused = await b.post('/console/jobs/main/approve', { planId: blockedJson(ws).planId, csrf });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('id="error"');
    expect(blockedJson(ws).approval).toBeUndefined();
    // Run now works, from this origin only.
    expect((await b.post('/console/jobs/main/run', { csrf }, 'http://evil.example')).status).toBe(403);
    expect((await b.post('/console/jobs/main/run', { csrf })).status).toBe(303);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
  });
});
