/**
 * `<stateDir>/reload.json`: the daemon's last reload attempt, so `status` (a separate process)
 * can show a refused reload next to the jobs. Written atomically by the daemon, removed when it
 * starts on a config it just validated; read without trusting it (a damaged file shows as none).
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../state/atomic.js';
import type { ReloadRecord } from './reload.js';

export const RELOAD_FILE = 'reload.json';

export async function saveReloadRecord(stateDir: string, record: ReloadRecord): Promise<void> {
  await writeFileAtomic(path.join(stateDir, RELOAD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

export async function clearReloadRecord(stateDir: string): Promise<void> {
  await rm(path.join(stateDir, RELOAD_FILE), { force: true });
}

function isRecord(v: unknown): v is ReloadRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  if (typeof r.at !== 'string') return false;
  if (r.outcome === 'refused') {
    const e = r.error as Record<string, unknown> | undefined;
    return typeof e?.message === 'string' && typeof e.fix === 'string';
  }
  return (
    r.outcome === 'applied' &&
    Array.isArray(r.added) &&
    Array.isArray(r.removed) &&
    Array.isArray(r.changed) &&
    Array.isArray(r.needsRestart)
  );
}

/** The last reload the daemon recorded, or null (none, or a file that is not one). */
export async function readReloadRecord(stateDir: string): Promise<ReloadRecord | null> {
  try {
    const value: unknown = JSON.parse(await readFile(path.join(stateDir, RELOAD_FILE), 'utf8'));
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}
