/**
 * The Notifier: decides (with the de-dup policy and `<stateDir>/notify.json`) which events are
 * sent, and delivers each to every channel in the background with retries. It never throws into
 * a run and never delays one: `notify()` returns at once; decisions are made one at a time in
 * order; deliveries run concurrently, each retried with backoff, and all are abortable on
 * shutdown (`drain`).
 *
 * Per channel it keeps the last delivery, the last error (scrubbed) and the failures in a row,
 * for `/status`, `status` (through `notify-status.json`), the log and the metrics.
 */
import { randomUUID } from 'node:crypto';
import type { NotifyConfig } from '../config/notify.js';
import { scrubSecrets } from '../core/secrets.js';
import type { Logger } from '../telemetry/logger.js';
import type { NotificationOutcome } from '../telemetry/metrics.js';
import { asDeliveryError, type NotifyChannel } from './channels/delivery.js';
import { createChannels } from './channels/index.js';
import { decide, EMPTY_DEDUP } from './policy.js';
import { type ChannelStatus, readDedup, readNotifyStatus, writeDedup, writeNotifyStatus } from './store.js';
import type { DedupState, NotifyEvent, NotifyEventKind, NotifyPolicy } from './types.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly max: number;
  readonly baseDelayMs: number;
}

/** Longest wait between two attempts, whatever the base delay and the attempt count. */
export const MAX_RETRY_DELAY_MS = 15 * 60_000;

export interface NotifierOptions {
  readonly channels: readonly NotifyChannel[];
  readonly policy: NotifyPolicy;
  readonly retry: RetryPolicy;
  /** Where notify.json and notify-status.json live; null = remember nothing (`notify test`). */
  readonly stateDir: string | null;
  readonly log: Logger;
  /** `metrics.notification` (the daemon's); absent in one-shot commands. */
  readonly onOutcome?: (channel: string, outcome: NotificationOutcome) => void;
  readonly now?: () => Date;
  readonly random?: () => number;
}

/** What `/status` shows under `notifications`. */
export interface NotificationsView {
  readonly channels: readonly ChannelStatus[];
  /** Deliveries still in progress (retrying included). */
  readonly inFlight: number;
}

