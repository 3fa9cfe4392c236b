/**
 * The record step: snapshot.json changes only after the sink confirmed the upload (atomically, in
 * JobState), then the intent and any blocked plan go.
 */
import { toPushed } from '../pipeline/index.js';
import { recordsDigest } from '../state/baseline.js';
import type { StoredSnapshot } from '../state/store.js';
import type { Planned, RunContext } from './context.js';

export async function recordApplied(ctx: RunContext, planned: Planned, payloadSha256: string): Promise<void> {
  const { state } = ctx;
  const { basis, build, snapshots } = planned;
  const records = toPushed(build.desired);
  const snapshot: StoredSnapshot = {
    version: 2,
    target: basis.target,
    seq: (await state.lastSeq()) + 1,
    pushedAt: ctx.now().toISOString(),
    planId: build.plan.id,
    payloadSha256,
    inputs: snapshots.flatMap((s) => (s.input ? [{ source: s.source, input: s.input }] : [])),
    records,
    recordsSha256: recordsDigest(records),
  };
  await state.writeSnapshot(snapshot);
  await state.clearPending();
  await state.clearBlocked();
}

/** Keeps carry-forward start times even when the upload itself is unchanged (and so not re-sent). */
export async function refreshCarried(
  ctx: RunContext,
  stored: StoredSnapshot | null,
  { build }: Planned,
): Promise<void> {
  if (!stored) return;
  const next = toPushed(build.desired);
  const same =
    next.length === stored.records.length &&
    next.every(
      (r, i) => r.carriedSince === stored.records[i]?.carriedSince && r.syncId === stored.records[i]?.syncId,
    );
  if (!same) await ctx.state.writeSnapshot({ ...stored, records: next, recordsSha256: recordsDigest(next) });
}
