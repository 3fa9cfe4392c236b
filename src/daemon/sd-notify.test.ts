/**
 * The notifier runs the real `systemd-notify` in production; here a stand-in script of the same
 * name on PATH records the assignments it was given (no systemd runs in CI).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaled } from '../../test/helpers/timing.js';
import { silentLogger } from '../telemetry/logger.js';
import { createNotifier } from './sd-notify.js';

function fakeSystemdNotify(): { env: NodeJS.ProcessEnv; log: string; calls: () => string[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-notify-'));
  const log = path.join(dir, 'calls.txt');
  writeFileSync(path.join(dir, 'systemd-notify'), `#!/bin/sh\necho "$*" >> '${log}'\n`);
  chmodSync(path.join(dir, 'systemd-notify'), 0o755);
  return {
    env: { PATH: `${dir}:${process.env.PATH}`, NOTIFY_SOCKET: path.join(dir, 'notify.sock') },
    log,
    calls: () => readFileSync(log, 'utf8').trim().split('\n'),
  };
}

describe('sd_notify', () => {
  it('is a no-op without NOTIFY_SOCKET', async () => {
    const n = createNotifier(silentLogger, { PATH: '/nonexistent' });
    expect(n.enabled).toBe(false);
    await n.ready('x');
    n.startWatchdog()();
  });

  it('sends READY, STATUS, STOPPING through systemd-notify', async () => {
    const fake = fakeSystemdNotify();
    const n = createNotifier(silentLogger, fake.env);
    await n.ready('Watching 2 job(s)\nsecond line');
    await n.stopping();
    expect(fake.calls()).toEqual([
      'READY=1 STATUS=Watching 2 job(s) second line',
      'STOPPING=1 STATUS=Stopping',
    ]);
  });

  it('pings the watchdog at half of WATCHDOG_USEC, only for our PID', async () => {
    const fake = fakeSystemdNotify();
    const other = createNotifier(silentLogger, { ...fake.env, WATCHDOG_USEC: '2000000', WATCHDOG_PID: '1' });
    other.startWatchdog()();
    const n = createNotifier(silentLogger, {
      ...fake.env,
      WATCHDOG_USEC: '2000000',
      WATCHDOG_PID: String(process.pid),
    });
    const stop = n.startWatchdog();
    await new Promise((r) => setTimeout(r, 1_300)); // one ping is due at 1 s, the next at 2 s
    stop();
    // The ping runs systemd-notify as a process: wait for its whole line, however slowly it started.
    const written = (): boolean => existsSync(fake.log) && readFileSync(fake.log, 'utf8').endsWith('\n');
    const deadline = Date.now() + scaled(5_000);
    while (!written() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fake.calls()).toEqual(['WATCHDOG=1']);
  });
});
