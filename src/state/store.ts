/**
 * A job's state directory: the last snapshot MIM accepted, the intent of a push in flight, the
 * run history, pending approvals and a lock so two processes never run the same job at once.
 *
 * Invariant: snapshot.json changes only after MIM answered 2xx. A push in flight is recorded in
 * pending.json first; while it exists, the next run never skips its upload (MIM may hold either
 * version), and a re-upload is harmless because a replacing sync is idempotent.
 */
import { appendFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { StateError } from '../core/errors.js';
import { scrubbedJson } from '../core/secrets.js';
import type { PlanCounts, PushedRecord } from '../core/types.js';
import { writeChunksAtomic } from './atomic.js';
import {
  type Baseline,
  type BaselineFacts,
  baselineFacts,
  checkSnapshotFile,
  encodeSnapshot,
  isObj,
  isStr,
  type NewSnapshot,
  recordsProblem,
  type Snapshot,
  sameTarget,
  splitSnapshotFile,
  type Target,
  targetShape,
} from './baseline.js';
import type { RunLock } from './lock.js';

export type { NewSnapshot, Snapshot, StoredSnapshot, Target } from './baseline.js';

/** How many accepted snapshots baselines/ keeps for `baseline restore`. */
export const KEEP_BASELINES = 5;

/**
 * Uploads that got no definite answer: MIM may hold any of them. Kept until an upload is
 * confirmed, whatever later attempts answer; the guard counts its people as possibly in MIM.
 */
export interface PendingPush {
  readonly version: 2;
  readonly target: Target;
  readonly uploads: readonly {
    readonly runId: string;
    readonly startedAt: string;
    readonly payloadSha256: string;
    readonly count: number;
  }[];
  /** Everyone any of those uploads held (union by Sync ID): people MIM may have. */
  readonly records: readonly PushedRecord[];
}

/** pending.json as read: none, a usable record, or one we cannot vouch for. */
export type PendingState =
  | { readonly kind: 'none' }
  | { readonly kind: 'pending'; readonly pending: PendingPush }
  | { readonly kind: 'unusable'; readonly detail: string };

export interface Approval {
  readonly by: string;
  readonly at: string;
  readonly expiresAt: string;
}

/** A plan the guard blocked, bound to its target and baseline; `approve` adds the approval. */
export interface BlockedPlan {
  readonly version: 2;
  readonly target: Target;
  readonly planId: string;
  readonly baselineId: string;
  readonly blockedAt: string;
  /** The last run that computed this same plan (the daemon re-checks it on every trigger). */
  readonly seenAt?: string | undefined;
  readonly runId: string;
  readonly reasons: readonly string[];
  readonly deletes: number;
  readonly adds: number;
  readonly updates: number;
  readonly approval?: Approval | undefined;
}

export type BlockedState =
  | { readonly kind: 'none' }
  | { readonly kind: 'blocked'; readonly plan: BlockedPlan }
  | { readonly kind: 'unusable'; readonly detail: string };

/** A snapshot kept in baselines/ for `baseline list` / `baseline restore`. */
export interface KeptBaseline {
  readonly seq: number;
  readonly file: string;
  readonly baseline: Baseline;
}

export interface HistoryEntry {
  readonly runId: string;
  readonly job: string;
  readonly trigger: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly outcome: RunOutcome;
  readonly durationMs: number;
  readonly sources?: readonly {
    source: string;
    description: string;
    /** The input read (csv-folder: the archived file's name). */
    input?: string;
    total: number;
    valid: number;
  }[];
  readonly plan?: PlanCounts;
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

type Parsed =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'bad'; readonly detail: string };

type Read =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly bytes: Buffer }
  | { readonly kind: 'bad'; readonly detail: string };

/** Reads a state file's bytes: missing, read, or why not. */
async function readBytes(file: string): Promise<Read> {
  try {
    return { kind: 'ok', bytes: await readFile(file) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'bad', detail: `it cannot be read (${code ?? String(e)})` };
  }
}

const NOT_JSON = 'it is not valid JSON (damaged or cut off)';

/** Reads and parses a JSON state file without trusting it: missing, parsed, or why not. */
async function parseFile(file: string): Promise<Parsed> {
  const read = await readBytes(file);
  if (read.kind !== 'ok') return read;
  try {
    return { kind: 'ok', value: JSON.parse(read.bytes.toString('utf8')) as unknown };
  } catch {
    return { kind: 'bad', detail: NOT_JSON };
  }
}

