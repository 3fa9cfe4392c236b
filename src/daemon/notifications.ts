/**
 * The daemon's notifications: each finished run goes to the notifier; a minute timer looks for
 * approvals about to expire; the digest runs on `notify.digestCron`. Built only when a channel is
 * configured (the notifier, its channels and nodemailer are imported then); a reload that changes
 * `notify` rebuilds it, and shutdown drains it within a bounded time.
 */
import { isDeepStrictEqual } from 'node:util';
import cron, { type ScheduledTask } from 'node-cron';
import { anyChannel, type NotifyConfig } from '../config/notify.js';
import type { AppConfig } from '../config/schema.js';
import { digestOf, expiringApprovals, type NotifyLinks } from '../notify/detect.js';
import type { NotificationsView, Notifier } from '../notify/dispatcher.js';
import { consoleLink, notifyRun } from '../run/notify-run.js';
import type { RunReport } from '../run/report.js';
import { targetOf } from '../state/baseline.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { JobUnit } from './job-unit.js';

/** How often approvals are checked for their expiry. */
const EXPIRY_CHECK_MS = 60_000;
/** The first digest covers this much history. */
const FIRST_DIGEST_MS = 24 * 3_600_000;

export interface DaemonNotificationsOptions {
  readonly stateDir: string;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The exact approve command (with the daemon's -c), built by the CLI. */
  readonly approveCommand: (job: string, planId: string) => string;
  readonly units: () => Iterable<JobUnit>;
  readonly maskEmails: () => boolean;
  /** Only the active daemon of an active/standby pair checks approvals and sends the digest. */
  readonly isActive?: () => boolean;
  /** How often approvals are checked for their expiry (tests shorten it). */
  readonly expiryCheckMs?: number;
}

export interface DaemonNotifications {
  /** A run ended: its events go out in the background. */
  runFinished(unit: JobUnit, report: RunReport): void;
  /** `notifications` of /status: each channel's last delivery and error; null when none is configured. */
  view(): NotificationsView | null;
  /** A reloaded config: rebuilds the notifier when `notify` changed. */
  reload(next: AppConfig): Promise<void>;
  /** Stops the timers and waits at most `timeoutMs` for deliveries in progress. */
  stop(timeoutMs: number): Promise<void>;
}

interface Running {
  readonly notify: NotifyConfig;
  readonly notifier: Notifier;
  readonly timer: NodeJS.Timeout;
  readonly digest: ScheduledTask | null;
}

export async function startNotifications(
  config: AppConfig,
  options: DaemonNotificationsOptions,
): Promise<DaemonNotifications> {
  const { log } = options;
  let running: Running | null = null;
  let notifyConfig = config.notify;

  const links = (notify: NotifyConfig): NotifyLinks => ({
    approveCommand: options.approveCommand,
    consoleUrl: (job) => consoleLink(notify.consoleUrl, job),
  });

  const checkExpiring = async (r: Running): Promise<void> => {
    const plans = await Promise.all(
      [...options.units()].map(async (u) => ({
        job: u.job.name,
        project: u.job.mim.project,
        blocked: await u.state.readBlocked().catch(() => null),
      })),
    );
    for (const e of expiringApprovals(plans, new Date(), r.notifier.policy, links(r.notify)))
      r.notifier.notify(e);
  };

  let digestSince = new Date(Date.now() - FIRST_DIGEST_MS).toISOString();
  const sendDigest = async (r: Running): Promise<void> => {
    const now = new Date();
    const jobs = await Promise.all(
      [...options.units()].map(async (u) => {
        const [history, blocked, baseline] = await Promise.all([
          u.state.readHistory(1_000).catch(() => []),
          u.state.readBlocked().catch(() => null),
          u.state.viewBaseline(targetOf(u.job)).catch(() => null),
        ]);
        return {
          job: u.job.name,
          project: u.job.mim.project,
          history,
          users: baseline?.known ? baseline.users : null,
          blocked: blocked !== null,
        };
      }),
    );
    r.notifier.notify(digestOf(jobs, digestSince, now));
    digestSince = now.toISOString();
  };

  const start = async (notify: NotifyConfig): Promise<Running | null> => {
    if (!anyChannel(notify)) return null;
    const { createNotifier } = await import('../notify/dispatcher.js');
    const notifier = createNotifier(notify, {
      stateDir: options.stateDir,
      log,
      onOutcome: (channel, outcome) => options.metrics.notification(channel, outcome),
    });
    const r: Running = {
      notify,
      notifier,
      timer: setInterval(() => {
        if (running && (options.isActive?.() ?? true)) void checkExpiring(running).catch(() => undefined);
      }, options.expiryCheckMs ?? EXPIRY_CHECK_MS),
      digest: notify.digestCron.trim()
        ? cron.schedule(notify.digestCron.trim(), () => {
            if (running && (options.isActive?.() ?? true)) void sendDigest(running).catch(() => undefined);
          })
        : null,
    };
    r.timer.unref();
    log.info(
      {
        component: 'notify',
        channels: notifier.view().channels.map((c) => `${c.name} ${c.target}`),
        events: notify.events,
        digest: notify.digestCron || null,
      },
      'Notifications on',
    );
    return r;
  };

  const halt = async (r: Running | null, timeoutMs: number): Promise<void> => {
    if (!r) return;
    clearInterval(r.timer);
    await r.digest?.stop();
    await r.notifier.drain(timeoutMs);
    await r.notifier.close();
  };

  running = await start(config.notify);

  return {
    runFinished(unit, report) {
      const r = running;
      if (!r) return;
      void notifyRun(r.notifier, report, {
        state: unit.state,
        project: unit.job.mim.project,
        maskEmails: options.maskEmails(),
        links: links(r.notify),
      }).catch((e: unknown) =>
        log.error(
          { component: 'notify', err: e instanceof Error ? e.message : String(e) },
          'Could not hand the run to the notifier (the run is not affected)',
        ),
      );
    },
    view: () => running?.notifier.view() ?? null,
    async reload(next) {
      if (isDeepStrictEqual(next.notify, notifyConfig)) return;
      notifyConfig = next.notify;
      const old = running;
      running = await start(next.notify);
      // Deliveries of the old channels finish in the background (bounded by their timeouts).
      void halt(old, next.notify.webhook.timeoutMs);
    },
    async stop(timeoutMs) {
      const r = running;
      running = null;
      await halt(r, timeoutMs);
    },
  };
}
