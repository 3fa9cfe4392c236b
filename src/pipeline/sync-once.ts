/**
 * One run of a job: fetch → normalise → validate → merge → plan → guard → push → record.
 * The only place where the pure pipeline meets I/O. Order of effects is what keeps people safe:
 *  - every source must deliver a complete snapshot, or nothing is planned;
 *  - the guard sees the plan before anything leaves the machine;
 *  - the push intent is written before the upload, the snapshot only after MIM's 2xx;
 *  - drop files are archived / cursors advanced only after that (source.settle).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { JobConfig } from '../config/schema.js';
import { AbortedError, isSyncError, SyncError } from '../core/errors.js';
import type { InputIdentity, SettleOutcome, Source, SourceSnapshot } from '../core/source.js';
import type { Notice, PushedRecord, Rejection } from '../core/types.js';
import { MimClient } from '../sinks/mim/client.js';
import { encodePayload, sha256 } from '../sinks/mim/encode-csv.js';
import { uploadOutcomeOf } from '../sinks/mim/errors.js';
import { createSources } from '../sources/create.js';
import { type Baseline, describeTarget, recordsDigest, type Target, targetOf } from '../state/baseline.js';
import type { RunLock } from '../state/lock.js';
import {
  type HistoryEntry,
  JobState,
  type PendingPush,
  type PendingState,
  type RunOutcome,
  type StoredSnapshot,
} from '../state/store.js';
import type { Logger } from '../telemetry/logger.js';
import { judgeApproval } from './approval.js';
import {
  type Approval,
  type BuildResult,
  buildPlan,
  evaluateGuard,
  type GuardVerdict,
  hasChanges,
  likelyEmailChanges,
  rejectionsReport,
  toPushed,
} from './index.js';

export type RunMode = 'plan' | 'sync';

export interface RunObserver {
  onMimAttempt?(job: string, outcome: number | 'network'): void;
}

export interface RunOptions {
  readonly mode: RunMode;
  readonly trigger: string;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** One-shot approval from the CLI (`--allow-deletes N`, `--accept-unknown-baseline`). */
  readonly approval?: Approval | undefined;
  readonly now?: () => Date;
  readonly observer?: RunObserver | undefined;
  /** Lets the caller (the daemon) log and show the run before it starts; default a new UUID. */
  readonly runId?: string | undefined;
}

export interface SourceSummary {
  readonly source: string;
  readonly kind: string;
  readonly description: string;
  readonly total: number;
  readonly valid: number;
}

export interface RunReport {
  readonly runId: string;
  readonly job: string;
  readonly mode: RunMode;
  readonly trigger: string;
  readonly outcome: RunOutcome;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly sources: readonly SourceSummary[];
  readonly build?: BuildResult | undefined;
  readonly guard?: GuardVerdict | undefined;
  /** True when a push would happen (plan mode) or happened (sync mode). */
  readonly pushNeeded: boolean;
  readonly skipReason?: 'identical-payload' | undefined;
  readonly push?: { readonly status: number; readonly attempts: number; readonly bytes: number } | undefined;
  readonly payloadSha256?: string | undefined;
  readonly firstPush: boolean;
  readonly pendingFromCrash: boolean;
  /** What the plan was measured against; absent when the run failed before reading the state. */
  readonly baseline?: BaselineSummary | undefined;
  /** A stored approval or blocked plan this run found no longer valid and removed (or, in a dry run, would). */
  readonly approvalVoided?: string | undefined;
  /** The upload got no definite answer: MIM may or may not hold it (pending.json is kept). */
  readonly outcomeUnknown?: boolean | undefined;
  readonly approvedBy?: string | undefined;
  /** Things the admin should know before this upload (e.g. e-mail changes that re-invite). */
  readonly warnings: readonly string[];
  readonly error?: SyncError | undefined;
}