/** The wait before retry `n` (0-based): base · 2ⁿ, with jitter in [½, 1], at most MAX_RETRY_DELAY_MS. */
export function retryDelayMs(n: number, baseDelayMs: number, random: () => number = Math.random): number {
  const full = Math.min(MAX_RETRY_DELAY_MS, baseDelayMs * 2 ** Math.min(n, 30));
  return Math.round(full * (0.5 + random() / 2));
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A short description of an event for the log (no directory data). */
function eventFields(e: NotifyEvent): Record<string, unknown> {
  return {
    event: e.kind,
    ...('job' in e ? { job: e.job } : {}),
    ...('reminder' in e && e.reminder ? { reminder: true } : {}),
  };
}

export class Notifier {
  private readonly channels: readonly NotifyChannel[];
  private readonly stats = new Map<NotifyChannel, ChannelStatus>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private readonly now: () => Date;
  private readonly random: () => number;
  private queue: Promise<void> = Promise.resolve();
  private state: DedupState | null = null;
  private statusWrite: Promise<void> = Promise.resolve();

  constructor(private readonly options: NotifierOptions) {
    this.channels = options.channels;
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    for (const c of this.channels)
      this.stats.set(c, {
        name: c.name,
        target: c.target,
        lastSentAt: null,
        lastError: null,
        consecutiveFailures: 0,
        sent: 0,
        failed: 0,
      });
    // The last deliveries an earlier process recorded, for the same channel and target.
    const stateDir = options.stateDir;
    if (stateDir)
      this.enqueue(async () => {
        const earlier = await readNotifyStatus(stateDir);
        for (const c of this.channels) {
          const seen = earlier?.channels.find((s) => s.name === c.name && s.target === c.target);
          if (seen) this.stats.set(c, seen);
        }
      });
  }

  get policy(): NotifyPolicy {
    return this.options.policy;
  }

  get channelCount(): number {
    return this.channels.length;
  }

  /** Decides and sends `event` in the background. Never throws, never waits. */
  notify(event: NotifyEvent): void {
    this.notifyWith(() => [event]);
  }

  /**
   * Builds events from the de-dup state as it stands when their turn comes (`eventsOfRun` needs
   * it to tell a recovery), then decides and sends each. A throwing `build` is logged.
   */
  notifyWith(build: (state: DedupState) => readonly NotifyEvent[]): void {
    if (this.channels.length === 0 || this.shutdown.signal.aborted) return;
    this.enqueue(async () => {
      const state = await this.loadState();
      for (const event of build(state)) await this.decideAndSend(event);
    });
  }

  /** Sends `event` on every channel now, bypassing the de-dup state (`notify test`). */
  async sendNow(event: NotifyEvent): Promise<readonly { channel: NotifyChannel; result: SendResult }[]> {
    const id = randomUUID();
    return Promise.all(
      this.channels.map(async (channel) => ({ channel, result: await this.deliver(channel, event, id) })),
    );
  }

  view(): NotificationsView {
    return { channels: this.channels.map((c) => this.stats.get(c)!), inFlight: this.inFlight.size };
  }

  /** Resolves once every decision queued so far and every delivery it started has finished. */
  async idle(): Promise<void> {
    while (true) {
      await this.queue;
      if (this.inFlight.size === 0) return;
      await Promise.all([...this.inFlight]);
    }
  }

  /**
   * Waits for the decisions and deliveries in progress, at most `timeoutMs`; then cancels what is
   * left (its retries included). Resolves with the number of deliveries cancelled.
   */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    timer.unref();
    await Promise.race([
      this.idle(),
      new Promise<void>((r) => deadline.signal.addEventListener('abort', () => r())),
    ]);
    clearTimeout(timer);
    const left = this.inFlight.size;
    this.shutdown.abort();
    await Promise.all([...this.inFlight]);
    await this.queue;
    await this.statusWrite;
    if (left > 0)
      this.options.log.warn({ cancelled: left }, 'Notifications still being delivered were cancelled');
    return left;
  }

  async close(): Promise<void> {
    this.shutdown.abort();
    await Promise.all(this.channels.map((c) => c.close?.().catch(() => undefined)));
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((e: unknown) => {
      this.options.log.error(
        { err: scrubSecrets(e instanceof Error ? e.message : String(e)) },
        'Notification could not be processed (a bug; the run is not affected)',
      );
    });
  }

  private async loadState(): Promise<DedupState> {
    if (this.state) return this.state;
    const { state, problem } = this.options.stateDir
      ? await readDedup(this.options.stateDir)
      : { state: EMPTY_DEDUP, problem: undefined };
    if (problem)
      this.options.log.warn(
        { file: 'notify.json', problem },
        'The notification memory is unreadable; starting empty (a condition may be notified again)',
      );
    this.state = state;
    return state;
  }

  private async decideAndSend(event: NotifyEvent): Promise<void> {
    const policy = this.options.policy;
    const decision = decide(this.state ?? (await this.loadState()), event, this.now(), policy);
    const stateDir = this.options.stateDir;
    const changed = decision.state !== this.state;
    this.state = decision.state;
    if (changed && stateDir) {
      await writeDedup(stateDir, decision.state).catch((e: unknown) =>
        this.options.log.warn(
          { err: (e as NodeJS.ErrnoException).code ?? String(e) },
          'Cannot save notify.json: a condition may be notified again after a restart',
        ),
      );
    }
    if (!decision.send) {
      if (policy.events.has(event.kind)) {
        for (const c of this.channels) this.options.onOutcome?.(c.name, 'suppressed');
        this.options.log.debug(eventFields(event), 'Notification left out: already notified');
      }
      return;
    }
    const id = randomUUID();
    this.options.log.info({ ...eventFields(decision.event), delivery: id }, 'Notifying');
    for (const c of this.channels) {
      const p = this.deliver(c, decision.event, id).then(() => undefined);
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }
  }

  /** One notification on one channel, with its retries. Never throws. */
  private async deliver(channel: NotifyChannel, event: NotifyEvent, id: string): Promise<SendResult> {
    const log = this.options.log.child({ channel: channel.name, target: channel.target, delivery: id });
    const signal = this.shutdown.signal;
    for (let attempt = 0; ; attempt++) {
      try {
        const receipt = await channel.send(event, signal, { id });
        this.record(channel, { ok: true });
        log.info(
          { ...eventFields(event), attempt: attempt + 1, answer: receipt.detail },
          'Notification delivered',
        );
        return { ok: true, detail: receipt.detail };
      } catch (e) {
        const err = asDeliveryError(e, channel.target);
        const again = err.retryable && attempt < this.options.retry.max && !signal.aborted;
        if (again) {
          const delayMs = retryDelayMs(attempt, this.options.retry.baseDelayMs, this.random);
          this.options.onOutcome?.(channel.name, 'retried');
          log.warn(
            { ...eventFields(event), attempt: attempt + 1, err: err.message, delayMs },
            'Notification failed; retrying',
          );
          await wait(delayMs, signal);
          if (!signal.aborted) continue;
        }
        this.record(channel, { ok: false, message: err.message, fix: err.fix });
        log.error(
          { ...eventFields(event), attempts: attempt + 1, err: err.message, fix: err.fix },
          'Notification not delivered',
        );
        return { ok: false, message: err.message, fix: err.fix };
      }
    }
  }

  private record(
    channel: NotifyChannel,
    r: { ok: true } | { ok: false; message: string; fix: string },
  ): void {
    const prev = this.stats.get(channel)!;
    const at = this.now().toISOString();
    this.options.onOutcome?.(channel.name, r.ok ? 'sent' : 'failed');
    this.stats.set(
      channel,
      r.ok
        ? { ...prev, lastSentAt: at, consecutiveFailures: 0, sent: prev.sent + 1 }
        : {
            ...prev,
            lastError: { at, message: scrubSecrets(r.message), fix: scrubSecrets(r.fix) },
            consecutiveFailures: prev.consecutiveFailures + 1,
            failed: prev.failed + 1,
          },
    );
    const stateDir = this.options.stateDir;
    if (!stateDir) return;
    const snapshot = { version: 1 as const, updatedAt: at, channels: this.view().channels };
    this.statusWrite = this.statusWrite
      .then(() => writeNotifyStatus(stateDir, snapshot))
      .catch((e: unknown) =>
        this.options.log.debug(
          { err: (e as NodeJS.ErrnoException).code ?? String(e) },
          'Cannot save notify-status.json',
        ),
      );
  }
}

