/** Step 2 and the last step: every source's snapshot, complete or none; settling them once the outcome is known. */
import type { SettleOutcome, Source, SourceSnapshot } from '../core/source.js';
import { rejectionsReport } from '../pipeline/index.js';
import type { Planned, RunContext } from './context.js';
import { errorFields } from './log.js';
import type { KnownSoFar } from './report.js';

/**
 * Fetches every source; if any fails, the others are settled as failed and the error rethrown.
 * `known.sourceReads` says which read failed (for /metrics), unless the run was cancelled.
 */
export async function fetchAll(
  sources: readonly Source[],
  signal: AbortSignal,
  known: KnownSoFar,
): Promise<SourceSnapshot[]> {
  const results = await Promise.allSettled(sources.map((s) => s.fetch(signal)));
  if (!signal.aborted)
    known.sourceReads = results.map((r, i) => ({ source: sources[i]!.name, ok: r.status === 'fulfilled' }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return results.map((r) => (r as PromiseFulfilledResult<SourceSnapshot>).value);
  for (const r of results)
    if (r.status === 'fulfilled') await r.value.settle?.('failed', '').catch(() => undefined);
  throw failed.reason;
}

/** Tells every source how the run ended (archive the drop file, advance the cursor, or keep them). */
export async function settleAll(ctx: RunContext, planned: Planned, outcome: SettleOutcome): Promise<void> {
  const { snapshots, build } = planned;
  for (const s of snapshots) {
    try {
      await s.settle?.(outcome, rejectionsReport(build.rejections, s.source, build.rejectionCounts));
    } catch (e) {
      ctx.log.warn(
        { source: s.source, err: errorFields(e) },
        'Could not settle the source input after the run',
      );
    }
  }
}
