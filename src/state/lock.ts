/**
 * The state directory's locks: one run of a job at a time (`<job>/run.lock`) and one active
 * daemon per state directory (`daemon.lock`), across processes, PID namespaces (containers) and
 * hosts that share the directory (NFS, SMB, a Kubernetes ReadWriteMany volume).
 *
 * Built on proper-lockfile (a lock directory, a timer that keeps it fresh, `onCompromised` when it
 * is lost, clean-up on exit) with its file-system hooks (the `fs` option) replaced, so that no
 * decision trusts a PID, a clock, or a check followed by an act:
 *  - A lock is a directory holding one holder file `holder.<token>.<beat>.json` (host, pid, start
 *    time; written once). It is born complete: built as a private temp directory and renamed into
 *    place, which succeeds only where there is no lock or an empty, abandoned one.
 *  - The holder shows it is alive by renaming its file to the next beat number every `beatMs`.
 *  - Staleness is observed, not computed: a contender watches the lock with the monotonic clock
 *    and calls it stale once it stayed unchanged for `staleMs` (the larger of its own and the
 *    holder's). No mtime is compared with a clock, so clock skew between hosts does not matter.
 *  - A take-over removes exactly the holder file it saw unchanged. If the holder beat meanwhile,
 *    that name is gone and the take-over fails: two contenders cannot both win, and a contender
 *    frozen between its decision and its act cannot remove a live lock.
 *  - A holder frozen longer than `staleMs` finds its file gone at its next beat: the lock is lost
 *    (`signal` aborts, `assertHeld()` throws) and it never touches the new holder's files.
 *  - Release removes only its own holder file, then the directory if it is empty.
 */
// `performance` is Node's global (perf_hooks' own object) and node:crypto is loaded on the first
// lock, not when a command that never locks imports this module.
import * as fs from 'node:fs';
import { mkdir, open, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StateError } from '../core/errors.js';
import {
  code,
  describeHolder,
  type Holder,
  holderIsDeadHere,
  holderName,
  holderOf,
  localIdentity,
  type Observation,
  observe,
  removeStale,
} from './lock-holder.js';
import {
  currentLockTiming,
  type LockTiming,
  MAX_ATTEMPTS,
  MAX_STALE_MS,
  NEVER_STALE_MS,
} from './lock-timing.js';

export {
  configureLocks,
  currentLockTiming,
  DEFAULT_STALE_MS,
  type LockTiming,
  lockTiming,
  MAX_STALE_MS,
  MIN_STALE_MS,
} from './lock-timing.js';
export { describeHolder, type Holder, holderIsDeadHere };

export interface HeldLock {
  readonly path: string;
  readonly holder: Holder;
  /** Aborts when the lock is lost (taken over after a freeze, removed by hand). */
  readonly signal: AbortSignal;
  readonly lost: boolean;
  /**
   * Proves the lock is still ours right now, by a beat (a rename only a live holder can do).
   * After it resolves no contender can take the lock for at least `staleMs`. Throws StateError.
   */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// Holding a lock.

class LockLostError extends StateError {}

class Held implements HeldLock {
  readonly signal: AbortSignal;
  #beat = 0;
  #acquired = false;
  #lost: StateError | null = null;
  #released = false;
  #lastBeatOk = performance.now();
  /** What proper-lockfile last "set": it compares this to detect interference; we use names instead. */
  #mtime = new Date(0);
  #chain: Promise<unknown> = Promise.resolve();
  readonly #controller = new AbortController();
  #unlock: (() => Promise<void>) | null = null;

  constructor(
    readonly path: string,
    readonly holder: Holder,
    readonly timing: LockTiming,
    private readonly describeLoss: (why: string) => StateError,
  ) {
    this.signal = this.#controller.signal;
  }

  get lost(): boolean {
    return this.#lost !== null;
  }

  private get file(): string {
    return path.join(this.path, holderName(this.holder.token, this.#beat));
  }

  /** Takes the lock through proper-lockfile; false when someone else holds it. */
  async take(): Promise<boolean> {
    // Imported here: commands that only read the state (`status`) never load it.
    const { default: lockfile } = await import('proper-lockfile');
    try {
      this.#unlock = await lockfile.lock(this.path, {
        lockfilePath: this.path,
        realpath: false,
        retries: 0,
        stale: NEVER_STALE_MS,
        update: this.timing.beatMs,
        fs: this.fsHooks(),
        onCompromised: (e) =>
          this.markLost(`its holder file could not be refreshed (${code(e) ?? e.message})`),
      });
      return true;
    } catch (e) {
      if (code(e) === 'ELOCKED') return false;
      throw e;
    }
  }

