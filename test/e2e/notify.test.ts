/**
 * Notifications end to end: the built daemon against the emulator, a real SMTP server (STARTTLS,
 * AUTH, a wrong password) and real HTTP receivers for Teams and the signed webhook. A blocked plan
 * seen on every run notifies once, a reminder follows after the (short) reminder interval, the
 * approve command in the message works as pasted, and the applied run notifies the recovery. The
 * failing e-mail channel is retried, counted and shown, and never fails a sync. No secret appears
 * in any log line, /status body or error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { verifySignature } from '../../src/notify/format/webhook.js';
import { runCli, runShell } from '../helpers/cli.js';
import { startReceiver, startSmtp, type TestReceiver, type TestSmtp } from '../helpers/notify.js';
import { scaled } from '../helpers/timing.js';
import { makeTestPki } from '../helpers/tls.js';
import {
  type DaemonProcess,
  dropFile,
  emulator,
  isRunFinished,
  parsePrometheus,
  seedBaseline,
  staffCsv,
  startDaemon,
  until,
  type Workspace,
  workspace,
} from './daemon-harness.js';

const SMTP_PASSWORD = 'right-smtp-password-4711';
const WRONG_PASSWORD = 'wrong-smtp-password-0815';
const HMAC_KEY = 'e2e-webhook-hmac-key-0123456789abcdef';
const TEAMS_PATH = '/workflows/TEAMSPATHSECRET123/triggers/manual';
/** Reminders after 3.6 s: long enough that two runs in a row fall inside it. */
const REMINDER_HOURS = 0.001;

let emu: RunningEmulator;
let smtp: TestSmtp;
let hook: TestReceiver;
let teams: TestReceiver;
let ws: Workspace;
let daemon: DaemonProcess | undefined;
let admin: string;

interface HookBody {
  event: string;
  id: string;
  job: string;
  planId?: string;
  approveCommand?: string | null;
  reminder?: { sent: number } | null;
  after?: string;
}

const hookBodies = (): HookBody[] => hook.requests.map((r) => JSON.parse(r.body) as HookBody);

