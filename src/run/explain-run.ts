/**
 * `plan --explain`: a dry run of the job (exactly `plan`: nothing pushed, settled or written),
 * then each source is asked about the person while it is still open, and the answer is assembled
 * by the pure `explainPerson`.
 */
import type { JobConfig } from '../config/schema.js';
import { errorText } from '../core/errors.js';
import type { Source, SourceSnapshot } from '../core/source.js';
import { recordList } from '../pipeline/packed-records.js';
import type { Inspected, RunOptions } from './context.js';
import { explainPerson, lookupFromSnapshot, type PersonExplanation, type SourceLookup } from './explain.js';
import { type RunReport, runJob } from './run-job.js';

export interface ExplainRun {
  readonly report: RunReport;
  /** Absent when the plan could not be made (the report's error says why). */
  readonly explanation?: PersonExplanation | undefined;
}

/** Asks one source; a source that cannot look (or fails to) is answered from its snapshot. */
async function lookup(
  source: Source,
  snapshot: SourceSnapshot,
  key: string,
  signal: AbortSignal,
): Promise<SourceLookup> {
  try {
    const found = await source.explain?.(key, signal);
    if (found) return { ...found, source: snapshot.source, kind: snapshot.kind };
  } catch (e) {
    return {
      ...lookupFromSnapshot(snapshot, key),
      error: `asking the source failed (${errorText(e)}); shown from the records read`,
    };
  }
  return lookupFromSnapshot(snapshot, key);
}

function baselineOf(p: Inspected): Parameters<typeof explainPerson>[0]['baseline'] {
  const b = p.basis.baseline;
  return b.known
    ? { known: true, records: recordList(b.snapshot.records), pushedAt: b.snapshot.pushedAt }
    : { known: false, detail: b.detail };
}

export async function explainJob(
  job: JobConfig,
  key: string,
  opts: Omit<RunOptions, 'mode' | 'inspect'>,
): Promise<ExplainRun> {
  let explanation: PersonExplanation | undefined;
  const report = await runJob(job, {
    ...opts,
    mode: 'plan',
    inspect: async (p) => {
      const lookups: SourceLookup[] = [];
      // One at a time, in the job's order: the answer lists them in that order.
      for (const [i, source] of p.sources.entries()) {
        const snapshot = p.snapshots[i];
        if (snapshot) lookups.push(await lookup(source, snapshot, key, opts.signal));
      }
      explanation = explainPerson({
        key,
        job: job.name,
        snapshots: p.snapshots,
        build: p.build,
        baseline: baselineOf(p),
        guard: p.guard,
        lookups,
      });
    },
  });
  return { report, explanation };
}