  /** Builds the lock in a private directory and renames it into place (born complete). */
  private async create(): Promise<void> {
    const tmp = `${this.path}.new-${this.holder.token}`;
    await mkdir(tmp, { mode: 0o700 });
    try {
      const fh = await open(path.join(tmp, holderName(this.holder.token, 0)), 'wx', 0o600);
      try {
        await fh.writeFile(`${JSON.stringify(this.holder)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path); // fails with ENOTEMPTY/EEXIST where a lock is
      this.#acquired = true;
      this.#lastBeatOk = performance.now();
    } catch (e) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      if (['ENOTEMPTY', 'EEXIST', 'ENOTDIR'].includes(code(e) ?? '')) {
        throw Object.assign(new Error('lock is held'), { code: 'EEXIST' });
      }
      throw e;
    }
  }

  /** Runs file operations on our holder file one at a time (a beat renames it). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(fn, fn);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** One beat: renames our holder file to the next number. Serialised with every other beat. */
  beat(mtime?: Date): Promise<void> {
    return this.#serial(async (): Promise<void> => {
      if (this.#lost) throw this.#lost;
      if (this.#released) throw this.describeLoss('it was released');
      const from = this.file;
      try {
        await rename(from, path.join(this.path, holderName(this.holder.token, this.#beat + 1)));
      } catch (e) {
        if (code(e) === 'ENOENT')
          throw this.markLost('its holder file is gone (taken over, or removed by hand)');
        // A transient error (NFS): keep the lock only while no contender can have called it stale.
        if (performance.now() - this.#lastBeatOk > this.timing.staleMs / 2) {
          throw this.markLost(
            `it could not be refreshed for ${Math.round(this.timing.staleMs / 2)} ms (${code(e) ?? e})`,
          );
        }
        throw e;
      }
      this.#beat++;
      this.#lastBeatOk = performance.now();
      if (mtime) this.#mtime = mtime;
    });
  }

  markLost(why: string): StateError {
    if (!this.#lost) {
      this.#lost = this.describeLoss(why);
      this.#controller.abort(this.#lost);
    }
    return this.#lost;
  }

  async assertHeld(): Promise<void> {
    if (this.#lost) throw this.#lost;
    await this.beat();
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true; // refuses beats queued from now on
    await this.#chain;
    const unlock = this.#unlock;
    this.#unlock = null;
    if (unlock && !this.#lost) await unlock().catch(() => undefined);
    else await this.removeOwn(); // compromised: proper-lockfile forgot it; remove only what is ours
  }

  /** Our holder file, then the directory if nothing else is in it. Never anyone else's. */
  private async removeOwn(): Promise<void> {
    await unlink(this.file).catch(() => undefined);
    await rmdir(this.path).catch(() => undefined);
  }

  private removeOwnSync(): void {
    try {
      fs.unlinkSync(this.file);
      fs.rmdirSync(this.path);
    } catch {
      // not ours any more, or not empty
    }
  }

  /** The operations proper-lockfile performs on "the lock file", mapped onto our protocol. */
  private fsHooks(): Record<string, unknown> {
    type Cb = (err: NodeJS.ErrnoException | null, value?: unknown) => void;
    const settle = (p: Promise<unknown>, cb: Cb): void => {
      p.then(
        (v) => cb(null, v),
        (e: NodeJS.ErrnoException) => cb(e),
      );
    };
    return {
      mkdir: (_p: string, cb: Cb) => settle(this.create(), cb),
      // Held: proves our holder file still exists; the mtime is the one proper-lockfile expects,
      // because a touched mtime (a backup tool, a skewed clock) says nothing about who holds it.
      stat: (p: string, cb: Cb) =>
        settle(
          this.#acquired ? this.#serial(() => stat(this.file)).then(() => ({ mtime: this.#mtime })) : stat(p),
          cb,
        ),
      utimes: (_p: string, _a: Date, m: Date, cb: Cb) =>
        settle(
          this.beat(m).catch((e: unknown) => {
            // proper-lockfile calls onCompromised for ENOENT only; a loss we decided counts too
            throw this.#lost ? Object.assign(new Error(this.#lost.message), { code: 'ENOENT' }) : e;
          }),
          cb,
        ),
      rmdir: (_p: string, cb: Cb) => settle(this.removeOwn(), cb),
      rmdirSync: () => this.removeOwnSync(),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Acquiring.

export interface AcquireOptions {
  /** Shown to people: `job main`, `daemon`. */
  readonly purpose: string;
  readonly timing?: LockTiming | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Describes a loss for the error `assertHeld()` throws. */
  readonly lostError?: ((why: string, holder: Holder) => StateError) | undefined;
  /** false: report a held lock as busy at once, without watching it (a first quick try). */
  readonly watch?: boolean | undefined;
}

export type AcquireResult =
  | { readonly acquired: HeldLock; readonly tookOverFrom: Holder | null; readonly takeoverMs?: number }
  | { readonly busy: Holder | null };

function newHolder(purpose: string, timing: LockTiming): Holder {
  const me = localIdentity();
  return {
    v: 2,
    token: process.getBuiltinModule('node:crypto').randomUUID(),
    purpose,
    host: me.host,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    staleMs: timing.staleMs,
    bootId: me.bootId,
    pidNs: me.pidNs,
    procStart: me.procStart,
  };
}

function defaultLost(lockDir: string): (why: string, h: Holder) => StateError {
  return (why, h) =>
    new LockLostError(`Lost the lock of ${h.purpose}: ${why}`, {
      place: lockDir,
      fix: 'Nothing more is uploaded by this process; the run that holds the lock now continues. If this repeats, raise lock.staleMs above the longest pause of this host.',
    });
}

/**
 * Takes the lock, or reports who holds it. A held lock is watched until it either changes (the
 * holder is alive: `busy`) or stays unchanged for the stale time (taken over). So this returns
 * within about `beatMs` while a holder lives and `staleMs` after it died; never later.
 */
export async function tryAcquire(lockDir: string, opts: AcquireOptions): Promise<AcquireResult> {
  const timing = opts.timing ?? currentLockTiming();
  let tookOverFrom: Holder | null = null;
  let takeoverMs: number | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const holder = newHolder(opts.purpose, timing);
    const lost = opts.lostError ?? defaultLost(lockDir);
    const held = new Held(lockDir, holder, timing, (why) => lost(why, holder));
    if (await held.take()) return { acquired: held, tookOverFrom, takeoverMs };

    const first = await observe(lockDir);
    if (first.kind === 'absent') continue; // released meanwhile
    if (first.kind === 'dir' && first.entries === 0) {
      await removeStale(lockDir, first, holder.token); // an empty lock directory is never live
      continue;
    }
    if (first.kind === 'dir' && first.holder && holderIsDeadHere(first.holder)) {
      await removeStale(lockDir, first, holder.token);
      tookOverFrom = first.holder;
      takeoverMs = 0;
      continue;
    }
    if (opts.watch === false) return { busy: holderOf(first) };
    const since = performance.now();
    let last: Observation = first;
    for (;;) {
      await sleep(timing.pollMs, opts.signal);
      const now = await observe(lockDir);
      if (now.sig !== first.sig) {
        if (now.kind === 'absent' || (now.kind === 'dir' && now.holderFiles.length === 0)) break;
        return { busy: now.kind === 'dir' ? (now.holder ?? holderOf(first)) : null };
      }
      last = now;
      const stale = Math.min(MAX_STALE_MS, Math.max(timing.staleMs, holderOf(now)?.staleMs ?? 0));
      const waited = performance.now() - since;
      if (waited >= stale) {
        await removeStale(lockDir, last, holder.token);
        tookOverFrom = holderOf(last);
        takeoverMs = Math.round(waited);
        break;
      }
    }
  }
  throw new StateError(`Could not take the lock of ${opts.purpose}: it kept changing hands`, {
    place: lockDir,
    fix: 'Another process keeps taking it; stop the other mobileid-sync processes on this state directory, then retry.',
  });
}

// ---------------------------------------------------------------------------------------------
// A lock file left by the previous version (`<job>/lock` holding a PID).

/**
 * An old-style PID file names a PID that may be in another namespace, or reused: it is not
 * trusted either way. It is watched like a lock: gone → fine; changed → a previous version is
 * running; unchanged for the stale time → removed.
 */
export async function retireLegacyPidFile(
  file: string,
  timing: LockTiming = currentLockTiming(),
  signal?: AbortSignal,
): Promise<'absent' | 'removed' | 'busy'> {
  const look = async (): Promise<string | null> => {
    try {
      const st = await stat(file);
      const text = await readFile(file, 'utf8').catch(() => '');
      return `${st.ino}:${st.size}:${st.mtimeMs}:${text}`;
    } catch (e) {
      if (code(e) === 'ENOENT') return null;
      throw e;
    }
  };
  const first = await look();
  if (first === null) return 'absent';
  const since = performance.now();
  for (;;) {
    await sleep(timing.pollMs, signal);
    const now = await look();
    if (now === null) return 'absent';
    if (now !== first) return 'busy';
    if (performance.now() - since >= timing.staleMs) {
      await unlink(file).catch(() => undefined);
      return 'removed';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Job run locks.

function ioError(place: string, e: unknown): StateError {
  const c = code(e) ?? String(e);
  const fix =
    c === 'EACCES' || c === 'EROFS' || c === 'EPERM'
      ? 'Make the state directory writable by the service user (systemd: StateDirectory=).'
      : c === 'ENOSPC'
        ? 'Free disk space on the state volume; nothing was recorded, the next run retries.'
        : 'Check the state directory (stateDir).';
  return new StateError(`Cannot take the job lock: ${c}`, { place, fix, cause: e });
}

/** The run lock `JobState.lock()` returns: call it to release; `assertHeld()` right before the upload. */
export type RunLock = (() => Promise<void>) & {
  /** Throws StateError unless this run still holds its job's lock (and the daemon is still active). */
  readonly assertHeld: () => Promise<void>;
  /** Aborts when the lock is lost. */
  readonly signal: AbortSignal;
  readonly holder: Holder;
  readonly path: string;
};

let prerequisite: (() => Promise<void>) | null = null;

/**
 * A check every run lock of this process also makes, at acquisition and in `assertHeld()`: the
 * daemon registers "this daemon is the active one", so a daemon that lost its role (frozen, then
 * resumed) cannot start or upload a run even if the job's own lock is free.
 */
export function setRunPrerequisite(check: (() => Promise<void>) | null): void {
  prerequisite = check;
}

/** Imports proper-lockfile now (the daemon at start, so its first run is not slowed by it). */
export async function preloadLocks(): Promise<void> {
  await import('proper-lockfile');
}

export const RUN_LOCK_DIR = 'run.lock';
export const LEGACY_LOCK_FILE = 'lock';

/** Takes the run lock of a job whose state directory is `jobDir`. Throws StateError (74) when busy. */
export async function lockJob(jobDir: string, job: string, signal?: AbortSignal): Promise<RunLock> {
  const lockDir = path.join(jobDir, RUN_LOCK_DIR);
  const timing = currentLockTiming();
  const result = await tryAcquire(lockDir, {
    purpose: `job "${job}"`,
    timing,
    signal,
    lostError: (why) =>
      new LockLostError(`Job "${job}" lost its run lock: ${why}; this run uploads nothing`, {
        place: lockDir,
        fix: 'Another process took the job over after this one stopped responding for lock.staleMs; check that only one daemon is active. The next run starts from the recorded state.',
      }),
  }).catch((e: unknown) => {
    throw e instanceof StateError ? e : ioError(lockDir, e);
  });
  if ('busy' in result) {
    throw new StateError(`Job "${job}" is already running in ${describeHolder(result.busy)}`, {
      place: lockDir,
      fix: `Wait for that run to end (or stop the daemon before running \`sync\` by hand). If that process is gone, its lock is taken over once it stayed unchanged for ${Math.round(timing.staleMs / 1000)} s (lock.staleMs).`,
    });
  }
  const held = result.acquired;
  try {
    const legacy = path.join(jobDir, LEGACY_LOCK_FILE);
    if ((await retireLegacyPidFile(legacy, timing, signal)) === 'busy') {
      throw new StateError(`Job "${job}" seems to be running in a previous version of mobileid-sync`, {
        place: legacy,
        fix: 'Stop every process of the previous version on this state directory, then retry.',
      });
    }
    await prerequisite?.();
  } catch (e) {
    await held.release();
    throw e;
  }
  const assertHeld = async (): Promise<void> => {
    await held.assertHeld();
    await prerequisite?.();
  };
  return Object.assign(() => held.release(), {
    assertHeld,
    signal: held.signal,
    holder: held.holder,
    path: lockDir,
  });
}
