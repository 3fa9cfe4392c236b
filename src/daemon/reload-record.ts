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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isTexts = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A record in the shape the daemon writes, down to each list entry (status prints them all). */
function isRecord(v: unknown): v is ReloadRecord {
  if (!isObject(v) || typeof v.at !== 'string') return false;
  if (v.outcome === 'refused') {
    const e = v.error;
    return (
      isObject(e) &&
      typeof e.message === 'string' &&
      typeof e.fix === 'string' &&
      (e.place === undefined || typeof e.place === 'string')
    );
  }
  const change = (c: unknown): boolean => isObject(c) && typeof c.job === 'string' && isTexts(c.keys);
  return (
    v.outcome === 'applied' &&
    isTexts(v.added) &&
    isTexts(v.removed) &&
    Array.isArray(v.changed) &&
    v.changed.every(change) &&
    isTexts(v.needsRestart)
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
