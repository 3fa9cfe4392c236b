/**
 * `status [--json]`: per job, the baseline (its target, sequence and age, or why it is unknown),
 * an upload whose outcome is unknown, any plan awaiting approval, and the recent runs.
 */
import { describeTarget, targetOf } from '../../state/baseline.js';
import { JobState } from '../../state/store.js';
import { type CommonOptions, configArg, load, selectJobs } from '../context.js';
import { EXIT } from '../exit-codes.js';

function age(iso: string, now: Date): string {
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms)) return 'unknown age';
  if (ms < 0) return 'dated in the future (clock moved?)';
  const h = ms / 3_600_000;
  return h < 1
    ? `${Math.round(ms / 60_000)} min ago`
    : h < 48
      ? `${h.toFixed(1)} h ago`
      : `${(h / 24).toFixed(1)} days ago`;
}

export async function statusCommand(opts: CommonOptions & { limit?: number }): Promise<number> {
  const { config } = load(opts);
  const out: unknown[] = [];
  const lines: string[] = [];
  const now = new Date();
  for (const job of selectJobs(config, opts.job)) {
    const state = new JobState(config.stateDir, job.name);
    const target = targetOf(job);
    const runs = await state.readHistory(opts.limit ?? 10);
    const blocked = await state.readBlocked();
    const baseline = await state.readBaseline(target);
    const pending = await state.readPending(target);
    out.push({
      job: job.name,
      target,
      baseline: baseline.known
        ? {
            known: true,
            id: baseline.id,
            seq: baseline.snapshot.seq,
            users: baseline.snapshot.records.length,
            pushedAt: baseline.snapshot.pushedAt,
            planId: baseline.snapshot.planId,
            inputs: baseline.snapshot.inputs,
          }
        : { known: false, reason: baseline.reason, detail: baseline.detail },
      pending:
        pending.kind === 'pending'
          ? { uploads: pending.pending.uploads, users: pending.pending.records.length }
          : pending.kind === 'unusable'
            ? { unusable: pending.detail }
            : null,
      blocked,
      runs,
    });
    lines.push(`Job ${job.name} → ${describeTarget(target)}`);
    if (baseline.known) {
      const s = baseline.snapshot;
      lines.push(
        `  baseline #${s.seq}: ${s.records.length} users pushed at ${s.pushedAt} (${age(s.pushedAt, now)})${s.inputs.length ? `, from ${s.inputs.map((i) => `${i.source}: ${i.input.name}`).join(', ')}` : ''}`,
      );
    } else {
      lines.push(
        `  baseline UNKNOWN: ${baseline.detail}. The next push needs an approval of its exact plan (or restore one: mobileid-sync baseline list --job ${job.name}${configArg(opts)})`,
      );
    }
    if (pending.kind === 'pending') {
      lines.push(
        `  upload with UNKNOWN outcome: ${pending.pending.uploads.length} upload(s) since ${pending.pending.uploads[0]?.startedAt}; MIM may hold them — the next run re-sends`,
      );
    } else if (pending.kind === 'unusable')
      lines.push(`  upload with UNKNOWN outcome and content: ${pending.detail}`);
    if (blocked) {
      lines.push(
        `  BLOCKED plan ${blocked.planId} since ${blocked.blockedAt}: ${blocked.reasons.join('; ')}`,
      );
      lines.push(
        blocked.approval
          ? `  approved by ${blocked.approval.by}, valid until ${blocked.approval.expiresAt}; the next run pushes it if its plan is still ${blocked.planId}`
          : `  approve: mobileid-sync approve ${job.name} --plan ${blocked.planId}${configArg(opts)}`,
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
