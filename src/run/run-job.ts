/**
 * One run of a job: read basis → sources → plan → guard → approval → pending → push → record →
 * settle. The only place where the pure pipeline meets I/O. Order of effects is what keeps people safe:
 *  - every source must deliver a complete snapshot, or nothing is planned;
 *  - the guard sees the plan before anything leaves the machine;
 *  - the push intent is written before the upload, the snapshot only after the sink confirmed it;
 *  - drop files are archived / cursors advanced only after that (source.settle).
 */
import { randomUUID } from 'node:crypto';
import type { JobConfig } from '../config/schema.js';
import { AbortedError, isSyncError, SyncError } from '../core/errors.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import { buildPlan, evaluateGuard } from '../pipeline/index.js';
import { planWarnings } from '../pipeline/warnings.js';
import { createMimSink } from '../sinks/mim/sink.js';
import { createSources } from '../sources/create.js';
import { JobState } from '../state/store.js';
import { recordBlocked, resolveApproval } from './approval.js';
import { acceptedInputs, readBasis } from './basis.js';
import type { Basis, Planned, RunContext, RunOptions } from './context.js';
import { errorFields, logChanges, logFindings } from './log.js';
import { sha256, upload } from './push.js';
import { recordApplied, recordPlan, refreshCarried } from './record.js';
import {
  failedBody,
  historyEntry,
  type KnownSoFar,
  type ReportBody,
  type ReportStart,
  type RunReport,
  summarizeBaseline,
  summarizeSources,
} from './report.js';
import { fetchAll, settleAll } from './sources.js';

export type { Inspected, RunMode, RunObserver, RunOptions } from './context.js';
export type { BaselineSummary, RunReport, SourceSummary } from './report.js';

type Finish = (body: ReportBody) => RunReport;

export async function runJob(job: JobConfig, opts: RunOptions): Promise<RunReport> {
  const now = opts.now ?? (() => new Date());
  const runId = opts.runId ?? randomUUID();
  const log = opts.logger.child({ job: job.name, runId });
  const ctx: RunContext = {
    job,
    opts,
    runId,
    startedAt: now(),
    log,
    state: new JobState(opts.stateDir, job.name),
    sink: mimSink(job, opts, log),
    now,
    uploadUnknown: false,
  };
  const start: ReportStart = {
    runId,
    job: job.name,
    mode: opts.mode,
    trigger: opts.trigger,
    startedAt: ctx.startedAt.toISOString(),
  };
  const finish: Finish = (body) => {
    const end = now();
    return {
      ...start,
      ...body,
      endedAt: end.toISOString(),
      durationMs: end.getTime() - ctx.startedAt.getTime(),
    };
  };

  let sources: Source[] = [];
  let report: RunReport;
  // Filled as the run learns things, so a failure after planning still reports what it tried.
  const known: KnownSoFar = {};
  try {
    if (opts.mode === 'sync') ctx.lock = await ctx.state.lock();
    const basis = await readBasis(ctx);
    sources = await createSources(job, opts.stateDir, ctx.log, now, {
      dryRun: opts.mode === 'plan',
      acceptedInputs: acceptedInputs(basis.baseline),
    });
    report = await runStages(ctx, sources, basis, finish, known);
  } catch (e) {
    const error = isSyncError(e) ? e : opts.signal.aborted ? new AbortedError() : wrapUnexpected(e);
    ctx.log.error({ err: errorFields(error) }, error.describe());
    report = finish(failedBody(error, known, ctx.uploadUnknown));
  } finally {
    await Promise.all([...sources, ctx.sink].map((s) => s.close().catch(() => undefined)));
  }
  if (opts.mode === 'sync') {
    // For the console only: a plan that cannot be stored never fails the run.
    await recordPlan(ctx, report).catch((e) =>
      ctx.log.warn({ err: errorFields(e) }, 'Could not store the plan for the console'),
    );
    await ctx.state
      .appendHistory(historyEntry(report))
      .catch((e) => ctx.log.error({ err: errorFields(e) }, 'Could not write the run history'));
    await ctx.lock?.();
  }
  return report;
}

/** The job's sink; every answer is counted (observer) and every failed attempt logged. */
function mimSink(job: JobConfig, opts: RunOptions, log: RunContext['log']): Sink {
  return createMimSink(job.mim, {
    tokenPlace: `jobs[${job.name}].mim.token`,
    onAttempt: (outcome, attempt, delayMs) => {
      opts.observer?.onMimAttempt?.(job.name, outcome);
      if (outcome === 'network' || outcome >= 300)
        log.warn({ outcome, attempt, retryInMs: delayMs }, 'MIM upload attempt failed');
    },
  });
}

function wrapUnexpected(e: unknown): SyncError {
  return new SyncError('INTERNAL', `Unexpected error: ${e instanceof Error ? e.message : String(e)}`, {
    fix: 'This is a bug; please report it with the log lines above. Nothing was pushed or recorded.',
    cause: e,
  });
}

async function runStages(
  ctx: RunContext,
  sources: Source[],
  basis: Basis,
  finish: Finish,
  known: KnownSoFar,
): Promise<RunReport> {
  const { job, opts, log } = ctx;
  const snapshots = await fetchAll(sources, opts.signal, known);
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
    previousRunAt: basis.previousRunAt,
  });
  const planned: Planned = { basis, snapshots, build };
  logFindings(log, build.rejections, build.notices);
  if (!baseline.known)
    log.warn({ reason: baseline.reason, place: baseline.place }, `Unknown baseline: ${baseline.detail}`);
  const { approval, by: approver, voided } = await resolveApproval(ctx, planned);
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
    sources: summarizeSources(snapshots, build),
    sourceReads: known.sourceReads,
    build,
    guard,
    firstPush: !baseline.known,
    pendingFromCrash: pending.kind !== 'none',
    baseline: summarizeBaseline(basis),
    ...(voided ? { approvalVoided: voided } : {}),
    warnings: planWarnings(build.plan, job.mim.dialect.includeSyncId),
  };
  Object.assign(known, common);
  for (const w of common.warnings) log.warn(w);
  if (opts.mode === 'plan') await opts.inspect?.({ ...planned, guard, sources });

  if (!guard.ok) {
    log.warn(
      { planId: build.plan.id, kind: guard.kind, reasons: guard.reasons.map((r) => r.message) },
      'Run blocked by the guard; nothing pushed',
    );
    if (opts.mode === 'sync') {
      if (guard.kind === 'needs-approval') await recordBlocked(ctx, planned, guard.reasons);
      await settleAll(ctx, planned, 'blocked');
    }
    return finish({ ...common, outcome: 'blocked', pushNeeded: false });
  }

  const payload = ctx.sink.encode(build.desired);
  const payloadSha256 = sha256(payload);
  known.payloadSha256 = payloadSha256;
  // Skipping is safe only when MIM is known to hold exactly this payload.
  const identical = stored?.payloadSha256 === payloadSha256 && pending.kind === 'none';
  if (identical) {
    if (opts.mode === 'sync') {
      await refreshCarried(ctx, stored, planned);
      await settleAll(ctx, planned, 'unchanged');
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
  const result = await upload(ctx, planned, payload, payloadSha256);
  await recordApplied(ctx, planned, payloadSha256);
  await settleAll(ctx, planned, 'applied');
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