/** One channel's result of a notification (after its retries). */
export type SendResult =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly message: string; readonly fix: string };

const HOUR_MS = 3_600_000;

/** The de-dup and detection numbers from the `notify` keys. */
export function notifyPolicy(notify: NotifyConfig): NotifyPolicy {
  return {
    reminderMs: notify.reminderHours * HOUR_MS,
    failingAfterRuns: notify.failingAfterRuns,
    // 0 = only the run count decides.
    failingAfterMs:
      notify.failingAfterMinutes > 0 ? notify.failingAfterMinutes * 60_000 : Number.POSITIVE_INFINITY,
    approvalWarningMs: notify.approvalWarningHours * HOUR_MS,
    // The schema checked every entry against the kinds; setting digestCron asks for the digest.
    events: new Set([
      ...(notify.events as readonly NotifyEventKind[]),
      ...(notify.digestCron.trim() ? (['digest'] as const) : []),
    ]),
  };
}

/** The notifier a config describes; no channel is built (nodemailer never loads) for an empty `notify`. */
export function createNotifier(
  notify: NotifyConfig,
  options: {
    readonly stateDir: string;
    readonly log: Logger;
    readonly onOutcome?: (channel: string, outcome: NotificationOutcome) => void;
  },
): Notifier {
  return new Notifier({
    channels: createChannels(notify),
    policy: notifyPolicy(notify),
    retry: notify.retry,
    stateDir: options.stateDir,
    log: options.log.child({ component: 'notify' }),
    ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
  });
}
