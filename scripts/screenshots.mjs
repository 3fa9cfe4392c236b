#!/usr/bin/env node
/**
 * The README's screenshots of the web console (`npm run screenshots`), taken in Debian's headless
 * Chromium from a real daemon on a realistic site:
 *   - hq-munich: 400 people pushed; the next export drops a department of 40, renames a few,
 *     adds five and has two bad rows → blocked by the guard (over guard.maxDeletes);
 *   - site-berlin: 120 people pushed, then three joiners and two changes → applied;
 *   - contractors: 35 people pushed, then MIM's project token was rotated → failing.
 * Writes docs/img/console-jobs.png, console-blocked.png and console-plan.png.
 *
 *   npm run screenshots [-- --out docs/img]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/helpers/chromium.mjs';
import { ascii, createSite, csv, login, person, range, root } from './lib/console-site.mjs';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/img' } } });
const out = path.resolve(root, values.out);
const ADMIN_TOKEN = 'screenshots-admin-token';

const site = await createSite({
  adminToken: ADMIN_TOKEN,
  jobs: [
    { name: 'hq-munich', project: 'HQ Munich', source: 'hr-export' },
    { name: 'site-berlin', project: 'Site Berlin', source: 'hr-export' },
    { name: 'contractors', project: 'Contractors', source: 'agency-list' },
  ],
});
let browser;
try {
  await site.firstPush('hq-munich', range(0, 400));
  await site.firstPush('site-berlin', range(1000, 1120));
  await site.firstPush('contractors', range(2000, 2035));
  // MIM's project token for contractors was rotated; the config still holds the old one.
  const config = JSON.parse(readFileSync(site.configFile, 'utf8'));
  config.jobs.find((j) => j.name === 'contractors').mim.token = 'contractors-token-before-rotation';
  writeFileSync(site.configFile, JSON.stringify(config, null, 2));

  const daemon = await site.startDaemon();

  // site-berlin: three joiners, one married name, one new badge → applied.
  const berlin = range(1000, 1120);
  berlin[7] = {
    ...berlin[7],
    last: 'Becker-Wolf',
    mail: berlin[7].mail.replace(/\.[^.@]+@/, '.becker-wolf@'),
  };
  berlin[12] = { ...berlin[12], id: '40099123' };
  await expectRun(
    site.dropAndRun('site-berlin', 'hr-2026-12-02.csv', csv([...berlin, ...range(1120, 1123)])),
    'applied',
  );

  // contractors: the agency's weekly list, refused by MIM (401) → failing.
  await expectRun(site.dropAndRun('contractors', 'agency-week-49.csv', csv(range(2000, 2037))), 'failed');

  // hq-munich: a department of 40 missing from the export (e.g. a broken HR filter) → blocked.
  const hq = range(0, 400).filter((_, i) => i < 120 || i >= 160);
  const rename = (i, last) => {
    const k = hq.findIndex((p) => p.syncId === person(i).syncId);
    hq[k] = { ...hq[k], last, mail: `${person(i).mail.split('.')[0]}.${ascii(last)}@example.com` };
  };
  rename(3, 'Lindqvist');
  rename(44, 'Öztürk');
  rename(210, 'Schneider');
  const badge = hq.findIndex((p) => p.syncId === person(301).syncId);
  hq[badge] = { ...hq[badge], id: '40777001' };
  const joiners = range(400, 405);
  const bad = [
    { first: 'Tim', last: 'Vogel', mail: 'tim.vogel@@example.com', id: '40999001', syncId: 'E90001' },
    { first: 'Eva', last: 'Sommer', mail: 'eva.sommer@example.com', id: 'BADGE-Ä7', syncId: 'E90002' },
  ];
  await expectRun(
    site.dropAndRun('hq-munich', 'hr-2026-12-02.csv', csv([...hq, ...joiners, ...bad])),
    'blocked',
  );

  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await login(page, daemon.url, ADMIN_TOKEN);
  mkdirSync(out, { recursive: true });

  await page.goto(`${daemon.url}/console/`);
  await page.locator('#jobs tr[data-job="hq-munich"]').waitFor();
  await shoot(page, 'console-jobs.png');

  await page.goto(`${daemon.url}/console/jobs/hq-munich`);
  await page.locator('#blocked').waitFor();
  await shoot(page, 'console-blocked.png');

  const planLink = page.locator('#blocked a[href*="/runs/"]').first();
  const planUrl = new URL(await planLink.getAttribute('href'), daemon.url);
  planUrl.searchParams.set('section', 'updates');
  await page.goto(planUrl.href);
  await page.locator('table#plan-rows').waitFor();
  await shoot(page, 'console-plan.png');
  await context.close();
} finally {
  await browser?.close();
  await site.close();
}

async function expectRun(finished, outcome) {
  const line = await finished;
  if (line.outcome !== outcome)
    throw new Error(`${line.job}: expected a run ${outcome}, got ${line.outcome}: ${JSON.stringify(line)}`);
}

async function shoot(page, name) {
  const file = path.join(out, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`wrote ${path.relative(root, file)}`);
}