/** Reads and checks a snapshot file (either format) against `target`, trusting nothing in it. */
async function readSnapshotFile(file: string, target: Target): Promise<Baseline> {
  const read = await readBytes(file);
  if (read.kind === 'missing') return checkSnapshotFile({ format: 'json', value: undefined }, target, file);
  const split = read.kind === 'ok' ? splitSnapshotFile(read.bytes) : undefined;
  if (!split) {
    const detail = read.kind === 'bad' ? read.detail : NOT_JSON;
    return {
      known: false,
      id: 'unknown',
      reason: 'unreadable',
      detail: `${path.basename(file)}: ${detail}`,
      place: file,
    };
  }
  return checkSnapshotFile(split, target, file);
}

function pendingProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'it is not an object';
  if (v.version !== 2) return 'it was written by an older version and does not say what was uploaded';
  const t = targetShape(v.target);
  if (t) return `it has ${t === 'no target' ? 'no target' : 'an incomplete target'}`;
  if (!Array.isArray(v.uploads) || v.uploads.length === 0) return 'it lists no upload';
  if (!v.uploads.every(isPendingUpload)) return 'it lists an upload that is not what a run writes';
  if (!Array.isArray(v.records)) return 'it has no records';
  return recordsProblem(v.records);
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const optional = (v: unknown, ok: (x: unknown) => boolean): boolean => v === undefined || ok(v);

/** One entry of pending.json's `uploads`; status prints its fields and the next run re-writes it. */
function isPendingUpload(u: unknown): boolean {
  return isObj(u) && isStr(u.runId) && isStr(u.startedAt) && isStr(u.payloadSha256) && isCount(u.count);
}

function blockedProblem(v: unknown): string | undefined {
  if (!isObj(v) || v.version !== 2 || !isObj(v.target)) return 'unknown format';
  for (const k of ['planId', 'baselineId', 'blockedAt', 'runId'] as const)
    if (typeof v[k] !== 'string') return `no ${k}`;
  if (!Array.isArray(v.reasons) || !v.reasons.every(isStr)) return 'no list of reasons';
  for (const k of ['deletes', 'adds', 'updates'] as const) if (!isCount(v[k])) return `no count of ${k}`;
  if (!optional(v.seenAt, isStr)) return 'a malformed seenAt';
  if (v.approval !== undefined) {
    const a = v.approval;
    if (!isObj(a) || typeof a.by !== 'string' || typeof a.at !== 'string' || typeof a.expiresAt !== 'string')
      return 'a malformed approval';
  }
  return undefined;
}

const OUTCOMES: ReadonlySet<unknown> = new Set<RunOutcome>([
  'applied',
  'unchanged',
  'planned',
  'blocked',
  'failed',
]);
const isTime = (v: unknown): boolean => isStr(v) && !Number.isNaN(Date.parse(v));
const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

function planCountsProblem(v: unknown): string | undefined {
  if (!isObj(v) || !optional(v.id, isStr)) return 'a malformed plan';
  for (const k of ['adds', 'updates', 'deletes'] as const) if (!isCount(v[k])) return `a malformed plan.${k}`;
  // Optional: lines written before these counts existed are still runs.
  for (const k of ['unchanged', 'carried'] as const)
    if (!optional(v[k], isCount)) return `a malformed plan.${k}`;
  return undefined;
}

