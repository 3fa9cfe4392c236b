/**
 * A job's state directory: the last snapshot MIM accepted, the intent of a push in flight, the
 * run history, pending approvals and a lock so two processes never run the same job at once.
 *
 * Invariant: snapshot.json changes only after MIM answered 2xx. A push in flight is recorded in
 * pending.json first; while it exists, the next run never skips its upload (MIM may hold either
 * version), and a re-upload is harmless because a replacing sync is idempotent.
 */
import { appendFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { StateError } from '../core/errors.js';
import type { PushedRecord } from '../core/types.js';
import { writeFileAtomic } from './atomic.js';
import { lockJob, type RunLock } from './lock.js';

export interface StoredSnapshot {
  readonly version: 1;
  readonly job: string;
  readonly pushedAt: string;
  readonly planId: string;
  readonly payloadSha256: string;
  readonly records: readonly PushedRecord[];
}

export interface PendingPush {
  readonly startedAt: string;
  readonly runId: string;
  readonly payloadSha256: string;
  readonly count: number;
}

export interface BlockedPlan {
  readonly planId: string;
  readonly blockedAt: string;
  readonly runId: string;
  readonly reasons: readonly string[];
  readonly deletes: number;
  readonly adds: number;
  readonly updates: number;
  /** Set by `approve`: who approved, when. */
  readonly approvedBy?: string | undefined;
  readonly approvedAt?: string | undefined;
}

export interface HistoryEntry {
  readonly runId: string;
  readonly job: string;
  readonly trigger: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly outcome: RunOutcome;
  readonly durationMs: number;
  readonly sources?: readonly { source: string; description: string; total: number; valid: number }[];
  readonly plan?: {
    id: string;
    adds: number;
    updates: number;
    deletes: number;
    unchanged: number;
    carried: number;
  };
  readonly rejected?: number;
  readonly payloadSha256?: string;
  readonly httpStatus?: number;
  readonly error?: { code: string; message: string; place?: string | undefined; fix: string };
  readonly guard?: { kind: string; reasons: readonly string[] };
  readonly approval?: { by: string; planId?: string | undefined; allowDeletes?: number | undefined };
}

export type RunOutcome = 'applied' | 'unchanged' | 'planned' | 'blocked' | 'failed';

const HISTORY_MAX_BYTES = 1024 * 1024;
const HISTORY_KEEP = 5;

function wrap(file: string, what: string, e: unknown): StateError {
  const code = (e as NodeJS.ErrnoException).code ?? String(e);
  const fix =
    code === 'EACCES' || code === 'EROFS' || code === 'EPERM'
      ? 'Make the state directory writable by the service user (systemd: StateDirectory=).'
      : code === 'ENOSPC'
        ? 'Free disk space on the state volume; nothing was recorded, the next run retries.'
        : 'Check the state directory (stateDir).';
  return new StateError(`Cannot ${what}: ${code}`, { place: file, fix, cause: e });
}

async function readJson<T>(file: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw wrap(file, 'read the state', e);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new StateError('A state file is not valid JSON', {
      place: file,
      fix: 'Restore it from a backup, or move it away to start over (the next push then re-sends everyone).',
      cause: e,
    });
  }
}

export class JobState {
  readonly dir: string;

  constructor(
    stateDir: string,
    readonly job: string,
  ) {
    this.dir = path.join(stateDir, job);
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  async ensureDir(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw wrap(this.dir, 'create the state directory', e);
    }
  }

  async readSnapshot(): Promise<StoredSnapshot | null> {
    const s = await readJson<StoredSnapshot>(this.file('snapshot.json'));
    if (s && (s.version !== 1 || !Array.isArray(s.records))) {
      throw new StateError('snapshot.json has an unknown format', {
        place: this.file('snapshot.json'),
        fix: 'It was written by another version; move it away to start over.',
      });
    }
    return s;
  }

  async writeSnapshot(snapshot: StoredSnapshot): Promise<void> {
    await this.writeJson('snapshot.json', snapshot, 'record the pushed snapshot');
  }

  async readPending(): Promise<PendingPush | null> {
    return readJson<PendingPush>(this.file('pending.json'));
  }

  async writePending(p: PendingPush): Promise<void> {
    await this.writeJson('pending.json', p, 'record the push intent');
  }

  async clearPending(): Promise<void> {
    try {
      await rm(this.file('pending.json'), { force: true });
    } catch (e) {
      throw wrap(this.file('pending.json'), 'clear the push intent', e);
    }
  }

  async readBlocked(): Promise<BlockedPlan | null> {
    return readJson<BlockedPlan>(this.file('blocked.json'));
  }

  async writeBlocked(b: BlockedPlan): Promise<void> {
    await this.writeJson('blocked.json', b, 'record the blocked plan');
  }

  async clearBlocked(): Promise<void> {
    await rm(this.file('blocked.json'), { force: true });
  }

  private async writeJson(name: string, value: unknown, what: string): Promise<void> {
    await this.ensureDir();
    try {
      await writeFileAtomic(this.file(name), `${JSON.stringify(value)}\n`);
    } catch (e) {
      throw wrap(this.file(name), what, e);
    }
  }

  /** Appends one run to history.jsonl, rotating it at 1 MiB (history.1.jsonl … history.5.jsonl). */
  async appendHistory(entry: HistoryEntry): Promise<void> {
    await this.ensureDir();
    const file = this.file('history.jsonl');
    try {
      const size = await stat(file).then(
        (s) => s.size,
        () => 0,
      );
      if (size > HISTORY_MAX_BYTES) await this.rotateHistory();
      await appendFile(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    } catch (e) {
      throw wrap(file, 'append to the run history', e);
    }
  }

  private async rotateHistory(): Promise<void> {
    await rm(this.file(`history.${HISTORY_KEEP}.jsonl`), { force: true });
    for (let i = HISTORY_KEEP - 1; i >= 1; i--) {
      await rename(this.file(`history.${i}.jsonl`), this.file(`history.${i + 1}.jsonl`)).catch(
        () => undefined,
      );
    }
    await rename(this.file('history.jsonl'), this.file('history.1.jsonl'));
  }

  /** The most recent `limit` runs, newest last. Skips a torn last line (a crash mid-append). */
  async readHistory(limit = 20): Promise<HistoryEntry[]> {
    const text = await readFile(this.file('history.jsonl'), 'utf8').catch(() => '');
    const out: HistoryEntry[] = [];
    for (const line of text.split('\n').slice(-limit - 1)) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as HistoryEntry);
      } catch {
        // a torn line from a crash mid-append; the next line starts clean
      }
    }
    return out.slice(-limit);
  }

  /**
   * Takes the job's run lock (see lock.ts): holds across processes, containers and hosts sharing
   * the state directory. Call the result to release it, and `assertHeld()` right before an upload.
   * Throws StateError naming the holder when another run is in progress.
   */
  async lock(): Promise<RunLock> {
    await this.ensureDir();
    return lockJob(this.dir, this.job);
  }
}
