/** The approval step's state: which approval covers this plan, and recording a blocked plan for `approve`. */
import { judgeApproval } from '../pipeline/approval.js';
import type { Approval } from '../pipeline/index.js';
import { osUser } from './approver.js';
import type { Planned, RunContext } from './context.js';

export interface ResolvedApproval {
  readonly approval?: Approval;
  /** Who approved: the OS user of a manual run's flag, or the one recorded with the stored approval. */
  readonly by?: string;
  /** Why a stored plan or approval no longer applies (it was removed, or in a dry run would be). */
  readonly voided?: string | undefined;
}

/**
 * The approval that applies to this plan: a one-off flag of a manual run, or a stored approval
 * of exactly this plan on this baseline that has not expired. A stored plan or approval that no
 * longer applies is voided (removed in a sync; only reported in a dry run, which writes nothing).
 */
export async function resolveApproval(ctx: RunContext, planned: Planned): Promise<ResolvedApproval> {
  const { basis } = planned;
  const planId = planned.build.plan.id;
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

/** Records the blocked plan for `approve`, keeping an existing record of this very plan. */
export async function recordBlocked(
  ctx: RunContext,
  { basis, build }: Planned,
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
