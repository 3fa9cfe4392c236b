#!/usr/bin/env node
/**
 * The web console's plan page on a 100,000-row plan: how long Chromium takes from navigation to
 * the load event, and how long the daemon takes to answer alone.
 *
 *   npm run build && node bench/console.mjs [--rows 100000] [--runs 10]
 *
 * Builds the plan the way an admin gets one: the first push of a generated export of --rows
 * people (`sync --accept-unknown-baseline`, against the MIM emulator in this process) stores that
 * run's plan, all adds. Then the built daemon serves it and Debian's headless Chromium (logged in
 * through the form) loads page 1, a middle page and the last page of the adds --runs times each
 * (after one warm-up load); the figure is the median of the Navigation Timing's loadEventEnd.
 * "server" is the same page fetched with undici (Bearer token), first byte to last, median.
 * The reference is the login page (a page of a few hundred bytes, no session), measured the same
 * way; the jobs and job pages are measured too, as they read the job's 100k-person baseline.
 *
 * Goal (issue 12): the 100k-row plan page loads in under a second.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { createSite, login, range } from '../scripts/lib/console-site.mjs';
import { launchChromium } from '../test/helpers/chromium.mjs';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, runs: { type: 'string', default: '10' } },
});
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const PAGE_SIZE = 100;
const GOAL_MS = 1000;
const TOKEN = 'bench-admin-token';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const fmt = (n) => n.toLocaleString('en-US');

const site = await createSite({ adminToken: TOKEN, jobs: [{ name: 'main', project: 'Bench' }] });
let browser;
try {
  let t0 = performance.now();
  await site.firstPush('main', range(0, ROWS));
  console.log(
    `first push of ${fmt(ROWS)} people (stores the plan): ${(performance.now() - t0).toFixed(0)} ms`,
  );
  const history = readFileSync(path.join(site.dir, 'state', 'main', 'history.jsonl'), 'utf8')
    .trim()
    .split('\n');
  const runId = JSON.parse(history.at(-1)).runId;
  const daemon = await site.startDaemon();
  const lastPage = Math.ceil(ROWS / PAGE_SIZE);
  const plan = (page) =>
    `${daemon.url}/console/jobs/main/runs/${encodeURIComponent(runId)}?section=adds&page=${page}`;
  const targets = [
    // A page of a few hundred bytes, for a visitor without a session (a session is sent on).
    { name: 'login page (reference)', url: `${daemon.url}/console/login`, session: false },
    { name: `jobs page (baseline of ${fmt(ROWS)} people)`, url: `${daemon.url}/console/` },
    { name: `job page (baseline of ${fmt(ROWS)} people)`, url: `${daemon.url}/console/jobs/main` },
    { name: `plan page 1 of ${fmt(ROWS)} adds`, url: plan(1), plan: true },
    {
      name: `plan page ${fmt(Math.ceil(lastPage / 2))} of ${fmt(ROWS)} adds`,
      url: plan(Math.ceil(lastPage / 2)),
      plan: true,
    },
    { name: `plan page ${fmt(lastPage)} (last) of ${fmt(ROWS)} adds`, url: plan(lastPage), plan: true },
  ];

  browser = await launchChromium();
  const anonymous = await browser.newContext();
  const loggedIn = await browser.newContext();
  const pages = { anonymous: await anonymous.newPage(), session: await loggedIn.newPage() };
  await login(pages.session, daemon.url, TOKEN);

  const results = [];
  for (const target of targets) {
    const page = target.session === false ? pages.anonymous : pages.session;
    const load = [];
    const server = [];
    let rows = 0;
    let bytes = 0;
    for (let i = 0; i <= RUNS; i++) {
      const res = await page.goto(target.url, { waitUntil: 'load' });
      if (res?.status() !== 200 || res.url() !== target.url) {
        throw new Error(`${target.url}: HTTP ${res?.status()} at ${res?.url()}`);
      }
      const ms = await page.evaluate('performance.getEntriesByType("navigation")[0].loadEventEnd');
      rows = await page.locator('table#plan-rows tbody tr').count();
      t0 = performance.now();
      const headers = target.session === false ? {} : { authorization: `Bearer ${TOKEN}` };
      const r = await request(target.url, { headers });
      const body = await r.body.text();
      const serverMs = performance.now() - t0;
      if (r.statusCode !== 200) throw new Error(`${target.url} (undici): HTTP ${r.statusCode}`);
      bytes = Buffer.byteLength(body);
      if (i === 0) continue; // warm-up
      load.push(ms);
      server.push(serverMs);
    }
    if (target.plan && rows !== Math.min(PAGE_SIZE, ROWS)) {
      throw new Error(`${target.name}: expected ${PAGE_SIZE} rows on the page, saw ${rows}`);
    }
    results.push({ ...target, load: median(load), max: Math.max(...load), server: median(server), bytes });
  }
  await anonymous.close();
  await loggedIn.close();

  const ref = results[0];
  console.log(`\nmedian of ${RUNS} loads each (Chromium ${browser.version()}, after one warm-up):`);
  for (const r of results) {
    const ratio = r === ref ? '' : `, ${(r.load / ref.load).toFixed(1)}× the login page`;
    const goal = r.plan ? ` (goal < ${GOAL_MS} ms: ${r.load < GOAL_MS ? 'met' : 'MISSED'})` : '';
    console.log(
      `${r.name}: load ${r.load.toFixed(0)} ms (max ${r.max.toFixed(0)} ms), server ${r.server.toFixed(1)} ms, ${fmt(Math.round(r.bytes / 1024))} KB${ratio}${goal}`,
    );
  }
} finally {
  await browser?.close();
  await site.close();
}
