/**
 * `approve <job> --plan ID`: approves exactly the blocked plan that was shown — bound to its
 * baseline and target, valid for guard.approvalTtlHours, voided by any run whose plan differs.
 * The checks are run/approve-plan.ts's (shared with the web console); this words the outcome.
 */
import { ConfigError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { approvePlan } from '../../run/approve-plan.js';
import { osUser } from '../../run/approver.js';
import { describeTarget } from '../../state/baseline.js';
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
  const result = await approvePlan({ job, state, planId, by: osUser(), now: new Date() });
  const again = `${job.name}${configArg(opts)}`;
  switch (result.kind) {
    case 'none-blocked':
      process.stderr.write(`Job "${job.name}" has no blocked plan waiting for approval.\n`);
      return EXIT.usage;
    case 'other-target':
      process.stderr.write(
        `The blocked plan ${result.blocked.planId} was computed for ${describeTarget(result.blocked.target)}, but the config now points at ${describeTarget(result.target)}.\n` +
          `Run \`mobileid-sync sync --job ${again}\` to get a plan for this target.\n`,
      );
      return EXIT.usage;
    case 'other-plan':
      process.stderr.write(
        `Plan ${planId} is not the blocked plan (${result.blocked.planId}, blocked ${result.blocked.blockedAt}).\n` +
          `The source changed since you looked; run \`mobileid-sync plan --job ${again}\` and review the current plan.\n`,
      );
      return EXIT.usage;
    case 'stale':
      process.stderr.write(
        `Plan ${planId} was last computed at ${result.seenAt}, more than guard.approvalTtlHours = ${result.ttlHours} h ago; the directory may have changed since.\n` +
          `Run \`mobileid-sync sync --job ${again}\` for a current plan, review it and approve that.\n`,
      );
      return EXIT.usage;
    case 'approved': {
      const { blocked, approval } = result;
      process.stdout.write(
        `Approved plan ${blocked.planId} of job "${job.name}" (${plural(blocked.adds, 'add')}, ${plural(blocked.updates, 'update')}, ${plural(blocked.deletes, 'delete')}) until ${approval.expiresAt}.\n` +
          `The next run pushes it if the sources still give exactly this plan on the same baseline; any run with another plan voids this approval.\n` +
          `Run it now: mobileid-sync sync --job ${again}\n`,
      );
      return EXIT.ok;
    }
  }
}
