/**
 * The web console of a daemon without `admin.token` (loopback only), in Chromium: anyone on the
 * host can read it and press Run now, but nobody can approve deletes from the browser — not
 * even with the page's own CSRF token and origin.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { cspViolations, useBrowser } from '../helpers/browser.js';
import { scaled } from '../helpers/timing.js';
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

const chromium = useBrowser();
let emu: RunningEmulator;
let ws: Workspace;
let daemon: DaemonProcess;
let base: string;

beforeAll(async () => {
  emu = await emulator();
  const quiet = scaled(200);
  ws = workspace(emu.url, { debounceMs: quiet, stableMs: quiet }, { admin: { listen: '127.0.0.1:0' } });
  await seedBaseline(ws, emu, 100);
  daemon = startDaemon(ws);
  base = (await daemon.adminUrl()).replace(/\/$/, '');
});

afterAll(async () => {
  await daemon?.stop('SIGKILL');
  await emu?.close();
});

interface Blocked {
  planId: string;
  approval?: unknown;
}

function blocked(): Blocked {
  const file = path.join(ws.state, 'main', 'blocked.json');
  if (!existsSync(file)) throw new Error('no blocked plan');
  return JSON.parse(readFileSync(file, 'utf8')) as Blocked;
}

describe('the web console without admin.token', () => {
  it('shows the blocked plan and runs it again, but offers and accepts no approval', async () => {
    dropFile(ws, 'staff-70.csv', staffCsv(70));
    expect(await daemon.waitForNth(isRunFinished(), 1, 15_000)).toMatchObject({ outcome: 'blocked' });

    const w = await chromium.newPage();
    await w.page.goto(`${base}/console/`);
    // No login: the jobs page itself.
    expect(new URL(w.page.url()).pathname).toBe('/console/');
    await w.page.goto(`${base}/console/jobs/main`);
    await w.page.locator('#blocked').waitFor();
    expect(await w.page.locator('#approve-button').count()).toBe(0);
    expect(await w.page.locator('#blocked').textContent()).toContain('admin.token');

    // A POST built from the page's own CSRF token and origin is still refused.
    const csrf = await w.page.locator('form#run-now input[name=csrf]').inputValue();
    const forged = await w.context.request.post(`${base}/console/jobs/main/approve`, {
      form: { planId: blocked().planId, csrf },
      headers: { origin: base },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(blocked().approval).toBeUndefined();

    // Run now works: the same plan is computed and blocked again; nothing reaches MIM.
    await Promise.all([w.page.waitForNavigation(), w.page.locator('#run-now-button').click()]);
    expect(new URL(w.page.url()).searchParams.get('notice')).toMatch(/^run-(started|queued)$/);
    expect(await daemon.waitForNth(isRunFinished(), 2, 15_000)).toMatchObject({
      trigger: 'http',
      outcome: 'blocked',
    });
    expect(await users(emu)).toHaveLength(100);
    expect(blocked().approval).toBeUndefined();
    expect(cspViolations(w.messages)).toEqual([]);
    await w.context.close();
  });
});
