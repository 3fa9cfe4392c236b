/**
 * sd_notify for Type=notify units. Node has no AF_UNIX datagram sockets, so each message is sent
 * by the `systemd-notify` tool; the unit sets NotifyAccess=all because the sender is our child,
 * not the main process. systemd-notify waits until the manager has read the message, so the
 * message is attributed to this service even though the child exits right after.
 * Without $NOTIFY_SOCKET (a shell, Docker) every call is a no-op.
 */
import { execFile } from 'node:child_process';
import type { Logger } from '../telemetry/logger.js';

export interface Notifier {
  readonly enabled: boolean;
  ready(status: string): Promise<void>;
  status(status: string): Promise<void>;
  stopping(): Promise<void>;
  /** Pings the watchdog every WATCHDOG_USEC/2 while the event loop runs; returns the stop function. */
  startWatchdog(): () => void;
}

/** STATUS= ends at a line break; keep the text to one short line. */
function statusText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 200);
}

export function createNotifier(log: Logger, env: NodeJS.ProcessEnv = process.env): Notifier {
  const enabled = Boolean(env.NOTIFY_SOCKET);
  let warned = false;

  const send = (assignments: string[]): Promise<void> => {
    if (!enabled) return Promise.resolve();
    return new Promise((resolve) => {
      execFile('systemd-notify', assignments, { timeout: 10_000, env }, (err) => {
        if (err && !warned) {
          warned = true;
          log.warn(
            { err: err.message },
            'systemd-notify failed; systemd may not see readiness or the watchdog',
          );
        }
        resolve();
      });
    });
  };

  return {
    enabled,
    ready: (status) => send(['READY=1', `STATUS=${statusText(status)}`]),
    status: (status) => send([`STATUS=${statusText(status)}`]),
    stopping: () => send(['STOPPING=1', 'STATUS=Stopping']),
    startWatchdog() {
      const usec = Number(env.WATCHDOG_USEC);
      const forOther = env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== process.pid;
      if (!enabled || forOther || !Number.isFinite(usec) || usec <= 0) return () => undefined;
      const timer = setInterval(() => void send(['WATCHDOG=1']), Math.max(1000, usec / 2000));
      return () => clearInterval(timer);
    },
  };
}
