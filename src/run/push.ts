/**
 * The pending and push steps: the upload, with its intent recorded first. pending.json keeps
 * every upload whose outcome is unknown (and everyone those uploads held) until one is confirmed:
 * a later attempt's refusal does not prove that an earlier one was not applied.
 */
import { createHash } from 'node:crypto';
import { AbortedError } from '../core/errors.js';
import { failedPushOutcome, type PushReceipt } from '../core/sink.js';
import type { PushedRecord } from '../core/types.js';
import { toPushed } from '../pipeline/index.js';
import { describeTarget } from '../state/baseline.js';
import type { PendingPush } from '../state/store.js';
import type { Planned, RunContext } from './context.js';
import { settleAll } from './sources.js';

/** The payload's identity: equal hashes mean byte-identical uploads. */
export function sha256(payload: Buffer): string {
  return createHash('sha256').update(payload).digest('hex');
}

export async function upload(
  ctx: RunContext,
  planned: Planned,
  payload: Buffer,
  payloadSha256: string,
): Promise<PushReceipt> {
  const { opts, log, state } = ctx;
  const { basis, build } = planned;
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
  try {
    return await ctx.sink.push(payload, opts.signal);
  } catch (e) {
    // Only a failure that proves the sink did not apply the upload may drop its intent.
    if (failedPushOutcome(e) === 'unknown') {
      ctx.uploadUnknown = true;
      log.warn(
        { target: describeTarget(basis.target) },
        'MIM may or may not have applied the upload; the next run re-sends it',
      );
    } else if (earlier) await state.writePending(earlier);
    else await state.clearPending();
    await settleAll(ctx, planned, 'failed');
    throw opts.signal.aborted ? new AbortedError('The run was cancelled during the upload') : e;
  }
}

function unionBySyncId(a: readonly PushedRecord[], b: readonly PushedRecord[]): PushedRecord[] {
  const byId = new Map<string, PushedRecord>();
  for (const r of a) byId.set(r.syncId, r);
  for (const r of b) byId.set(r.syncId, r);
  return [...byId.values()].sort((x, y) => (x.syncId < y.syncId ? -1 : x.syncId > y.syncId ? 1 : 0));
}
