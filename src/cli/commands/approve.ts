/**
 * `approve <job> --plan ID`: approves exactly the blocked plan that was shown — bound to its
 * baseline and target, valid for guard.approvalTtlHours, voided by any run whose plan differs.
 */
import { ConfigError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { approvalExpiry } from '../../pipeline/approval.js';
import { osUser } from '../../run/approver.js';
import { describeTarget, sameTarget, targetOf } from '../../state/baseline.js';
import { JobState } from '../../state/store.js';
import { type CommonOptions, configArg, load, selectJobs } from '../context.js';
import { EXIT } from '../exit-codes.js';

export async function approveCommand(
  jobName: string | undefined,
  planId: string | undefined,
  opts: CommonOptions,
): Promise<number> {
  const { config } = load(opts);
  if (!jobName) {
    throw new ConfigError('approve needs the job name', {
      place: 'approve <job>',
      fix: 'Run `mobileid-sync approve <job> --plan <id>` as printed by the blocked run.',
    });
  }
  const [job] = selectJobs(config, jobName);
  if (!job) return EXIT.usage;
  if (!planId) {
    process.stderr.write(
      `approve needs --plan <id>: an approval covers exactly one plan you have reviewed.\n` +
        `See the blocked plan with: mobileid-sync plan --job ${job.name}${configArg(opts)}\n`,
    );
    return EXIT.usage;
  }
  const state = new JobState(config.stateDir, job.name);
  const blocked = await state.readBlocked();
  if (!blocked) {
    process.stderr.write(`Job "${job.name}" has no blocked plan waiting for approval.\n`);
    return EXIT.usage;
  }
  const target = targetOf(job);
  if (!sameTarget(blocked.target, target)) {
    process.stderr.write(
      `The blocked plan ${blocked.planId} was computed for ${describeTarget(blocked.target)}, but the config now points at ${describeTarget(target)}.\n` +
        `Run \`mobileid-sync sync --job ${job.name}${configArg(opts)}\` to get a plan for this target.\n`,
    );
    return EXIT.usage;
  }
  if (planId !== blocked.planId) {
    process.stderr.write(
      `Plan ${planId} is not the blocked plan (${blocked.planId}, blocked ${blocked.blockedAt}).\n` +
        `The source changed since you looked; run \`mobileid-sync plan --job ${job.name}${configArg(opts)}\` and review the current plan.\n`,
    );
    return EXIT.usage;
  }
  const now = new Date();
  const ttl = job.guard.approvalTtlHours;
  // The plan must have been computed recently: the directory may have changed since.
  const seen = blocked.seenAt ?? blocked.blockedAt;
  const seenAt = Date.parse(seen);
  if (!Number.isFinite(seenAt) || now.getTime() - seenAt > ttl * 3_600_000) {
    process.stderr.write(
      `Plan ${planId} was last computed at ${seen}, more than guard.approvalTtlHours = ${ttl} h ago; the directory may have changed since.\n` +
        `Run \`mobileid-sync sync --job ${job.name}${configArg(opts)}\` for a current plan, review it and approve that.\n`,
    );
    return EXIT.usage;
  }
  const approval = {
    by: `${osUser()} at ${now.toISOString()}`,
    at: now.toISOString(),
    expiresAt: approvalExpiry(now, ttl),
  };
  await state.writeBlocked({ ...blocked, approval });
  process.stdout.write(
    `Approved plan ${blocked.planId} of job "${job.name}" (${plural(blocked.adds, 'add')}, ${plural(blocked.updates, 'update')}, ${plural(blocked.deletes, 'delete')}) until ${approval.expiresAt}.\n` +
      `The next run pushes it if the sources still give exactly this plan on the same baseline; any run with another plan voids this approval.\n` +
      `Run it now: mobileid-sync sync --job ${job.name}${configArg(opts)}\n`,
  );
  return EXIT.ok;
}
