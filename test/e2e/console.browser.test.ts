/**
 * The web console in a real headless Chromium (Debian's, driven by playwright-core) against the
 * built daemon with an admin token, the MIM emulator and a CSV drop folder: log in, see a blocked
 * plan, approve it, run it; a wrong token, hostile names from the directory, cross-site POSTs,
 * the Content-Security-Policy and logout. One daemon and one browser for the file; the tests run
 * in order, each starting from the state the one before left (the comments say which).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { cspViolations, useBrowser, type WatchedPage } from '../helpers/browser.js';
import { scaled } from '../helpers/timing.js';
import {
  type DaemonProcess,
  dropFile,
  emulator,
  isRunFinished,
  type LogLine,
  seedBaseline,
  staffCsv,
  startDaemon,
  users,
  type Workspace,
  workspace,
} from './daemon-harness.js';

const TOKEN = 'console-e2e-admin-token-7f3a9c';
const COOKIE = 'mobileid_sync_session';
/** Seeded before the daemon starts; 30 deletes from 100 is over guard.maxDeletes (25), under the 50 % shrink stop. */
const SEEDED = 100;

const chromium = useBrowser();
let emu: RunningEmulator;
let ws: Workspace;
let daemon: DaemonProcess;
let base: string;
const servers: Server[] = [];

beforeAll(async () => {
  emu = await emulator();
  const quiet = scaled(200);
  ws = workspace(
    emu.url,
    { debounceMs: quiet, stableMs: quiet },
    { admin: { listen: '127.0.0.1:0', token: TOKEN } },
  );
  await seedBaseline(ws, emu, SEEDED);
  daemon = startDaemon(ws);
  base = (await daemon.adminUrl()).replace(/\/$/, '');
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await daemon?.stop('SIGKILL');
  await emu?.close();
});

// ---- helpers ----------------------------------------------------------------------------------

interface Blocked {
  planId: string;
  runId: string;
  deletes: number;
  approval?: { by: string };
}

function blockedJson(): Blocked | undefined {
  const file = path.join(ws.state, 'main', 'blocked.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Blocked) : undefined;
}

const runsFinished = (): LogLine[] => daemon.matching(isRunFinished());

/** Drops a file and waits for the run it starts to finish; resolves with its "Run finished" line. */
async function dropAndRun(name: string, content: string): Promise<LogLine> {
  const before = runsFinished().length;
  dropFile(ws, name, content);
  return daemon.waitForNth(isRunFinished(), before + 1, 15_000);
}

async function login(w: WatchedPage, token = TOKEN): Promise<Response | null> {
  await w.page.goto(`${base}/console/login`);
  await w.page.locator('#login input[name=token]').fill(token);
  const [answer] = await Promise.all([
    w.page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/console/login')),
    w.page.locator('#login input[name=token]').press('Enter'),
  ]);
  await w.page.waitForLoadState();
  return answer;
}

async function loggedIn(): Promise<WatchedPage> {
  const w = await chromium.newPage();
  await login(w);
  expect(new URL(w.page.url()).pathname).toBe('/console/');
  return w;
}

async function sessionCookie(w: WatchedPage): Promise<string | undefined> {
  return (await w.context.cookies(base)).find((c) => c.name === COOKIE)?.value;
}

/** The state the jobs page shows for the job (idle | running | blocked | failing). */
function jobState(page: Page): Promise<string | null> {
  return page.locator('#jobs tr[data-job="main"] [data-state]').first().getAttribute('data-state');
}

/** Clicks a submit button and waits for the page the POST's redirect lands on. */
async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.locator(button).click()]);
}

