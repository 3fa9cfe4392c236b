/** Step 1: what the plan is measured against, read from the state and never taken on trust. */
import type { InputIdentity } from '../core/source.js';
import { type Baseline, targetOf } from '../state/baseline.js';
import type { Basis, RunContext } from './context.js';

/**
 * The baseline and pending uploads. A pending.json we cannot read means an upload of unknown
 * content may be in MIM: the baseline is then unknown as well.
 */
export async function readBasis(ctx: RunContext): Promise<Basis> {
  const target = targetOf(ctx.job);
  const baseline = await ctx.state.readBaseline(target);
  const pending = await ctx.state.readPending(target);
  const previousRunAt = await lastRunStart(ctx);
  if (pending.kind === 'unusable' && baseline.known) {
    return {
      target,
      pending,
      previousRunAt,
      baseline: {
        known: false,
        id: 'unknown',
        reason: 'damaged',
        detail: `${pending.detail}, so an upload of unknown content may be in MIM`,
        place: ctx.state.dir,
      },
    };
  }
  return { target, baseline, pending, previousRunAt };
}

/**
 * When the previous sync run started, from its history.jsonl line: carry-forward's second clock
 * reading. None readable (a new job, a rotated or torn file) only delays letting a carried person go.
 */
async function lastRunStart(ctx: RunContext): Promise<Date | undefined> {
  const [last] = await ctx.state.readHistory(1).catch(() => []);
  const at = last ? Date.parse(last.startedAt) : Number.NaN;
  return Number.isFinite(at) ? new Date(at) : undefined;
}

/** The input each source's baseline was read from, so a source can re-read it when nothing is new. */
export function acceptedInputs(b: Baseline): Map<string, InputIdentity> {
  const out = new Map<string, InputIdentity>();
  if (b.known) for (const { source, input } of b.snapshot.inputs) out.set(source, input);
  return out;
}
