import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { scaled } from '../../test/helpers/timing.js';
import { configureLocks } from '../state/lock.js';
import { createLogger } from '../telemetry/logger.js';
import { Leader, type Role } from './leader.js';

const log = createLogger({ level: 'silent', maskEmails: false });
const leaders: Leader[] = [];
let dir = '';
afterEach(async () => {
  await Promise.all(leaders.splice(0).map((l) => l.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Polls until `done()` holds or the scaled deadline passes; the expectations say what is missing. */
async function until(done: () => boolean): Promise<void> {
  const deadline = performance.now() + scaled(30_000);
  while (!done() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function leader(events: string[], name: string): Leader {
  const l = new Leader(dir, log, {
    onActive: async (takeover) => {
      events.push(`${name} active${takeover ? ' (takeover)' : ''}`);
    },
    onStandby: async () => {
      events.push(`${name} standby`);
    },
    onFatal: () => events.push(`${name} fatal`),
    onRole: (role: Role) => events.push(`${name} role ${role}`),
  });
  leaders.push(l);
  return l;
}

/** Each test takes and loses locks for real, so it may wait through a stale time on a slow machine. */
const SLOW = { timeout: scaled(60_000) };

/** A fresh state dir for the leaders, with the shortest stale time the lock allows. */
async function freshStateDir(): Promise<void> {
  configureLocks(5_000);
  dir = await mkdtemp(path.join(os.tmpdir(), 'leader-'));
}

it('makes one daemon active; the other waits, and takes over when the active one stops', SLOW, async () => {
  await freshStateDir();
  const events: string[] = [];
  const a = leader(events, 'a');
  const b = leader(events, 'b');
  await a.start();
  await b.start();
  expect([a.role, b.role]).toEqual(['active', 'standby']);
  await a.assertActive();
  await expect(b.assertActive()).rejects.toMatchObject({
    code: 'STATE_IO',
    message: expect.stringContaining('standby'),
  });
  expect(b.status()).toMatchObject({ role: 'standby', active: { pid: process.pid } });

  await a.stop(); // releases daemon.lock: the standby need not wait for the stale time
  const t = performance.now();
  await until(() => b.role === 'active');
  expect(b.role).toBe('active');
  expect(performance.now() - t).toBeLessThan(scaled(5_000));
  expect(events).toEqual(['a role active', 'a active', 'b role active', 'b active (takeover)']);
});

it('goes standby when its lock is removed by hand, then becomes active again', SLOW, async () => {
  await freshStateDir();
  const events: string[] = [];
  const a = leader(events, 'a');
  await a.start();
  await rm(path.join(dir, 'daemon.lock'), { recursive: true });
  await until(() => events.includes('a active (takeover)'));
  expect(events).toEqual([
    'a role active',
    'a active',
    'a role standby',
    'a standby',
    'a role active',
    'a active (takeover)',
  ]);
});
