/**
 * Active/standby. Daemons sharing one state directory (NFS, SMB, a Kubernetes ReadWriteMany
 * volume) elect one active daemon through `daemon.lock` (see state/lock.ts), held for the
 * daemon's life and separate from the per-job run locks. The active one runs the jobs; a standby
 * runs nothing, watches the lock, and takes over once it stayed unchanged for lock.staleMs (the
 * active one died, hung or lost the volume). An active daemon that finds its lock gone (it was
 * frozen longer than that, or the lock was removed by hand) stops its jobs and goes standby.
 *
 * Every run lock of the daemon checks the role too (setRunPrerequisite), so a daemon resumed
 * after a freeze cannot start or upload a run before its timers noticed the loss.
 */
import path from 'node:path';
import { StateError } from '../core/errors.js';
import {
  currentLockTiming,
  describeHolder,
  type HeldLock,
  type Holder,
  setRunPrerequisite,
  tryAcquire,
} from '../state/lock.js';
import type { Logger } from '../telemetry/logger.js';

export type Role = 'active' | 'standby';

export const LEADER_LOCK_DIR = 'daemon.lock';

export interface LeaderHooks {
  /** Start schedules, watchers and start-up runs. `takeover` is false for the first start. */
  onActive(takeover: boolean): Promise<void>;
  /** Stop everything the active role started; runs in progress are cancelled. */
  onStandby(reason: string): Promise<void>;
  /** Activation after a takeover failed: the daemon should stop. */
  onFatal(error: unknown): void;
  onRole?(role: Role): void;
}

export interface LeaderStatus {
  readonly role: Role;
  readonly since: string;
  readonly lock: string;
  readonly staleMs: number;
  /** The active daemon as its lock names it (this one when active). */
  readonly active: Pick<Holder, 'host' | 'pid' | 'startedAt'> | null;
  readonly takeovers: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function untilAborted(...signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    for (const s of signals) {
      if (s.aborted) return resolve();
      s.addEventListener('abort', () => resolve(), { once: true });
    }
  });
}

export class Leader {
  readonly lockDir: string;
  #role: Role = 'standby';
  #since = new Date();
  #held: HeldLock | null = null;
  #other: Holder | null = null;
  #takeovers = 0;
  readonly #stop = new AbortController();
  #loop: Promise<void> | null = null;

  constructor(
    stateDir: string,
    private readonly log: Logger,
    private readonly hooks: LeaderHooks,
  ) {
    this.lockDir = path.join(stateDir, LEADER_LOCK_DIR);
  }

  get role(): Role {
    return this.#role;
  }

  status(): LeaderStatus {
    const h = this.#held?.holder ?? this.#other;
    return {
      role: this.#role,
      since: this.#since.toISOString(),
      lock: this.lockDir,
      staleMs: currentLockTiming().staleMs,
      active: h ? { host: h.host, pid: h.pid, startedAt: h.startedAt } : null,
      takeovers: this.#takeovers,
    };
  }

  /** Throws StateError unless this daemon holds the active role right now (a fresh beat). */
  async assertActive(): Promise<void> {
    const held = this.#held;
    if (!held || this.#role !== 'active') {
      throw new StateError('This daemon is on standby; another daemon on this state directory is active', {
        place: this.lockDir,
        fix: 'Nothing to do: the active daemon runs the jobs. This one takes over if it stops.',
      });
    }
    await held.assertHeld();
  }

  /**
   * Becomes active at once when the lock is free (before the daemon reports ready), else starts
   * as standby; then keeps contending in the background until stop().
   */
  async start(): Promise<void> {
    setRunPrerequisite(() => this.assertActive());
    const first = await tryAcquire(this.lockDir, { purpose: 'daemon', watch: false, lostError: lost });
    if ('acquired' in first) await this.#activate(first.acquired, first.tookOverFrom, false);
    else this.#standbyBecause(first.busy);
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    const held = this.#held;
    this.#held = null;
    await held?.release();
    setRunPrerequisite(null);
  }

  async #run(): Promise<void> {
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      try {
        const held = this.#held;
        if (held) {
          await untilAborted(held.signal, stop);
          if (stop.aborted) return;
          await this.#lose(held);
          continue;
        }
        const r = await tryAcquire(this.lockDir, { purpose: 'daemon', signal: stop, lostError: lost });
        if ('busy' in r) this.#standbyBecause(r.busy);
        else await this.#activate(r.acquired, r.tookOverFrom, true, r.takeoverMs);
      } catch (e) {
        if (stop.aborted) return;
        this.log.warn(
          { err: e instanceof Error ? e.message : String(e), lock: this.lockDir },
          'Could not check the active daemon lock; retrying',
        );
        await sleep(currentLockTiming().beatMs, stop);
      }
    }
  }

  #setRole(role: Role): void {
    if (this.#role === role) return;
    this.#role = role;
    this.#since = new Date();
    this.hooks.onRole?.(role);
  }

  #standbyBecause(holder: Holder | null): void {
    const changed = this.#other?.token !== holder?.token;
    this.#other = holder;
    if (!changed) return;
    this.log.info(
      {
        role: 'standby',
        active: holder ? { host: holder.host, pid: holder.pid, since: holder.startedAt } : null,
        lock: this.lockDir,
        takeoverAfterMs: currentLockTiming().staleMs,
      },
      `Standby: another daemon is active (${describeHolder(holder)}); taking over if its lock stays unchanged for ${Math.round(currentLockTiming().staleMs / 1000)} s`,
    );
  }

  async #activate(held: HeldLock, from: Holder | null, takeover: boolean, waitedMs?: number): Promise<void> {
    this.#held = held;
    this.#other = null;
    this.#setRole('active');
    if (from) {
      this.#takeovers++;
      this.log.warn(
        {
          role: 'active',
          previous: { host: from.host, pid: from.pid, since: from.startedAt },
          unchangedForMs: waitedMs,
          lock: this.lockDir,
        },
        `Took over as the active daemon: ${describeHolder(from)} stopped refreshing the lock`,
      );
    } else {
      this.log.info({ role: 'active', lock: this.lockDir }, 'Active: this daemon runs the jobs');
    }
    try {
      await this.hooks.onActive(takeover);
    } catch (e) {
      if (!takeover) throw e;
      this.hooks.onFatal(e);
    }
  }

  async #lose(held: HeldLock): Promise<void> {
    const reason = held.signal.reason instanceof Error ? held.signal.reason.message : 'lock lost';
    this.#held = null;
    this.#setRole('standby');
    this.log.error(
      { role: 'standby', lock: this.lockDir, reason },
      'Lost the active role: stopping every job here and going standby (another daemon may be active now)',
    );
    await held.release();
    await this.hooks.onStandby(reason);
  }
}

function lost(why: string): StateError {
  return new StateError(`This daemon lost its active role: ${why}`, {
    place: LEADER_LOCK_DIR,
    fix: 'Nothing more is started or uploaded here; another daemon took over. If it happens without a reason (a frozen VM, a paused container), raise lock.staleMs.',
  });
}
