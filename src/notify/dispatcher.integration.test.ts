import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Answer, startReceiver, type TestReceiver } from '../../test/helpers/notify.js';
import { blockedEvent } from '../../test/helpers/notify-events.js';
import { scaled } from '../../test/helpers/timing.js';
import { registerSecret } from '../core/secrets.js';
import { createLogger } from '../telemetry/logger.js';
import type { NotificationOutcome } from '../telemetry/metrics.js';
import { createWebhookChannel } from './channels/webhook.js';
import { Notifier, notifyPolicy, type RetryPolicy, retryDelayMs } from './dispatcher.js';
import { readNotifyStatus } from './store.js';
import type { NotifyPolicy } from './types.js';

const KEY = 'dispatcher-hmac-key-0123456789';
registerSecret(KEY);

const POLICY: NotifyPolicy = {
  reminderMs: 24 * 3_600_000,
  failingAfterRuns: 3,
  failingAfterMs: 3_600_000,
  approvalWarningMs: 4 * 3_600_000,
  events: new Set(['blocked', 'failing', 'recovered', 'unknown-outcome', 'approval-expiring', 'test']),
};

let stateDir: string;
let lines: string[];
const receivers: TestReceiver[] = [];
const notifiers: Notifier[] = [];

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'notify-state-'));
  lines = [];
});
afterEach(async () => {
  await Promise.all(notifiers.splice(0).map((n) => n.drain(0).then(() => n.close())));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function setup(
  answer: (n: number) => Answer,
  retry: RetryPolicy = { max: 3, baseDelayMs: 10 },
  timeoutMs = scaled(5_000),
) {
  const r = await startReceiver(answer);
  receivers.push(r);
  const outcomes: NotificationOutcome[] = [];
  const notifier = new Notifier({
    channels: [createWebhookChannel({ url: `${r.url}/hook/PATHSECRET`, secret: KEY, timeoutMs })],
    policy: POLICY,
    retry,
    stateDir,
    log: createLogger({ level: 'debug', maskEmails: false, stream: { write: (l) => lines.push(l) } }),
    onOutcome: (_c, o) => outcomes.push(o),
  });
  notifiers.push(notifier);
  return { r, notifier, outcomes };
}

describe('Notifier (real webhook receiver)', () => {
  it('retries a receiver that answers 500, then 200: one delivery, same delivery id, visible in metrics', async () => {
    const { r, notifier, outcomes } = await setup((n) =>
      n === 0 ? { status: 500, body: 'oops' } : { status: 200 },
    );
    notifier.notify(blockedEvent());
    expect(await notifier.drain(scaled(10_000))).toBe(0);
    expect(r.requests).toHaveLength(2);
    expect(r.requests[0]!.headers['x-mobileid-sync-delivery']).toBe(
      r.requests[1]!.headers['x-mobileid-sync-delivery'],
    );
    expect(outcomes).toEqual(['retried', 'sent']);
    const [status] = notifier.view().channels;
    expect(status).toMatchObject({ name: 'webhook', consecutiveFailures: 0, sent: 1, failed: 0 });
    expect(status!.lastSentAt).not.toBeNull();
  });

  it("the same blocked plan notifies once; another job's plan is a new notification", async () => {
    const { r, notifier, outcomes } = await setup(() => ({ status: 200 }));
    notifier.notify(blockedEvent());
    notifier.notify(blockedEvent({ runId: 'run-2' }));
    notifier.notify(blockedEvent({ runId: 'run-3' }));
    await notifier.idle();
    expect(r.requests).toHaveLength(1);
    // A new plan of the same job within the hour waits (a directory changing on every run).
    notifier.notify(blockedEvent({ planId: 'plan-newer' }));
    notifier.notify(blockedEvent({ job: 'other', planId: 'plan-other' }));
    await notifier.drain(scaled(10_000));
    expect(r.requests).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'suppressed')).toHaveLength(3);
    // The memory survives a restart: a new notifier on the same state dir stays quiet.
    const again = await setup(() => ({ status: 200 }));
    again.notifier.notify(blockedEvent({ job: 'other', planId: 'plan-other' }));
    await again.notifier.drain(scaled(10_000));
    expect(again.r.requests).toHaveLength(0);
  });

  it('gives up after its retries: failed, the error (scrubbed) in the view and in notify-status.json', async () => {
    const { r, notifier, outcomes } = await setup(() => ({ status: 503, body: `down; key ${KEY}` }), {
      max: 2,
      baseDelayMs: 5,
    });
    notifier.notify(blockedEvent());
    await notifier.drain(scaled(10_000));
    expect(r.requests).toHaveLength(3);
    expect(outcomes).toEqual(['retried', 'retried', 'failed']);
    const [status] = notifier.view().channels;
    expect(status).toMatchObject({ consecutiveFailures: 1, failed: 1, sent: 0 });
    expect(status!.lastError!.message).toContain('HTTP 503');
    const file = await readNotifyStatus(stateDir);
    expect(file?.channels[0]).toMatchObject({ name: 'webhook', consecutiveFailures: 1 });
    const everything = `${lines.join('')}${JSON.stringify(notifier.view())}${await readFile(path.join(stateDir, 'notify-status.json'), 'utf8')}`;
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain('PATHSECRET');
    expect(lines.some((l) => l.includes('Notification not delivered'))).toBe(true);
  });

  it('notify() returns at once while a receiver hangs; drain cancels what is left', async () => {
    const { r, notifier, outcomes } = await setup(() => 'hang', { max: 5, baseDelayMs: 10 }, scaled(60_000));
    const started = Date.now();
    notifier.notify(blockedEvent());
    expect(Date.now() - started).toBeLessThan(scaled(1_000));
    while (r.requests.length === 0) await new Promise((res) => setTimeout(res, 10));
    expect(notifier.view().inFlight).toBe(1);
    expect(await notifier.drain(10)).toBe(1);
    expect(notifier.view().inFlight).toBe(0);
    expect(outcomes).toEqual(['failed']);
  });

  it('an unreadable notify.json is logged once and read as empty (the condition is notified)', async () => {
    await writeFile(path.join(stateDir, 'notify.json'), '{ not json');
    const { r, notifier } = await setup(() => ({ status: 200 }));
    notifier.notify(blockedEvent());
    notifier.notify(blockedEvent({ job: 'other', planId: 'p2' }));
    await notifier.drain(scaled(10_000));
    expect(r.requests).toHaveLength(2);
    expect(lines.filter((l) => l.includes('notification memory is unreadable'))).toHaveLength(1);
    // Saved afresh after the decision.
    expect(JSON.parse(await readFile(path.join(stateDir, 'notify.json'), 'utf8'))).toMatchObject({
      version: 1,
    });
  });

  it('kinds not in notify.events are neither sent nor counted as suppressed', async () => {
    const { r, notifier, outcomes } = await setup(() => ({ status: 200 }));
    notifier.notify({
      kind: 'digest',
      at: '2026-03-02T08:00:00.000Z',
      since: '2026-03-01T08:00:00.000Z',
      jobs: [],
    });
    await notifier.drain(scaled(10_000));
    expect(r.requests).toHaveLength(0);
    expect(outcomes).toEqual([]);
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base with jitter in [½, 1] and stops at 15 minutes', () => {
    expect(retryDelayMs(0, 30_000, () => 1)).toBe(30_000);
    expect(retryDelayMs(2, 30_000, () => 1)).toBe(120_000);
    expect(retryDelayMs(2, 30_000, () => 0)).toBe(60_000);
    expect(retryDelayMs(50, 30_000, () => 1)).toBe(15 * 60_000);
  });
});

describe('notifyPolicy', () => {
  it('turns the config numbers into the policy; a digestCron asks for the digest', async () => {
    const { loadConfigData } = await import('../config/load.js');
    const { SOURCE_DEFINITIONS } = await import('../sources/index.js');
    const jobs = [
      { name: 'main', mim: { project: 'HQ' }, sources: [{ name: 'hr', kind: 'csv-folder', folder: '/x' }] },
    ];
    const load = (notify: Record<string, unknown>) =>
      loadConfigData({ notify, jobs }, path.join(stateDir, 'c.json'), {
        registry: SOURCE_DEFINITIONS,
        env: {},
      }).notify;
    const plain = notifyPolicy(load({ reminderHours: 0.5, failingAfterMinutes: 0 }));
    expect(plain.reminderMs).toBe(1_800_000);
    expect(plain.failingAfterMs).toBe(Number.POSITIVE_INFINITY);
    expect(plain.events.has('digest')).toBe(false);
    expect(notifyPolicy(load({ digestCron: '0 8 * * 1-5' })).events.has('digest')).toBe(true);
  });
});
