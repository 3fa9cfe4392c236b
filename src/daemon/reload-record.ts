/**
 * `<stateDir>/reload.json`: the daemon's last reload attempt, so `status` (a separate process)
 * can show a refused reload next to the jobs. Written atomically by the daemon, removed when it
 * starts on a config it just validated; read without trusting it (a damaged file shows as none).
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../state/atomic.js';
import { isObj, isStr } from '../state/baseline.js';
import type { ReloadRecord } from './reload.js';

export const RELOAD_FILE = 'reload.json';

export async function saveReloadRecord(stateDir: string, record: ReloadRecord): Promise<void> {
  await writeFileAtomic(path.join(stateDir, RELOAD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

export async function clearReloadRecord(stateDir: string): Promise<void> {
  await rm(path.join(stateDir, RELOAD_FILE), { force: true });
}

const isTexts = (v: unknown): boolean => Array.isArray(v) && v.every(isStr);

/** A record in the shape the daemon writes, down to each list entry (status prints them all). */
function isRecord(v: unknown): v is ReloadRecord {
  if (!isObj(v) || !isStr(v.at)) return false;
  if (v.outcome === 'refused') {
    const e = v.error;
    return isObj(e) && isStr(e.message) && isStr(e.fix) && (e.place === undefined || isStr(e.place));
  }
  const change = (c: unknown): boolean => isObj(c) && isStr(c.job) && isTexts(c.keys);
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
