import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
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

it('makes one daemon active; the other waits, and takes over when the active one stops', async () => {
  configureLocks(5_000);
  dir = await mkdtemp(path.join(os.tmpdir(), 'leader-'));
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
  while (b.role !== 'active' && performance.now() - t < 30_000) await new Promise((r) => setTimeout(r, 50));
  expect(b.role).toBe('active');
  expect(performance.now() - t).toBeLessThan(5_000);
  expect(events).toEqual(['a role active', 'a active', 'b role active', 'b active (takeover)']);
}, 60_000);

it('goes standby when its lock is removed by hand, then becomes active again', async () => {
  configureLocks(5_000);
  dir = await mkdtemp(path.join(os.tmpdir(), 'leader-'));
  const events: string[] = [];
  const a = leader(events, 'a');
  await a.start();
  await rm(path.join(dir, 'daemon.lock'), { recursive: true });
  const t = performance.now();
  while (!events.includes('a active (takeover)') && performance.now() - t < 30_000)
    await new Promise((r) => setTimeout(r, 50));
  expect(events).toEqual([
    'a role active',
    'a active',
    'a role standby',
    'a standby',
    'a role active',
    'a active (takeover)',
  ]);
}, 60_000);
