/**
 * A lock's holder as others see it: the holder file (who, on which host, boot and PID namespace),
 * what a contender observes of a lock directory, and the removal of exactly what it saw stale.
 * See lock.ts for the protocol.
 */
import * as fs from 'node:fs';
import { readdir, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isObj, isStr } from './baseline.js';

/** Who holds a lock, written into its holder file. Informational except for the same-host fast path. */
export interface Holder {
  readonly v: 2;
  readonly token: string;
  readonly purpose: string;
  readonly host: string;
  readonly pid: number;
  /** Wall clock of the holder, shown to people only. */
  readonly startedAt: string;
  readonly staleMs: number;
  readonly bootId?: string | undefined;
  readonly pidNs?: string | undefined;
  readonly procStart?: string | undefined;
}

export const HOLDER_FILE = /^holder\.([0-9a-f-]{36})\.(\d+)\.json$/;

export function holderName(token: string, beat: number): string {
  return `holder.${token}.${beat}.json`;
}

export function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

// ---------------------------------------------------------------------------------------------
// Who we are: enough to tell, on the same host and kernel, that a holder process is gone.

interface LocalIdentity {
  readonly host: string;
  readonly bootId?: string | undefined;
  readonly pidNs?: string | undefined;
  readonly procStart?: string | undefined;
  /** /proc shows our own PID namespace (false in `unshare -p` without --mount-proc). */
  readonly procIsOurs: boolean;
}

function readSync(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; survives PID reuse checks. */
function procStart(pid: number | 'self'): string | undefined {
  const text = readSync(`/proc/${pid}/stat`);
  if (!text) return undefined;
  return text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .at(19);
}

let identity: LocalIdentity | undefined;
export function localIdentity(): LocalIdentity {
  if (identity) return identity;
  let pidNs: string | undefined;
  let self: string | undefined;
  try {
    pidNs = fs.readlinkSync('/proc/self/ns/pid');
    self = fs.readlinkSync('/proc/self');
  } catch {
    // not Linux, or /proc hidden: the fast path stays off
  }
  identity = {
    host: os.hostname(),
    bootId: readSync('/proc/sys/kernel/random/boot_id'),
    pidNs,
    procStart: procStart('self'),
    procIsOurs: self === String(process.pid),
  };
  return identity;
}

/**
 * True only when the holder certainly is dead: same host name, kernel boot and PID namespace as
 * ours, our /proc shows that namespace, and its PID is gone or now names a process started at
 * another time (a reused PID). Anything else (another host, container or boot) is decided by
 * watching the lock instead.
 */
export function holderIsDeadHere(h: Holder): boolean {
  const me = localIdentity();
  if (!me.procIsOurs || !me.bootId || !me.pidNs || !h.procStart) return false;
  if (h.host !== me.host || h.bootId !== me.bootId || h.pidNs !== me.pidNs) return false;
  if (!Number.isInteger(h.pid) || h.pid <= 0) return false;
  const now = procStart(h.pid);
  return now === undefined || now !== h.procStart;
}

// ---------------------------------------------------------------------------------------------
// Observing a lock held by someone else.

export type Observation =
  | { readonly kind: 'absent'; readonly sig: string }
  | { readonly kind: 'file'; readonly sig: string }
  | {
      readonly kind: 'dir';
      readonly sig: string;
      readonly holderFiles: readonly string[];
      readonly entries: number;
      readonly holder: Holder | null;
    };

async function readHolder(lockDir: string, name: string): Promise<Holder | null> {
  try {
    const h: unknown = JSON.parse(await readFile(path.join(lockDir, name), 'utf8'));
    return isHolder(h) ? h : null;
  } catch {
    return null; // renamed by a beat meanwhile, or torn: the next look decides
  }
}

/**
 * A holder file as a lock writes it. Anything else (edited, another version) is no holder: the lock
 * is then watched with our own stale time, and its holder named as unknown. A wrong-typed
 * `staleMs` would otherwise make the take-over wait NaN ms (forever), and a `pid` that is an
 * object would crash the message naming the holder.
 */
function isHolder(v: unknown): v is Holder {
  if (!isObj(v)) return false;
  const str = (k: string): boolean => isStr(v[k]);
  const optStr = (k: string): boolean => v[k] === undefined || str(k);
  return (
    v.v === 2 &&
    ['token', 'purpose', 'host', 'startedAt'].every(str) &&
    ['bootId', 'pidNs', 'procStart'].every(optStr) &&
    Number.isSafeInteger(v.pid) &&
    typeof v.staleMs === 'number' &&
    Number.isFinite(v.staleMs) &&
    v.staleMs >= 0
  );
}

export async function observe(lockDir: string): Promise<Observation> {
  let st: fs.Stats;
  try {
    st = await stat(lockDir);
  } catch (e) {
    if (code(e) === 'ENOENT') return { kind: 'absent', sig: 'absent' };
    throw e;
  }
  if (!st.isDirectory()) {
    return { kind: 'file', sig: `file:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` };
  }
  let names: string[];
  try {
    names = (await readdir(lockDir)).sort();
  } catch (e) {
    if (code(e) === 'ENOENT') return { kind: 'absent', sig: 'absent' };
    throw e;
  }
  const holderFiles = names.filter((n) => HOLDER_FILE.test(n));
  const holder = holderFiles[0] ? await readHolder(lockDir, holderFiles[0]) : null;
  return { kind: 'dir', sig: `dir:${st.ino}:${names.join('/')}`, holderFiles, entries: names.length, holder };
}

/**
 * Removes exactly what was observed stale. Each step fails harmlessly when the lock changed:
 * unlink of a holder file that a beat renamed is ENOENT; rmdir of a non-empty directory is
 * ENOTEMPTY; unlink never removes a directory.
 */
export async function removeStale(lockDir: string, obs: Observation, token: string): Promise<void> {
  const ignore = (e: unknown): void => {
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST', 'EISDIR', 'EPERM', 'ENOTDIR'].includes(code(e) ?? '')) throw e;
  };
  if (obs.kind === 'file') return unlink(lockDir).catch(ignore);
  if (obs.kind !== 'dir') return;
  for (const name of obs.holderFiles) await unlink(path.join(lockDir, name)).catch(ignore);
  if (obs.holderFiles.length === 0 && obs.entries > 0) {
    // Only foreign entries (no holder file): no live lock can be born into a non-empty
    // directory, so moving it aside cannot displace one.
    const aside = `${lockDir}.junk-${token}`;
    await rename(lockDir, aside).then(() => rm(aside, { recursive: true, force: true }), ignore);
    return;
  }
  await rmdir(lockDir).catch(ignore);
}

export function holderOf(o: Observation): Holder | null {
  return o.kind === 'dir' ? o.holder : null;
}

/** `pid 12 on host "a" (since …)`, or what is known. */
export function describeHolder(h: Holder | null): string {
  if (!h) return 'an unknown process (no readable holder file)';
  return `process ${h.pid} on host "${h.host}" (since ${h.startedAt})`;
}