/** A plain HTTP server on another origin (another port or another loopback address). */
async function attackerSite(host: string, pages: Record<string, string>): Promise<string> {
  const server = createServer((req, res) => {
    const body = pages[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body ?? 'not found');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

// ---- tests ------------------------------------------------------------------------------------

describe('the web console in Chromium', () => {
  it('sends a visitor without a session to the login form and refuses a wrong token without a cookie', async () => {
    const w = await chromium.newPage();
    const first = await w.page.goto(`${base}/`);
    expect(new URL(w.page.url()).pathname).toBe('/console/login');
    expect(first?.status()).toBeLessThan(400);
    await expect(w.page.locator('#login input[name=token]').count()).resolves.toBe(1);
    expect(await w.page.locator('#jobs').count()).toBe(0);

    const refused = await login(w, 'not-the-token');
    expect(refused?.status()).toBe(401);
    await w.page.locator('#error').waitFor();
    expect(await sessionCookie(w)).toBeUndefined();
    // Still nothing but the login form.
    await w.page.goto(`${base}/console/`);
    expect(new URL(w.page.url()).pathname).toBe('/console/login');
    // The token never travels in a URL.
    expect(w.page.url()).not.toContain('not-the-token');
    await w.context.close();
  });

  it('logs in with the token, lists the job, and serves its pages under a strict CSP that blocks nothing', async () => {
    const w = await chromium.newPage();
    const answer = await login(w);
    expect(answer?.status()).toBe(303);
    expect(new URL(w.page.url()).pathname).toBe('/console/');
    const cookie = (await w.context.cookies(base)).find((c) => c.name === COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(w.page.url()).not.toContain(cookie!.value);

    const row = w.page.locator('#jobs tr[data-job="main"]');
    await row.waitFor();
    expect(await jobState(w.page)).toBe('idle');

    for (const url of [`${base}/console/login`, `${base}/console/`, `${base}/console/jobs/main`]) {
      const res = await w.page.goto(url);
      const csp = res?.headers()['content-security-policy'] ?? '';
      expect(csp, url).toContain("default-src 'none'");
      expect(csp, url).toContain("style-src 'self'");
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(res?.headers()['x-content-type-options']).toBe('nosniff');
      // The stylesheet is allowed (style-src 'self') and applied.
      expect(await w.page.evaluate<number>('document.styleSheets.length')).toBeGreaterThan(0);
      // No script at all: the pages read without JavaScript.
      expect(await w.page.locator('script').count(), url).toBe(0);
    }
    expect(cspViolations(w.messages)).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('shows a blocked plan with its deletes, approves it with a click, and Run now applies it', async () => {
    // 100 people in MIM; the export drops 30 of them: over guard.maxDeletes (25).
    const blockedRun = await dropAndRun('staff-70.csv', staffCsv(70));
    expect(blockedRun).toMatchObject({ outcome: 'blocked', deletes: 30 });
    const blocked = blockedJson()!;
    expect(blocked.approval).toBeUndefined();

    const w = await loggedIn();
    await w.page.goto(`${base}/console/`);
    expect(await jobState(w.page)).toBe('blocked');

    await w.page.goto(`${base}/console/jobs/main`);
    const section = w.page.locator('#blocked');
    await section.waitFor();
    expect(await section.textContent()).toContain(blocked.planId);
    expect(await w.page.locator('form#approve input[name=planId]').inputValue()).toBe(blocked.planId);

    // The plan page lists exactly the 30 people who would be deleted.
    await Promise.all([w.page.waitForNavigation(), section.locator('a[href*="/runs/"]').first().click()]);
    expect(new URL(w.page.url()).pathname).toBe(`/console/jobs/main/runs/${blocked.runId}`);
    await Promise.all([
      w.page.waitForNavigation(),
      w.page.locator('nav#sections a[data-section="deletes"]').click(),
    ]);
    const rows = w.page.locator('table#plan-rows tbody tr');
    expect(await rows.count()).toBe(30);
    const text = await w.page.locator('table#plan-rows').textContent();
    for (const i of [70, 85, 99]) expect(text).toContain(`person${i}@example.com`);
    expect(text).not.toContain('person69@example.com');
    expect(await w.page.locator('#page-info').textContent()).toMatch(/30/);
    // Nobody's e-mail address ends up in a URL.
    expect(w.page.url()).not.toContain('@');

    // Approve, from the job page.
    await w.page.goto(`${base}/console/jobs/main`);
    await submit(w.page, '#approve-button');
    expect(new URL(w.page.url()).searchParams.get('notice')).toBe('approved');
    await w.page.locator('#notice').waitFor();
    expect(blockedJson()?.approval?.by).toMatch(/console/);
    expect(blockedJson()?.planId).toBe(blocked.planId);

    // Run now: the next run pushes exactly the approved plan.
    const before = runsFinished().length;
    await submit(w.page, '#run-now-button');
    await w.page.locator('#notice').waitFor();
    expect(await daemon.waitForNth(isRunFinished(), before + 1, 15_000)).toMatchObject({
      trigger: 'http',
      outcome: 'applied',
      deletes: 30,
    });
    expect(await users(emu)).toHaveLength(70);
    expect(blockedJson()).toBeUndefined();

    await w.page.goto(`${base}/console/jobs/main`);
    expect(await w.page.locator('#blocked').count()).toBe(0);
    const latest = w.page.locator('#runs tr[data-run]').first();
    expect(await latest.locator('[data-outcome]').first().getAttribute('data-outcome')).toBe('applied');
    await w.page.goto(`${base}/console/`);
    expect(await jobState(w.page)).toBe('idle');
    expect(cspViolations(w.messages)).toEqual([]);
    await w.context.close();
  });

  it('renders hostile names from the CSV as text: no element, no script from directory data', async () => {
    // From the 70 applied above: one new person with markup for a name, one rejected row whose
    // bad e-mail (quoted in the rejection message) is markup too.
    const hostile = [
      staffCsv(70).trimEnd(),
      '"<img src=x onerror=""window.__pwned=1"">","<script>window.__pwned=2</script>",mallory@example.com,666001,S-mallory',
      'Eve,"<svg onload=window.__pwned=3>","<b id=pwned4>eve</b>@example.com",666002,S-eve',
    ].join('\r\n');
    const run = await dropAndRun('staff-hostile.csv', `${hostile}\r\n`);
    expect(run).toMatchObject({ outcome: 'applied', adds: 1 });
    const runId = String(run.runId);

    const w = await loggedIn();
    await w.page.goto(`${base}/console/jobs/main/runs/${encodeURIComponent(runId)}?section=adds`);
    const table = w.page.locator('table#plan-rows');
    await table.waitFor();
    const adds = await table.textContent();
    expect(adds).toContain('<img src=x onerror="window.__pwned=1">');
    expect(adds).toContain('<script>window.__pwned=2</script>');

    await w.page.goto(`${base}/console/jobs/main/runs/${encodeURIComponent(runId)}?section=rejections`);
    const rejections = await w.page.locator('table#plan-rows').textContent();
    expect(rejections).toContain('<b id=pwned4>eve</b>@example.com');

    for (const section of ['adds', 'rejections']) {
      await w.page.goto(`${base}/console/jobs/main/runs/${encodeURIComponent(runId)}?section=${section}`);
      expect(await w.page.evaluate<unknown>('window.__pwned')).toBeUndefined();
      expect(await w.page.locator('img, script, svg, #pwned4').count()).toBe(0);
    }
    // The job page shows the run too (and its sources and errors), still without markup from data.
    await w.page.goto(`${base}/console/jobs/main`);
    expect(await w.page.locator('img, script, svg, #pwned4').count()).toBe(0);
    expect(await w.page.evaluate<unknown>('window.__pwned')).toBeUndefined();
    expect(cspViolations(w.messages)).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('refuses approvals posted by other sites while the browser is logged in', async () => {
    // From 71 applied above: 40 people left is 31 deletes, blocked again.
    const run = await dropAndRun('staff-40.csv', staffCsv(40));
    expect(run).toMatchObject({ outcome: 'blocked', deletes: 31 });
    const { planId } = blockedJson()!;
    const target = `${base}/console/jobs/main/approve`;
    // The attacker knows the plan id (it is no secret) but not the session's CSRF token.
    const formPage = `<!doctype html><form id=f method=post action="${target}">
      <input name=planId value="${planId}"><input name=csrf value="guessed"></form>
      <script>document.getElementById('f').submit()</script>`;
    const fetchPage = `<!doctype html><script>
      fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include',
        body: new URLSearchParams({ planId: ${JSON.stringify(planId)}, csrf: 'guessed' }) })
        .finally(() => { document.title = 'sent' })</script>`;
    // A sandboxed frame has an opaque origin: its POST says `Origin: null`, as our own pages'
    // POSTs do (their Referrer-Policy is no-referrer); only Sec-Fetch-Site tells them apart. The
    // form opens its answer in a popup (a frame would not show the console: frame-ancestors).
    const popupForm = formPage.replace('<form ', '<form target=_blank ');
    const sandboxedPage = `<!doctype html><iframe sandbox="allow-forms allow-scripts allow-popups" srcdoc="${popupForm.replace(/"/g, '&quot;')}"></iframe>`;
    // Another port on 127.0.0.1 is another origin but the same site: the SameSite=Strict cookie
    // goes along, so only the CSRF token and the Origin check stand in the way. 127.0.0.2 is
    // another site.
    const sites = [
      await attackerSite('127.0.0.1', {
        '/form': formPage,
        '/fetch': fetchPage,
        '/sandboxed': sandboxedPage,
      }),
      await attackerSite('127.0.0.2', {
        '/form': formPage,
        '/fetch': fetchPage,
        '/sandboxed': sandboxedPage,
      }),
    ];

    const w = await loggedIn();
    await w.page.goto(`${base}/console/jobs/main`);
    await w.page.locator('#approve-button').waitFor();
    for (const site of sites) {
      for (const kind of ['form', 'fetch', 'sandboxed']) {
        const attack = await w.context.newPage();
        const [answer] = await Promise.all([
          // On the context: the sandboxed form answers in a popup.
          w.context.waitForEvent('response', (r) => r.url() === target && r.request().method() === 'POST'),
          attack.goto(`${site}/${kind}`),
        ]);
        expect(answer.status(), `${kind} from ${site}`).toBeGreaterThanOrEqual(400);
        expect(answer.status(), `${kind} from ${site}`).toBeLessThan(500);
        for (const p of w.context.pages()) if (p !== w.page) await p.close();
        expect(blockedJson()?.approval, `${kind} from ${site}`).toBeUndefined();
      }
    }
    // The session itself still works, and the plan is still waiting.
    await w.page.goto(`${base}/console/`);
    expect(await jobState(w.page)).toBe('blocked');
    expect(blockedJson()).toMatchObject({ planId });
    expect(await users(emu)).toHaveLength(71);
    await w.context.close();
  });

  it('ends the session on logout: the old cookie no longer opens a page', async () => {
    const w = await loggedIn();
    const cookie = await sessionCookie(w);
    expect(cookie).toBeDefined();
    await w.page.goto(`${base}/console/`);
    await submit(w.page, 'form[action$="/console/logout"] [type=submit]');
    expect(new URL(w.page.url()).pathname).toBe('/console/login');

    // A second browser context that replays the old cookie is sent to the login form.
    const replay = await chromium.newContext();
    await replay.addCookies([{ name: COOKIE, value: cookie!, url: base }]);
    const page = await replay.newPage();
    await page.goto(`${base}/console/jobs/main`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(await page.locator('#blocked').count()).toBe(0);
    // And so is a plain HTTP client.
    const res = await fetch(`${base}/console/`, {
      headers: { cookie: `${COOKIE}=${cookie}` },
      redirect: 'manual',
    });
    expect(res.status).not.toBe(200);
    await replay.close();
    await w.context.close();
  });
});