/** What is wrong with one parsed history line, if anything (see HistoryEntry). */
function historyEntryProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not an object';
  for (const k of ['runId', 'job', 'trigger'] as const) if (!isStr(v[k])) return `no ${k}`;
  if (!isTime(v.startedAt) || !isTime(v.endedAt)) return 'no start or end time';
  if (!OUTCOMES.has(v.outcome)) return 'no known outcome';
  if (!isNumber(v.durationMs)) return 'no duration';
  const sourceOk = (s: unknown): boolean =>
    isObj(s) &&
    isStr(s.source) &&
    optional(s.description, isStr) &&
    optional(s.input, isStr) &&
    optional(s.total, isCount) &&
    optional(s.valid, isCount);
  if (!optional(v.sources, (x) => Array.isArray(x) && x.every(sourceOk))) return 'malformed sources';
  const plan = v.plan === undefined ? undefined : planCountsProblem(v.plan);
  if (plan) return plan;
  if (!optional(v.rejected, isCount) || !optional(v.httpStatus, isNumber)) return 'malformed counts';
  if (!optional(v.payloadSha256, isStr)) return 'a malformed payloadSha256';
  const errorOk = (e: unknown): boolean =>
    isObj(e) && isStr(e.code) && isStr(e.message) && isStr(e.fix) && optional(e.place, isStr);
  if (!optional(v.error, errorOk)) return 'a malformed error';
  const guardOk = (g: unknown): boolean =>
    isObj(g) && isStr(g.kind) && Array.isArray(g.reasons) && g.reasons.every(isStr);
  if (!optional(v.guard, guardOk)) return 'a malformed guard verdict';
  const approvalOk = (a: unknown): boolean =>
    isObj(a) && isStr(a.by) && optional(a.planId, isStr) && optional(a.allowDeletes, isCount);
  if (!optional(v.approval, approvalOk)) return 'a malformed approval';
  return undefined;
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

  /** The baseline for `target`, checked for shape, integrity and target on every read. */
  async readBaseline(target: Target): Promise<Baseline> {
    return readSnapshotFile(this.file('snapshot.json'), target);
  }

  /**
   * The baseline's facts for the views (/status, the console, `status`): read and checked like
   * `readBaseline`, but remembered while snapshot.json's inode, size and times stay the same, so a
   * page view does not parse 100k records. Display only: a run always uses `readBaseline`.
   */
  async viewBaseline(target: Target): Promise<BaselineFacts> {
    const file = this.file('snapshot.json');
    const st = await stat(file).catch(() => null);
    const key = st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${JSON.stringify(target)}` : null;
    if (key !== null && this.#viewed?.key === key) return this.#viewed.facts;
    const facts = baselineFacts(await this.readBaseline(target));
    this.#viewed = key === null ? null : { key, facts };
    return facts;
  }

  #viewed: { readonly key: string; readonly facts: BaselineFacts } | null = null;

  /**
   * Records a snapshot MIM accepted: snapshot.json (atomically), then, best effort, a copy in
   * baselines/ for `baseline restore`, keeping the newest KEEP_BASELINES. A damaged or foreign snapshot.json
   * that this replaces is kept beside it for the admin (snapshot.json.replaced-<seq>).
   */
  async writeSnapshot(snapshot: NewSnapshot): Promise<void> {
    const current = await readSnapshotFile(this.file('snapshot.json'), snapshot.target);
    if (!current.known && current.reason !== 'missing') {
      await rename(this.file('snapshot.json'), this.file(`snapshot.json.replaced-${snapshot.seq}`)).catch(
        () => undefined,
      );
    }
    const chunks = encodeSnapshot(snapshot);
    await this.writeChunks('snapshot.json', chunks, 'record the pushed snapshot');
    // The kept copy serves `baseline restore`; a full disk here must not fail an applied run.
    await this.writeChunks(path.join('baselines', `snapshot-${snapshot.seq}.json`), chunks, 'keep a copy')
      .then(() => this.pruneBaselines())
      .catch(() => undefined);
  }

  private async pruneBaselines(): Promise<void> {
    const kept = await this.baselineFiles();
    for (const k of kept.slice(0, Math.max(0, kept.length - KEEP_BASELINES)))
      await rm(k.file, { force: true }).catch(() => undefined);
  }

  private async baselineFiles(): Promise<{ seq: number; file: string }[]> {
    const dir = this.file('baselines');
    const names = await readdir(dir).catch(() => [] as string[]);
    return names
      .map((n) => ({ n, m: /^snapshot-(\d+)\.json$/.exec(n) }))
      .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
      .map((x) => ({ seq: Number(x.m[1]), file: path.join(dir, x.n) }))
      .sort((a, b) => a.seq - b.seq);
  }

  /** The kept snapshots, oldest first, each checked against `target`. */
  async listBaselines(target: Target): Promise<KeptBaseline[]> {
    const out: KeptBaseline[] = [];
    for (const f of await this.baselineFiles()) {
      const checked = await readSnapshotFile(f.file, target);
      const baseline: Baseline =
        !checked.known && checked.reason === 'missing'
          ? { known: false, id: 'unknown', reason: 'unreadable', detail: 'gone', place: f.file }
          : checked;
      out.push({ seq: f.seq, file: f.file, baseline });
    }
    return out;
  }

  /** Makes kept snapshot `seq` the baseline again; it must be intact and of this target. */
  async restoreBaseline(target: Target, seq: number): Promise<Snapshot> {
    const kept = (await this.listBaselines(target)).find((k) => k.seq === seq);
    if (!kept) {
      throw new StateError(`There is no kept snapshot ${seq}`, {
        place: this.file('baselines'),
        fix: 'Run `mobileid-sync baseline list` to see the kept snapshots.',
      });
    }
    if (!kept.baseline.known) {
      throw new StateError(`Snapshot ${seq} cannot be restored: ${kept.baseline.detail}`, {
        place: kept.file,
        fix: 'Pick another kept snapshot, or approve the plan against the unknown baseline.',
      });
    }
    const current = await parseFile(this.file('snapshot.json'));
    if (current.kind !== 'missing')
      await rename(this.file('snapshot.json'), this.file(`snapshot.json.before-restore-${seq}`)).catch(
        () => undefined,
      );
    // The kept file as it is (it was just checked): the same bytes, so the same baseline id.
    const copy = await readBytes(kept.file);
    if (copy.kind !== 'ok') {
      throw new StateError(`Snapshot ${seq} cannot be restored: it is gone`, {
        place: kept.file,
        fix: 'Run `mobileid-sync baseline list` to see the kept snapshots.',
      });
    }
    const again = splitSnapshotFile(copy.bytes);
    const recheck = again ? checkSnapshotFile(again, target, kept.file) : undefined;
    if (!recheck?.known || recheck.id !== kept.baseline.id) {
      throw new StateError(`Snapshot ${seq} changed while it was restored`, {
        place: kept.file,
        fix: 'Run `mobileid-sync baseline list` and restore again.',
      });
    }
    await this.writeChunks('snapshot.json', [copy.bytes], 'restore the snapshot');
    await this.clearBlocked();
    return recheck.snapshot;
  }

  /** The highest snapshot sequence this state dir has used (so a new one never repeats it). */
  async lastSeq(): Promise<number> {
    let seq = 0;
    for (const f of await this.baselineFiles()) seq = Math.max(seq, f.seq);
    const current = await readBytes(this.file('snapshot.json'));
    const split = current.kind === 'ok' ? splitSnapshotFile(current.bytes) : undefined;
    const facts = split?.format === 3 ? split.header : split?.value;
    if (isObj(facts) && Number.isSafeInteger(facts.seq)) seq = Math.max(seq, facts.seq as number);
    return seq;
  }

  async readPending(target: Target): Promise<PendingState> {
    const parsed = await parseFile(this.file('pending.json'));
    if (parsed.kind === 'missing') return { kind: 'none' };
    if (parsed.kind === 'bad') return { kind: 'unusable', detail: `pending.json: ${parsed.detail}` };
    const problem = pendingProblem(parsed.value);
    if (problem) return { kind: 'unusable', detail: `pending.json: ${problem}` };
    const p = parsed.value as PendingPush;
    if (!sameTarget(p.target, target))
      return { kind: 'unusable', detail: 'pending.json belongs to another MIM target' };
    return { kind: 'pending', pending: p };
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

  /** blocked.json: none, a plan we can trust, or why the file is there but not used. */
  async readBlockedState(): Promise<BlockedState> {
    const parsed = await parseFile(this.file('blocked.json'));
    if (parsed.kind === 'missing') return { kind: 'none' };
    if (parsed.kind === 'bad') return { kind: 'unusable', detail: parsed.detail };
    const problem = blockedProblem(parsed.value);
    if (problem !== undefined) return { kind: 'unusable', detail: problem };
    return { kind: 'blocked', plan: parsed.value as BlockedPlan };
  }

  /** The blocked plan, or null when there is none or it is not in a shape we can trust. */
  async readBlocked(): Promise<BlockedPlan | null> {
    const state = await this.readBlockedState();
    return state.kind === 'blocked' ? state.plan : null;
  }

  async writeBlocked(b: BlockedPlan): Promise<void> {
    await this.writeJson('blocked.json', b, 'record the blocked plan');
  }

  async clearBlocked(): Promise<void> {
    await rm(this.file('blocked.json'), { force: true });
  }

  private async writeChunks(name: string, chunks: readonly (string | Buffer)[], what: string): Promise<void> {
    await this.ensureDir();
    const file = this.file(name);
    try {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await writeChunksAtomic(file, chunks);
    } catch (e) {
      throw wrap(file, what, e);
    }
  }

  private async writeJson(name: string, value: unknown, what: string): Promise<void> {
    await this.writeChunks(name, [`${JSON.stringify(value)}\n`], what);
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
      await appendFile(file, `${scrubbedJson(entry)}\n`, { mode: 0o600 });
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

  /**
   * The most recent `limit` runs, newest last. Skips a torn last line (a crash mid-append) and
   * any line that is not a run record as this version writes them (an edited or damaged file):
   * status, notifications and the carry-forward clock read these fields without re-checking.
   */
  async readHistory(limit = 20): Promise<HistoryEntry[]> {
    const text = await readFile(this.file('history.jsonl'), 'utf8').catch(() => '');
    const out: HistoryEntry[] = [];
    for (const line of text.split('\n').slice(-limit - 1)) {
      if (!line) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        // a torn line from a crash mid-append; the next line starts clean
        continue;
      }
      if (historyEntryProblem(parsed) === undefined) out.push(parsed as HistoryEntry);
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
    // Imported here: `status` and `baseline list` read the state and never lock.
    const { lockJob } = await import('./lock.js');
    return lockJob(this.dir, this.job);
  }
}
