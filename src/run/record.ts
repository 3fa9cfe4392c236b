/**
 * The record step: snapshot.json changes only after the sink confirmed the upload (atomically, in
 * JobState), then the intent and any blocked plan go. And each sync run's plan, for the console.
 */
import { formatPlace, type PersonFields } from '../core/types.js';
import { toPushed } from '../pipeline/index.js';
import { sameKeysAt } from '../pipeline/packed-records.js';
import { mappedRows, type PersonRow, plansDir, RUN_ID, writePlanLog } from '../state/plan-log.js';
import type { NewSnapshot, Snapshot } from '../state/store.js';
import type { Planned, RunContext } from './context.js';
import type { RunReport } from './report.js';

export async function recordApplied(ctx: RunContext, planned: Planned, payloadSha256: string): Promise<void> {
  const { state } = ctx;
  const { basis, build, snapshots } = planned;
  const snapshot: NewSnapshot = {
    target: basis.target,
    seq: (await state.lastSeq()) + 1,
    pushedAt: ctx.now().toISOString(),
    planId: build.plan.id,
    payloadSha256,
    inputs: snapshots.flatMap((s) => (s.input ? [{ source: s.source, input: s.input }] : [])),
    records: toPushed(build.desired),
  };
  await state.writeSnapshot(snapshot);
  await state.clearPending();
  await state.clearBlocked();
}

/** Keeps carry-forward start times even when the upload itself is unchanged (and so not re-sent). */
export async function refreshCarried(
  ctx: RunContext,
  stored: Snapshot | null,
  { build }: Planned,
): Promise<void> {
  if (!stored) return;
  const next = toPushed(build.desired);
  const same =
    next.length === stored.records.length &&
    next.every((r, i) => sameKeysAt(stored.records, i, r.syncId, r.carriedSince));
  if (!same) await ctx.state.writeSnapshot({ ...stored, records: next });
}

function person(r: PersonFields & { readonly carriedSince?: string | undefined }): PersonRow {
  const { firstName, lastName, email, id, syncId } = r;
  return { firstName, lastName, email, id, syncId, ...(r.carriedSince ? { carried: true } : {}) };
}

/**
 * Stores the plan of a sync run that computed one (plans/<runId>.ndjson, the newest 20 kept), so
 * the console can show who is added, changed, deleted and rejected. A dry run stores nothing.
 */
export async function recordPlan(ctx: RunContext, report: RunReport): Promise<void> {
  const build = report.build;
  // A run id that is not a UUID (only tests pass one) cannot name a stored plan.
  if (ctx.opts.mode !== 'sync' || !build || !RUN_ID.test(report.runId)) return;
  const { plan } = build;
  await writePlanLog(
    plansDir(ctx.state.dir),
    {
      runId: report.runId,
      job: report.job,
      planId: plan.id,
      baselineId: report.baseline?.id ?? 'unknown',
      outcome: report.outcome,
      at: report.endedAt,
      rejectedTotal: build.rejectedTotal,
    },
    {
      adds: mappedRows(plan.adds, person),
      updates: mappedRows(plan.updates, (u) => ({
        syncId: u.syncId,
        firstName: u.after.firstName,
        lastName: u.after.lastName,
        email: u.after.email,
        changes: u.changes,
      })),
      // People an upload with an unknown outcome may have put into MIM are deleted too, if it was applied.
      deletes: {
        length: plan.deletes.length + plan.maybeDeletes.length,
        *[Symbol.iterator]() {
          for (const r of plan.deletes) yield person(r);
          for (const r of plan.maybeDeletes) yield { ...person(r), maybe: true as const };
        },
      },
      rejections: mappedRows(build.rejections, (r) => ({
        place: formatPlace(r.place),
        message: r.reason,
        fix: r.fix,
      })),
    },
  );
}