export interface BaselineSummary {
  readonly target: Target;
  readonly known: boolean;
  readonly id: string;
  /** Known: seq, users and when they were pushed. Unknown: why. */
  readonly seq?: number | undefined;
  readonly users?: number | undefined;
  readonly pushedAt?: string | undefined;
  readonly detail?: string | undefined;
}

/** The baseline, and any uploads MIM may hold, as read at the start of a run. */
interface Basis {
  readonly target: Target;
  readonly baseline: Baseline;
  readonly pending: PendingState;
}

interface Ctx {
  readonly job: JobConfig;
  readonly opts: RunOptions;
  readonly runId: string;
  readonly startedAt: Date;
  readonly log: Logger;
  readonly state: JobState;
  readonly now: () => Date;
  /** Set by the upload when it failed without proof that MIM did not apply it. */
  uploadUnknown: boolean;
  /** The job's run lock (sync mode); checked right before anything goes to MIM. */
  lock?: RunLock | undefined;
}

/** Fetches every source; if any fails, the others are settled as failed and the error rethrown. */
async function fetchAll(sources: readonly Source[], signal: AbortSignal): Promise<SourceSnapshot[]> {
  const results = await Promise.allSettled(sources.map((s) => s.fetch(signal)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return results.map((r) => (r as PromiseFulfilledResult<SourceSnapshot>).value);
  for (const r of results)
    if (r.status === 'fulfilled') await r.value.settle?.('failed', '').catch(() => undefined);
  throw failed.reason;
}

async function settleAll(
  snapshots: readonly SourceSnapshot[],
  outcome: SettleOutcome,
  build: BuildResult,
  log: Logger,
): Promise<void> {
  for (const s of snapshots) {
    try {
      await s.settle?.(outcome, rejectionsReport(build.rejections, s.source, build.rejectionCounts));
    } catch (e) {
      log.warn({ source: s.source, err: errorFields(e) }, 'Could not settle the source input after the run');
    }
  }
}

function errorFields(e: unknown): Record<string, unknown> {
  if (isSyncError(e)) return { code: e.code, message: e.message, place: e.place, fix: e.fix };
  return { message: e instanceof Error ? e.message : String(e) };
}

function logFindings(log: Logger, rejections: readonly Rejection[], notices: readonly Notice[]): void {
  for (const r of rejections)
    log.warn(
      { place: r.place.ref, source: r.place.source, code: r.code, fix: r.fix },
      `Rejected: ${r.reason}`,
    );
  for (const n of notices) log.info({ place: n.place?.ref, source: n.place?.source }, n.message);
}

function logChanges(log: Logger, build: BuildResult): void {
  for (const a of build.plan.adds)
    log.info({ change: 'add', syncId: a.syncId, email: a.email, place: a.place.ref }, 'Add');
  for (const u of build.plan.updates) {
    log.info(
      { change: 'update', syncId: u.syncId, email: u.after.email, fields: u.changes.map((c) => c.field) },
      'Update',
    );
  }
  for (const d of build.plan.deletes)
    log.info({ change: 'delete', syncId: d.syncId, email: d.email }, 'Delete');
}

/** Who approves from this machine: the OS user (recorded with every approval). */
export function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/**
 * The approval that applies to this plan: a one-off flag of a manual run, or a stored approval
 * of exactly this plan on this baseline that has not expired. A stored plan or approval that no
 * longer applies is voided (removed in a sync; only reported in a dry run, which writes nothing).
 */
async function resolveApproval(
  ctx: Ctx,
  basis: Basis,
  planId: string,
): Promise<{ approval?: Approval; by?: string; voided?: string }> {
  const stored = await ctx.state.readBlocked();
  const judged = judgeApproval(
    stored,
    { target: basis.target, planId, baselineId: basis.baseline.id },
    ctx.now(),
  );
  let voided: string | undefined;
  if (judged.kind === 'void') {
    voided = `The blocked plan ${stored?.planId ?? ''}${stored?.approval ? ' and its approval no longer apply' : ' no longer applies'}: ${judged.why}`;
    ctx.log.warn({ planId: stored?.planId }, voided);
    if (ctx.opts.mode === 'sync') await ctx.state.clearBlocked();
  }
  if (ctx.opts.approval) return { approval: ctx.opts.approval, by: `${osUser()} (command line)`, voided };
  if (judged.kind === 'valid') return { approval: { planId }, by: judged.by, voided };
  return { voided };
}

export async function runJob(job: JobConfig, opts: RunOptions): Promise<RunReport> {
  const now = opts.now ?? (() => new Date());
  const runId = opts.runId ?? randomUUID();
  const ctx: Ctx = {
    job,
    opts,
    runId,
    startedAt: now(),
    log: opts.logger.child({ job: job.name, runId }),
    state: new JobState(opts.stateDir, job.name),
    now,
    uploadUnknown: false,
  };
  const base = {
    runId,
    job: job.name,
    mode: opts.mode,
    trigger: opts.trigger,
    startedAt: ctx.startedAt.toISOString(),
  };
  const finish = (partial: Omit<RunReport, keyof typeof base | 'endedAt' | 'durationMs'>): RunReport => {
    const end = now();
    return {
      ...base,
      ...partial,
      endedAt: end.toISOString(),
      durationMs: end.getTime() - ctx.startedAt.getTime(),
    };
  };

  let release: RunLock | undefined;
  let sources: Source[] = [];
  let report: RunReport;
  try {
    if (opts.mode === 'sync') {
      release = await ctx.state.lock();
      ctx.lock = release;
    }
    const basis = await readBasis(ctx);
    sources = createSources(job, opts.stateDir, ctx.log, now, {
      dryRun: opts.mode === 'plan',
      acceptedInputs: acceptedInputs(basis.baseline),
    });
    report = await runStages(ctx, sources, basis, finish);
  } catch (e) {
    const error = isSyncError(e) ? e : opts.signal.aborted ? new AbortedError() : wrapUnexpected(e);
    ctx.log.error({ err: errorFields(error) }, error.describe());
    report = finish({
      outcome: 'failed',
      sources: [],
      pushNeeded: false,
      firstPush: false,
      pendingFromCrash: false,
      warnings: [],
      error,
      ...(ctx.uploadUnknown ? { outcomeUnknown: true } : {}),
    });
  } finally {
    await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
  }
  if (opts.mode === 'sync') {
    await ctx.state
      .appendHistory(historyEntry(report))
      .catch((e) => ctx.log.error({ err: errorFields(e) }, 'Could not write the run history'));
    await release?.();
  }
  return report;
}

/**
 * The baseline and pending uploads, neither taken on trust. A pending.json we cannot read means
 * an upload of unknown content may be in MIM: the baseline is then unknown as well.
 */
async function readBasis(ctx: Ctx): Promise<Basis> {
  const target = targetOf(ctx.job);
  const baseline = await ctx.state.readBaseline(target);
  const pending = await ctx.state.readPending(target);
  if (pending.kind === 'unusable' && baseline.known) {
    return {
      target,
      pending,
      baseline: {
        known: false,
        id: 'unknown',
        reason: 'damaged',
        detail: `${pending.detail}, so an upload of unknown content may be in MIM`,
        place: ctx.state.dir,
      },
    };
  }
  return { target, baseline, pending };
}

function acceptedInputs(b: Baseline): Map<string, InputIdentity> {
  const out = new Map<string, InputIdentity>();
  if (b.known) for (const { source, input } of b.snapshot.inputs) out.set(source, input);
  return out;
}

function summarizeBaseline(basis: Basis): BaselineSummary {
  const b = basis.baseline;
  return b.known
    ? {
        target: basis.target,
        known: true,
        id: b.id,
        seq: b.snapshot.seq,
        users: b.snapshot.records.length,
        pushedAt: b.snapshot.pushedAt,
      }
    : { target: basis.target, known: false, id: b.id, detail: b.detail };
}

function wrapUnexpected(e: unknown): SyncError {
  return new SyncError('INTERNAL', `Unexpected error: ${e instanceof Error ? e.message : String(e)}`, {
    fix: 'This is a bug; please report it with the log lines above. Nothing was pushed or recorded.',
    cause: e,
  });
}

type Finish = (
  partial: Omit<RunReport, 'runId' | 'job' | 'mode' | 'trigger' | 'startedAt' | 'endedAt' | 'durationMs'>,
) => RunReport;

async function runStages(ctx: Ctx, sources: Source[], basis: Basis, finish: Finish): Promise<RunReport> {
  const { job, opts, log, state } = ctx;
  const snapshots = await fetchAll(sources, opts.signal);
  const { baseline, pending } = basis;
  const stored = baseline.known ? baseline.snapshot : null;
  const earlier = pending.kind === 'pending' ? pending.pending : null;
  const build = buildPlan({
    snapshots,
    previous: stored?.records ?? null,
    baselineId: baseline.id,
    pending: earlier?.records,
    now: ctx.now(),
    carryForwardDays: job.guard.carryForwardDays,
  });
  const summaries: SourceSummary[] = snapshots.map((s, i) => ({
    source: s.source,
    kind: s.kind,
    description: s.description,
    total: build.counts[i]!.total,
    valid: build.counts[i]!.valid,
  }));
  logFindings(log, build.rejections, build.notices);
  if (!baseline.known)
    log.warn({ reason: baseline.reason, place: baseline.place }, `Unknown baseline: ${baseline.detail}`);
  const { approval, by: approver, voided } = await resolveApproval(ctx, basis, build.plan.id);
  const guard = evaluateGuard({
    plan: build.plan,
    sources: build.counts,
    limits: job.guard,
    approval,
    baseline: baseline.known
      ? { known: true }
      : { known: false, detail: baseline.detail, project: job.mim.project },
  });
  // Only name an approver when the approval actually overrode something.
  const by = guard.ok && guard.approvedBy ? approver : undefined;
  const common = {
    sources: summaries,
    build,
    guard,
    firstPush: !baseline.known,
    pendingFromCrash: pending.kind !== 'none',
    baseline: summarizeBaseline(basis),
    ...(voided ? { approvalVoided: voided } : {}),
    warnings: planWarnings(job, build),
  };
  for (const w of common.warnings) log.warn(w);

  if (!guard.ok) {
    log.warn(
      { planId: build.plan.id, kind: guard.kind, reasons: guard.reasons.map((r) => r.message) },
      'Run blocked by the guard; nothing pushed',
    );
    if (opts.mode === 'sync') {
      if (guard.kind === 'needs-approval') await recordBlocked(ctx, basis, build, guard.reasons);
      await settleAll(snapshots, 'blocked', build, log);
    }
    return finish({ ...common, outcome: 'blocked', pushNeeded: false });
  }

  const payload = encodePayload(build.desired, job.mim.dialect);
  const payloadSha256 = sha256(payload);
  // Skipping is safe only when MIM is known to hold exactly this payload.
  const identical = stored?.payloadSha256 === payloadSha256 && pending.kind === 'none';
  if (identical) {
    if (opts.mode === 'sync') {
      await refreshCarried(state, stored, build);
      await settleAll(snapshots, 'unchanged', build, log);
      log.info({ payloadSha256 }, 'Upload is byte-identical to the last accepted one; not sent');
    }
    return finish({
      ...common,
      outcome: 'unchanged',
      pushNeeded: false,
      skipReason: 'identical-payload',
      payloadSha256,
    });
  }
  if (opts.mode === 'plan') {
    return finish({ ...common, outcome: 'planned', pushNeeded: true, payloadSha256, approvedBy: by });
  }

  logChanges(log, build);
  if (by) log.warn({ planId: build.plan.id, approvedBy: by }, 'Guard limits overridden by approval');
  const result = await upload(ctx, basis, build, payload, payloadSha256, snapshots);
  const snapshot: StoredSnapshot = {
    version: 2,
    target: basis.target,
    seq: (await state.lastSeq()) + 1,
    pushedAt: ctx.now().toISOString(),
    planId: build.plan.id,
    payloadSha256,
    inputs: snapshots.flatMap((s) => (s.input ? [{ source: s.source, input: s.input }] : [])),
    records: toPushed(build.desired),
    recordsSha256: '',
  };
  await state.writeSnapshot({ ...snapshot, recordsSha256: recordsDigest(snapshot.records) });
  await state.clearPending();
  await state.clearBlocked();
  await settleAll(snapshots, 'applied', build, log);
  log.info(
    { status: result.status, attempts: result.attempts, bytes: payload.length },
    'MIM accepted the upload',
  );
  return finish({
    ...common,
    outcome: 'applied',
    pushNeeded: true,
    push: { status: result.status, attempts: result.attempts, bytes: payload.length },
    payloadSha256,
    approvedBy: by,
  });
}

/** Records the blocked plan for `approve`, keeping an existing record of this very plan. */
async function recordBlocked(
  ctx: Ctx,
  basis: Basis,
  build: BuildResult,
  reasons: readonly { readonly message: string }[],
): Promise<void> {
  const existing = await ctx.state.readBlocked();
  const same = existing?.planId === build.plan.id && existing.baselineId === basis.baseline.id;
  await ctx.state.writeBlocked({
    version: 2,
    target: basis.target,
    planId: build.plan.id,
    baselineId: basis.baseline.id,
    blockedAt: same ? existing.blockedAt : ctx.now().toISOString(),
    seenAt: ctx.now().toISOString(),
    runId: ctx.runId,
    reasons: reasons.map((r) => r.message),
    adds: build.plan.adds.length,
    updates: build.plan.updates.length,
    deletes: build.plan.deletes.length + build.plan.maybeDeletes.length,
  });
}

/**
 * The upload, with its intent recorded first. pending.json keeps every upload whose outcome is
 * unknown (and everyone those uploads held) until one is confirmed: a later attempt's refusal
 * does not prove that an earlier one was not applied.
 */
async function upload(
  ctx: Ctx,
  basis: Basis,
  build: BuildResult,
  payload: Buffer,
  payloadSha256: string,
  snapshots: readonly SourceSnapshot[],
): Promise<{ status: number; attempts: number }> {
  const { job, opts, log, state } = ctx;
  const earlier = basis.pending.kind === 'pending' ? basis.pending.pending : null;
  const intent: PendingPush = {
    version: 2,
    target: basis.target,
    uploads: [
      ...(earlier?.uploads ?? []).slice(-9),
      { runId: ctx.runId, startedAt: ctx.now().toISOString(), payloadSha256, count: build.desired.length },
    ],
    records: unionBySyncId(earlier?.records ?? [], toPushed(build.desired)),
  };
  // A run frozen past lock.staleMs may have lost its lock to another run: it must not upload.
  await ctx.lock?.assertHeld();
  await state.writePending(intent);
  const client = new MimClient(job.mim, {
    tokenPlace: `jobs[${job.name}].mim.token`,
    onAttempt: (outcome, attempt, delayMs) => {
      opts.observer?.onMimAttempt?.(job.name, outcome);
      if (outcome === 'network' || outcome >= 300)
        log.warn({ outcome, attempt, retryInMs: delayMs }, 'MIM upload attempt failed');
    },
  });
  try {
    return await client.push(payload, opts.signal);
  } catch (e) {
    if (mayHaveApplied(e)) {
      ctx.uploadUnknown = true;
      log.warn(
        { target: describeTarget(basis.target) },
        'MIM may or may not have applied the upload; the next run re-sends it',
      );
    } else if (earlier) await state.writePending(earlier);
    else await state.clearPending();
    await settleAll(snapshots, 'failed', build, log);
    throw opts.signal.aborted ? new AbortedError('The run was cancelled during the upload') : e;
  } finally {
    await client.close();
  }
}

/** Whether a failed push may still have reached MIM (then its intent must be kept). */
function mayHaveApplied(e: unknown): boolean {
  return uploadOutcomeOf(e) === 'unknown';
}

function unionBySyncId(a: readonly PushedRecord[], b: readonly PushedRecord[]): PushedRecord[] {
  const byId = new Map<string, PushedRecord>();
  for (const r of a) byId.set(r.syncId, r);
  for (const r of b) byId.set(r.syncId, r);
  return [...byId.values()].sort((x, y) => (x.syncId < y.syncId ? -1 : x.syncId > y.syncId ? 1 : 0));
}

function planWarnings(job: JobConfig, build: BuildResult): string[] {
  const out: string[] = [];
  if (!job.mim.dialect.includeSyncId) {
    out.push(
      'mim.dialect.includeSyncId is off: MIM matches people by e-mail, so an e-mail change deletes the person and sends a new invitation.',
    );
  }
  for (const { from, to } of likelyEmailChanges(build.plan)) {
    out.push(
      `${from.email} → ${to.email} looks like an e-mail change, but the Sync ID changed too (${from.syncId} → ${to.syncId}): MIM will delete this person and send a new invitation. Use a stable Sync ID column.`,
    );
  }
  return out;
}

/** Keeps carry-forward start times even when the upload itself is unchanged (and so not re-sent). */
async function refreshCarried(
  state: JobState,
  stored: StoredSnapshot | null,
  build: BuildResult,
): Promise<void> {
  if (!stored) return;
  const next = toPushed(build.desired);
  const same =
    next.length === stored.records.length &&
    next.every(
      (r, i) => r.carriedSince === stored.records[i]?.carriedSince && r.syncId === stored.records[i]?.syncId,
    );
  if (!same) await state.writeSnapshot({ ...stored, records: next, recordsSha256: recordsDigest(next) });
}

export interface PlanCounts {
  readonly id: string;
  readonly adds: number;
  readonly updates: number;
  readonly deletes: number;
  readonly unchanged: number;
  readonly carried: number;
}

/** A run's plan as counts, and its rejected records (distinct places), for history, /status and metrics. */
export function planCounts(r: RunReport): { plan: PlanCounts; rejected: number } | Record<string, never> {
  const b = r.build;
  if (!b) return {};
  const { plan } = b;
  return {
    plan: {
      id: plan.id,
      adds: plan.adds.length,
      updates: plan.updates.length,
      deletes: plan.deletes.length,
      unchanged: plan.unchanged,
      carried: b.carried.length,
    },
    // Distinct rows among the listed rejections, plus those only counted (past the listing cap).
    rejected:
      new Set(b.rejections.map((x) => `${x.place.source}\0${x.place.ref}`)).size +
      (b.rejectedTotal - b.rejections.length),
  };
}

function historyEntry(r: RunReport): HistoryEntry {
  return {
    runId: r.runId,
    job: r.job,
    trigger: r.trigger,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    durationMs: r.durationMs,
    outcome: r.outcome,
    sources: r.sources.map(({ source, description, total, valid }) => ({
      source,
      description,
      total,
      valid,
    })),
    ...planCounts(r),
    ...(r.payloadSha256 ? { payloadSha256: r.payloadSha256 } : {}),
    ...(r.push ? { httpStatus: r.push.status } : {}),
    ...(r.guard && !r.guard.ok
      ? { guard: { kind: r.guard.kind, reasons: r.guard.reasons.map((x) => x.message) } }
      : {}),
    ...(r.approvedBy ? { approval: { by: r.approvedBy, planId: r.build?.plan.id } } : {}),
    ...(r.error
      ? { error: { code: r.error.code, message: r.error.message, place: r.error.place, fix: r.error.fix } }
      : {}),
  };
}

export { hasChanges };
