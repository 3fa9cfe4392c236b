/**
 * The delta cursor of one entra source: the @odata.deltaLink, every user it covers (so a delta
 * round can rebuild the complete set), and when the last full read happened. Written atomically
 * (temp file, fsync, rename) and only when a run settled as applied or unchanged.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { StateError } from '../../core/errors.js';
import type { GraphUser } from './map.js';

export interface DeltaState {
  readonly version: 1;
  /** What the link was made for; another tenant, app, Graph root or $select invalidates it. */
  readonly fingerprint: string;
  readonly deltaLink: string;
  /** ISO time of the last full read. */
  readonly fullReadAt: string;
  readonly users: readonly GraphUser[];
}

export function deltaFingerprint(parts: {
  tenantId: string;
  clientId: string;
  graphBaseUrl: string;
  select: readonly string[];
}): string {
  const text = JSON.stringify([
    parts.tenantId.toLowerCase(),
    parts.clientId.toLowerCase(),
    parts.graphBaseUrl,
    [...parts.select].sort(),
  ]);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

function isDeltaState(v: unknown): v is DeltaState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    s.version === 1 &&
    typeof s.fingerprint === 'string' &&
    typeof s.deltaLink === 'string' &&
    typeof s.fullReadAt === 'string' &&
    !Number.isNaN(Date.parse(s.fullReadAt)) &&
    Array.isArray(s.users) &&
    s.users.every(
      (u) => typeof u === 'object' && u !== null && typeof (u as { id?: unknown }).id === 'string',
    )
  );
}

export type LoadResult =
  | { readonly kind: 'ok'; readonly state: DeltaState }
  | { readonly kind: 'none' }
  | { readonly kind: 'unusable'; readonly reason: string };

/** Reads the state; a missing, corrupt or foreign file is reported, never thrown (a full read follows). */
export async function loadDeltaState(file: string, fingerprint: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return {
      kind: 'unusable',
      reason: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'unusable', reason: `${file} is not valid JSON` };
  }
  if (!isDeltaState(parsed)) return { kind: 'unusable', reason: `${file} has an unknown layout` };
  if (parsed.fingerprint !== fingerprint) {
    return {
      kind: 'unusable',
      reason: 'the tenant, app, Graph root or mapped properties changed since the last read',
    };
  }
  return { kind: 'ok', state: parsed };
}

/** Identifies one version of the file (mtime and size), or undefined when there is none. */
export async function stateStamp(file: string): Promise<string | undefined> {
  try {
    const st = await stat(file);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return undefined;
  }
}

/**
 * The JSON of users lists this process has written, by list. A delta round that changed nobody
 * hands the stored list back as it is, and its state is saved every run for the new link: the
 * daemon then writes these bytes again instead of serialising every user anew (~400 ms of CPU
 * per run at 100k users, bench/entra.ts). Kept as a Buffer, outside the JS heap, while the list lives;
 * a list is never changed once made (a round with changes makes a new one).
 */
const usersJson = new WeakMap<readonly GraphUser[], Buffer>();

function usersBytes(users: readonly GraphUser[]): Buffer {
  let bytes = usersJson.get(users);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(users));
    usersJson.set(users, bytes);
  }
  return bytes;
}

/** `JSON.stringify(state)`, its users list taken from the bytes written before when it is the same list. */
function stateBytes(state: DeltaState): Buffer[] {
  const { users, ...head } = state;
  const text = JSON.stringify(head);
  return [Buffer.from(`${text.slice(0, -1)},"users":`), usersBytes(users), Buffer.from('}')];
}

/** Temp file, fsync, rename, then fsync the directory: a crash leaves the old or the new state. */
export async function saveDeltaState(file: string, state: DeltaState): Promise<void> {
  const dir = path.dirname(file);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'w', 0o600);
    try {
      // writeFile goes on from where the last part ended, and writes each part whole.
      for (const part of stateBytes(state)) await fh.writeFile(part);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } catch {
      // Some file systems cannot fsync a directory; the rename is still atomic.
    } finally {
      await dh.close();
    }
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new StateError(
      `Cannot write the Entra delta state: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      {
        place: file,
        fix: 'Check free space and that the service user may write the state directory; the next run reads everything again.',
        cause: e,
      },
    );
  }
}