function writeNotifyConfig(w: Workspace, notify: Record<string, unknown>): void {
  const config = JSON.parse(readFileSync(w.configFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(w.configFile, JSON.stringify({ ...config, notify }, null, 2));
}

beforeAll(async () => {
  emu = await emulator();
  ws = workspace(emu.url, { onStart: false, watch: true });
  const pki = makeTestPki(path.join(ws.dir, 'pki'));
  smtp = await startSmtp({
    cert: readFileSync(pki.serverCert, 'utf8'),
    key: readFileSync(pki.serverKey, 'utf8'),
    user: 'sync',
    password: SMTP_PASSWORD,
  });
  hook = await startReceiver(() => ({ status: 200 }));
  teams = await startReceiver(() => ({ status: 202 }));
  writeFileSync(path.join(ws.dir, 'smtp-password'), `${WRONG_PASSWORD}\n`);
  writeFileSync(path.join(ws.dir, 'hook-key'), `${HMAC_KEY}\n`);
  writeNotifyConfig(ws, {
    email: {
      host: 'localhost',
      port: smtp.port,
      user: 'sync',
      passwordFile: path.join(ws.dir, 'smtp-password'),
      from: 'sync@example.org',
      to: ['ops@example.org'],
      caFile: pki.caCert,
    },
    teams: { url: `${teams.url}${TEAMS_PATH}` },
    webhook: { url: `${hook.url}/in`, secretFile: path.join(ws.dir, 'hook-key') },
    reminderHours: REMINDER_HOURS,
    retry: { max: 1, baseDelayMs: 10 },
  });
  await seedBaseline(ws, emu, 40);
}, scaled(60_000));

afterAll(async () => {
  await daemon?.stop();
  await Promise.all([smtp?.close(), hook?.close(), teams?.close(), emu?.close()]);
});

async function runNow(): Promise<void> {
  expect((await fetch(`${admin}/jobs/main/run`, { method: 'POST' })).status).toBe(202);
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const samples = parsePrometheus(await (await fetch(`${admin}/metrics`)).text());
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

describe('notifications from the daemon', () => {
  it(
    'blocked once, quiet on the next run, a reminder later, recovered after the approval',
    async () => {
      daemon = startDaemon(ws);
      admin = await daemon.adminUrl();
      // 30 of 40 people gone: over guard.maxDeletes (25) — blocked.
      dropFile(ws, 'cut.csv', staffCsv(10));
      await daemon.waitFor((l) => isRunFinished()(l) && l.outcome === 'blocked', 20_000);
      await until(async () => (hookBodies().some((b) => b.event === 'blocked') ? true : undefined), 20_000);
      const blocked = hookBodies().find((b) => b.event === 'blocked')!;
      expect(blocked.approveCommand).toBe(
        `mobileid-sync approve main --plan ${blocked.planId} -c ${ws.configFile}`,
      );
      // The signature verifies with the documented procedure; the same body tampered does not.
      const req = hook.requests[0]!;
      const sig = String(req.headers['x-mobileid-sync-signature']);
      const now = Math.floor(Date.now() / 1000);
      expect(verifySignature(req.body, sig, HMAC_KEY, now)).toBe(true);
      expect(verifySignature(req.body.replace('"main"', '"mein"'), sig, HMAC_KEY, now)).toBe(false);
      await until(async () => (teams.requests.length > 0 ? true : undefined), 20_000);
      expect(teams.requests[0]!.url).toBe(TEAMS_PATH);

      // The same plan on the next run: no second message.
      await runNow();
      await daemon.waitForNth((l) => isRunFinished()(l) && l.outcome === 'blocked', 2, 20_000);
      await until(async () =>
        (await metric('mobileid_sync_notifications_total', { channel: 'webhook', outcome: 'suppressed' })) >=
        1
          ? true
          : undefined,
      );
      expect(hookBodies().filter((b) => b.event === 'blocked')).toHaveLength(1);

      // After the reminder interval the still-blocked plan is notified again, as a reminder.
      const firstAt = Date.now();
      await until(
        async () => (Date.now() - firstAt > REMINDER_HOURS * 3_600_000 + 200 ? true : undefined),
        30_000,
        100,
      );
      await runNow();
      await until(
        async () => (hookBodies().filter((b) => b.event === 'blocked').length === 2 ? true : undefined),
        20_000,
      );
      expect(hookBodies().filter((b) => b.event === 'blocked')[1]!.reminder).toMatchObject({ sent: 1 });

      // The approve command from the message, pasted as is; the next run applies and recovers.
      const approved = await runShell(blocked.approveCommand!, { cwd: path.dirname(ws.dir) });
      expect(approved.code, approved.stdout + approved.stderr).toBe(0);
      await runNow();
      await daemon.waitFor((l) => isRunFinished()(l) && l.outcome === 'applied', 20_000);
      await until(async () => (hookBodies().some((b) => b.event === 'recovered') ? true : undefined), 20_000);
      expect(hookBodies().find((b) => b.event === 'recovered')).toMatchObject({
        job: 'main',
        after: 'blocked',
      });
    },
    scaled(120_000),
  );

  it(
    'the e-mail channel with a wrong password is retried, counted and shown, and never failed a run',
    async () => {
      await until(async () =>
        (await metric('mobileid_sync_notifications_total', { channel: 'email', outcome: 'failed' })) >= 1
          ? true
          : undefined,
      );
      expect(
        await metric('mobileid_sync_notifications_total', { channel: 'email', outcome: 'retried' }),
      ).toBeGreaterThanOrEqual(1);
      expect(smtp.mails).toHaveLength(0);
      expect(daemon!.matching((l) => isRunFinished()(l) && l.outcome === 'applied')).toHaveLength(1);
      const status = (await (await fetch(`${admin}/status`)).json()) as {
        notifications: {
          channels: { name: string; consecutiveFailures: number; lastError: { message: string } | null }[];
        };
      };
      const email = status.notifications.channels.find((c) => c.name === 'email')!;
      expect(email.consecutiveFailures).toBeGreaterThanOrEqual(1);
      expect(email.lastError?.message).toContain('EAUTH');
      const cli = await runCli(['status', '-c', ws.configFile]);
      expect(cli.stdout).toMatch(/notify email localhost:\d+: FAILING/);
      expect(cli.stdout).toMatch(/notify webhook 127\.0\.0\.1:\d+: OK/);
    },
    scaled(60_000),
  );

  it('no secret in any log line, /status body or CLI output', async () => {
    const statusBody = await (await fetch(`${admin}/status`)).text();
    const cli = await runCli(['status', '-c', ws.configFile]);
    const everything = [
      ...daemon!.lines.map((l) => JSON.stringify(l)),
      ...daemon!.stderr,
      statusBody,
      cli.stdout,
      cli.stderr,
      readFileSync(path.join(ws.state, 'notify-status.json'), 'utf8'),
    ].join('\n');
    for (const secret of [SMTP_PASSWORD, WRONG_PASSWORD, HMAC_KEY, 'TEAMSPATHSECRET123'])
      expect(everything).not.toContain(secret);
  });
});

describe('notify test', () => {
  it('exit 69 when a channel fails, with one line per channel and the fix', async () => {
    const r = await runCli(['notify', 'test', '-c', ws.configFile]);
    expect(r.code, r.stdout + r.stderr).toBe(69);
    expect(r.stdout).toMatch(/^✗ email localhost:\d+ — .*EAUTH/m);
    expect(r.stdout).toMatch(/^ {4}fix: .*notify\.email\.user/m);
    expect(r.stdout).toMatch(/^✓ teams 127\.0\.0\.1:\d+ — HTTP 202$/m);
    expect(r.stdout).toMatch(/^✓ webhook 127\.0\.0\.1:\d+ — HTTP 200$/m);
    expect(r.stdout + r.stderr).not.toContain(WRONG_PASSWORD);
    expect(r.stdout + r.stderr).not.toContain('TEAMSPATHSECRET123');
    expect(hookBodies().at(-1)!.event).toBe('test');
  });

  it('exit 0 when every channel delivered; the mail arrives', async () => {
    writeFileSync(path.join(ws.dir, 'smtp-password'), SMTP_PASSWORD);
    const r = await runCli(['notify', 'test', '-c', ws.configFile]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^✓ email localhost:\d+ — 250/m);
    expect(smtp.mails.at(-1)!.subject).toContain('test');
  });

  it('exit 78 when no channel is configured', async () => {
    const bare = workspace(emu.url);
    const r = await runCli(['notify', 'test', '-c', bare.configFile]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('No notification channel is configured');
  });
});

describe('the one-shot sync', () => {
  it(
    'notifies a blocked run before it exits, with the approve command as it was called',
    async () => {
      const receiver = await startReceiver(() => ({ status: 200 }));
      try {
        const w = workspace(emu.url);
        writeFileSync(path.join(w.dir, 'hook-key'), HMAC_KEY);
        writeNotifyConfig(w, {
          webhook: { url: `${receiver.url}/in`, secretFile: path.join(w.dir, 'hook-key') },
        });
        await seedBaseline(w, emu, 40);
        dropFile(w, 'cut.csv', staffCsv(10));
        const r = await runCli(['sync', '-c', w.configFile], { cwd: w.dir });
        expect(r.code, r.stdout + r.stderr).toBe(3);
        const bodies = receiver.requests.map((q) => JSON.parse(q.body) as HookBody);
        const blocked = bodies.find((b) => b.event === 'blocked');
        expect(blocked?.approveCommand).toBe(
          `mobileid-sync approve main --plan ${blocked?.planId} -c ${w.configFile}`,
        );
        expect(r.stdout).toContain(blocked!.approveCommand!);
      } finally {
        await receiver.close();
      }
    },
    scaled(60_000),
  );
});
