/** `status [--json]`: the recent runs of each job from its history, and any plan awaiting approval. */
import { JobState } from '../../state/store.js';
import { type CommonOptions, load, selectJobs } from '../context.js';
import { EXIT } from '../exit-codes.js';

export async function statusCommand(opts: CommonOptions & { limit?: number }): Promise<number> {
  const { config } = load(opts);
  const out: unknown[] = [];
  const lines: string[] = [];
  for (const job of selectJobs(config, opts.job)) {
    const state = new JobState(config.stateDir, job.name);
    const runs = await state.readHistory(opts.limit ?? 10);
    const blocked = await state.readBlocked();
    const snapshot = await state.readSnapshot();
    out.push({
      job: job.name,
      lastPush: snapshot
        ? { at: snapshot.pushedAt, users: snapshot.records.length, planId: snapshot.planId }
        : null,
      blocked,
      runs,
    });
    lines.push(
      `Job ${job.name} → project ${job.mim.project}: ${snapshot ? `${snapshot.records.length} users pushed at ${snapshot.pushedAt}` : 'never pushed'}`,
    );
    if (blocked) {
      lines.push(
        `  BLOCKED plan ${blocked.planId} since ${blocked.blockedAt}: ${blocked.reasons.join('; ')}`,
        blocked.approvedBy
          ? `  approved by ${blocked.approvedBy}; the next run pushes it`
          : `  approve: mobileid-sync approve ${job.name} --plan ${blocked.planId}`,
      );
    }
    lines.push('  started               trigger   outcome    +add  ~upd  -del  rej  duration  note');
    for (const r of runs.reverse()) {
      const p = r.plan;
      const note = r.error
        ? `${r.error.code}: ${r.error.message}`
        : r.guard
          ? r.guard.reasons.join('; ')
          : r.approval
            ? `approved by ${r.approval.by}`
            : '';
      lines.push(
        `  ${r.startedAt.slice(0, 19).replace('T', ' ')}  ${r.trigger.padEnd(8)}  ${r.outcome.padEnd(9)}  ${String(p?.adds ?? '-').padStart(4)}  ${String(p?.updates ?? '-').padStart(4)}  ${String(p?.deletes ?? '-').padStart(4)}  ${String(r.rejected ?? '-').padStart(3)}  ${`${(r.durationMs / 1000).toFixed(1)}s`.padStart(8)}  ${note}`,
      );
    }
    lines.push('');
  }
  process.stdout.write(opts.json ? `${JSON.stringify(out, null, 2)}\n` : `${lines.join('\n')}\n`);
  return EXIT.ok;
}
