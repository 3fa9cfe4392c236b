/**
 * `baseline list` and `baseline restore <job> --seq N`: the last accepted snapshots a job keeps
 * (state/<job>/baselines/), and making one of them the baseline again — e.g. after the state dir
 * was lost and restored from a backup, when you know which one matches what MIM holds.
 */
import { describeTarget, targetOf } from '../../state/baseline.js';
import { JobState, KEEP_BASELINES } from '../../state/store.js';
import { type CommonOptions, configArg, load, selectJobs } from '../context.js';
import { EXIT } from '../exit-codes.js';

export async function baselineList(opts: CommonOptions): Promise<number> {
  const { config } = load(opts);
  const lines: string[] = [];
  const out: unknown[] = [];
  for (const job of selectJobs(config, opts.job)) {
    const state = new JobState(config.stateDir, job.name);
    const target = targetOf(job);
    const current = await state.readBaseline(target);
    const kept = await state.listBaselines(target);
    lines.push(
      `Job ${job.name} → ${describeTarget(target)} (the newest ${KEEP_BASELINES} accepted snapshots are kept)`,
    );
    lines.push(
      current.known
        ? `  current baseline: #${current.snapshot.seq}`
        : `  current baseline: UNKNOWN — ${current.detail}`,
    );
    if (kept.length === 0) lines.push('  no kept snapshots');
    for (const k of kept.reverse()) {
      const b = k.baseline;
      lines.push(
        b.known
          ? `  #${k.seq}  ${b.snapshot.pushedAt}  ${b.snapshot.records.length} users  plan ${b.snapshot.planId}`
          : `  #${k.seq}  not restorable: ${b.detail}`,
      );
    }
    lines.push(`  restore: mobileid-sync baseline restore ${job.name} --seq <n>${configArg(opts)}`, '');
    out.push({
      job: job.name,
      target,
      current: current.known ? current.snapshot.seq : null,
      kept: kept.map((k) =>
        k.baseline.known
          ? {
              seq: k.seq,
              ok: true,
              pushedAt: k.baseline.snapshot.pushedAt,
              users: k.baseline.snapshot.records.length,
            }
          : { seq: k.seq, ok: false, detail: k.baseline.detail },
      ),
    });
  }
  process.stdout.write(opts.json ? `${JSON.stringify(out, null, 2)}\n` : `${lines.join('\n')}\n`);
  return EXIT.ok;
}

export async function baselineRestore(
  jobName: string | undefined,
  seq: number | undefined,
  opts: CommonOptions,
): Promise<number> {
  const { config } = load(opts);
  if (!jobName || seq === undefined) {
    process.stderr.write(
      `baseline restore needs a job and --seq <n> (see \`mobileid-sync baseline list${configArg(opts)}\`).\n`,
    );
    return EXIT.usage;
  }
  const [job] = selectJobs(config, jobName);
  if (!job) return EXIT.usage;
  const state = new JobState(config.stateDir, job.name);
  const restored = await state.restoreBaseline(targetOf(job), seq);
  process.stdout.write(
    `Baseline of job "${job.name}" is now snapshot #${seq} (${restored.records.length} users, pushed ${restored.pushedAt}).\n` +
      `Any blocked plan or approval was voided. Review the plan against it: mobileid-sync plan --job ${job.name}${configArg(opts)}\n`,
  );
  return EXIT.ok;
}
