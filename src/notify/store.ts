/**
 * The notifier's files in the state directory: `notify.json` (what was notified: the de-dup
 * memory) and `notify-status.json` (each channel's last delivery and last error, for `status`,
 * which runs in another process). Both are written atomically; both are untrusted when read: a
 * missing or damaged file is empty (we would rather tell twice than stay silent).
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { scrubbedJson } from '../core/secrets.js';
import { writeFileAtomic } from '../state/atomic.js';
import { EMPTY_DEDUP, parseDedupState } from './policy.js';
import type { ChannelName, DedupState } from './types.js';

export const DEDUP_FILE = 'notify.json';
export const STATUS_FILE = 'notify-status.json';

/** A channel's deliveries as `status` and /status show them. */
export interface ChannelStatus {
  readonly name: ChannelName;
  /** Safe to show: host:port or host. */
  readonly target: string;
  readonly lastSentAt: string | null;
  /** The last failure (after its retries), scrubbed; kept after a later success, with its time. */
  readonly lastError: { readonly at: string; readonly message: string; readonly fix: string } | null;
  /** Notifications that failed for good in a row (0 after a delivery). */
  readonly consecutiveFailures: number;
  readonly sent: number;
  readonly failed: number;
}

export interface NotifyStatusFile {
  readonly version: 1;
  readonly updatedAt: string;
  readonly channels: readonly ChannelStatus[];
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** The de-dup state; `problem` says why a file that exists was not usable (the state is then empty). */
export async function readDedup(stateDir: string): Promise<{ state: DedupState; problem?: string }> {
  let text: string | null;
  try {
    text = await readText(path.join(stateDir, DEDUP_FILE));
  } catch (e) {
    return {
      state: EMPTY_DEDUP,
      problem: `cannot read it: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    };
  }
  if (text === null) return { state: EMPTY_DEDUP };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { state: EMPTY_DEDUP, problem: 'it is not JSON' };
  }
  return parseDedupState(value);
}

export async function writeDedup(stateDir: string, state: DedupState): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(stateDir, DEDUP_FILE), `${JSON.stringify(state)}\n`);
}

const NAMES: ReadonlySet<string> = new Set<ChannelName>(['email', 'teams', 'slack', 'webhook']);

function isChannelStatus(v: unknown): v is ChannelStatus {
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) return false;
  const err = o.lastError as Record<string, unknown> | null | undefined;
  return (
    typeof o.name === 'string' &&
    NAMES.has(o.name) &&
    typeof o.target === 'string' &&
    (o.lastSentAt === null || typeof o.lastSentAt === 'string') &&
    (err === null ||
      (typeof err === 'object' &&
        typeof err.at === 'string' &&
        typeof err.message === 'string' &&
        typeof err.fix === 'string')) &&
    [o.consecutiveFailures, o.sent, o.failed].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
  );
}

/** The channels' last deliveries as the daemon (or `sync`) left them; null when none or unusable. */
export async function readNotifyStatus(stateDir: string): Promise<NotifyStatusFile | null> {
  try {
    const text = await readText(path.join(stateDir, STATUS_FILE));
    if (text === null) return null;
    const v = JSON.parse(text) as Partial<NotifyStatusFile>;
    if (v.version !== 1 || typeof v.updatedAt !== 'string' || !Array.isArray(v.channels)) return null;
    return { version: 1, updatedAt: v.updatedAt, channels: v.channels.filter(isChannelStatus) };
  } catch {
    return null;
  }
}

export async function writeNotifyStatus(stateDir: string, status: NotifyStatusFile): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(stateDir, STATUS_FILE), `${scrubbedJson(status)}\n`);
}
