import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type TestReceiver } from '../../test/helpers/notify.js';
import { scaled } from '../../test/helpers/timing.js';
import { loadConfig } from '../config/load.js';
import type { AppConfig } from '../config/schema.js';
import { SOURCE_DEFINITIONS } from '../sources/index.js';
import { targetOf } from '../state/baseline.js';
import { JobState } from '../state/store.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import type { JobUnit } from './job-unit.js';
import { type DaemonNotifications, startNotifications } from './notifications.js';

const KEY = 'daemon-notify-hmac-key-0123456789';
let receiver: TestReceiver | undefined;
let notifications: DaemonNotifications | undefined;
afterEach(async () => {
  await notifications?.stop(0);
  await receiver?.close();
});

function config(dir: string, notify: Record<string, unknown>): AppConfig {
  const file = path.join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      stateDir: './state',
      notify,
      jobs: [
        {
          name: 'main',
          mim: { baseUrl: 'http://127.0.0.1:1', project: 'HQ', token: 't0k3n-abc' },
          sources: [{ name: 'hr', kind: 'csv-folder', folder: './drop' }],
        },
      ],
    }),
  );
  return loadConfig(file, { registry: SOURCE_DEFINITIONS, env: {} });
}

/** The daemon's notifications for this config and these jobs, as the daemon starts them. */
function start(
  c: AppConfig,
  units: JobUnit[],
  channels: string[] = [],
  extra: { expiryCheckMs?: number } = {},
): Promise<DaemonNotifications> {
  return startNotifications(c, {
    stateDir: c.stateDir,
    log: createLogger({ level: 'silent', maskEmails: false }),
    metrics: createMetrics(['main'], channels),
    approveCommand: (j, p) => `mobileid-sync approve ${j} --plan ${p}`,
    units: () => units,
    maskEmails: () => false,
    ...extra,
  });
}

async function until(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + scaled(10_000);
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('daemon notifications', () => {
  it('an approval about to expire is notified once, however often it is checked', async () => {
    receiver = await startReceiver();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'daemon-notify-'));
    const c = config(dir, { webhook: { url: `${receiver.url}/in`, secret: KEY }, approvalWarningHours: 4 });
    const job = c.jobs[0]!;
    const state = new JobState(c.stateDir, job.name);
    await state.ensureDir();
    const now = Date.now();
    await state.writeBlocked({
      version: 2,
      target: targetOf(job),
      planId: 'plan-1',
      baselineId: 'base-1',
      blockedAt: new Date(now).toISOString(),
      runId: 'run-1',
      reasons: ['30 deletes'],
      deletes: 30,
      adds: 0,
      updates: 0,
      approval: {
        by: 'alice',
        at: new Date(now).toISOString(),
        expiresAt: new Date(now + 3_600_000).toISOString(),
      },
    });
    const unit = { job, state } as unknown as JobUnit;
    notifications = await start(c, [unit], ['webhook'], { expiryCheckMs: 20 });
    await until(() => receiver!.requests.length > 0);
    // Several more checks pass: still one message.
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({
      event: 'approval-expiring',
      job: 'main',
      planId: 'plan-1',
      approvedBy: 'alice',
    });
    expect(notifications.view()?.channels[0]).toMatchObject({ name: 'webhook', sent: 1 });
  });

  it("sends the digest on notify.digestCron with each job's runs, changes and blocked plan since the last one", async () => {
    receiver = await startReceiver();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'daemon-notify-'));
    // Every second (six fields, seconds first), so the test sees one without waiting a day.
    const c = config(dir, { webhook: { url: `${receiver.url}/in`, secret: KEY }, digestCron: '* * * * * *' });
    const job = c.jobs[0]!;
    const state = new JobState(c.stateDir, job.name);
    await state.ensureDir();
    const at = new Date().toISOString();
    const run = { job: 'main', trigger: 'schedule', startedAt: at, endedAt: at, durationMs: 5 } as const;
    await state.appendHistory({
      ...run,
      runId: 'r1',
      outcome: 'applied',
      plan: { id: 'p1', adds: 3, updates: 2, deletes: 1, unchanged: 90, carried: 0 },
    });
    await state.appendHistory({
      ...run,
      runId: 'r2',
      outcome: 'failed',
      error: { code: 'SOURCE_UNAVAILABLE', message: 'down', fix: 'wait' },
    });
    const unit = { job, state } as unknown as JobUnit;
    notifications = await start(c, [unit], ['webhook']);
    await until(() => receiver!.requests.some((r) => r.body.includes('"digest"')));
    const digest = JSON.parse(receiver.requests.find((r) => r.body.includes('"digest"'))!.body);
    expect(digest).toMatchObject({
      event: 'digest',
      jobs: [
        {
          job: 'main',
          project: 'HQ',
          runs: { applied: 1, failed: 1 },
          changes: { adds: 3, updates: 2, deletes: 1 },
          blocked: false,
        },
      ],
    });
  });

  it('builds nothing without a channel, and a reload that adds one starts sending', async () => {
    receiver = await startReceiver();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'daemon-notify-'));
    const bare = config(dir, {});
    notifications = await start(bare, []);
    expect(notifications.view()).toBeNull();
    await notifications.reload(config(dir, { webhook: { url: `${receiver.url}/in`, secret: KEY } }));
    expect(notifications.view()?.channels.map((ch) => ch.name)).toEqual(['webhook']);
  });
});
