/** `approve <job> [--plan ID]`: approves exactly the blocked plan that was shown. */
import os from 'node:os';
import { ConfigError } from '../../core/errors.js';
import { JobState } from '../../state/store.js';
import { type CommonOptions, load, selectJobs } from '../context.js';
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
  const state = new JobState(config.stateDir, job!.name);
  const blocked = await state.readBlocked();
  if (!blocked) {
    process.stderr.write(`Job "${job!.name}" has no blocked plan waiting for approval.\n`);
    return EXIT.usage;
  }
  if (planId && planId !== blocked.planId) {
    process.stderr.write(
      `Plan ${planId} is not the blocked plan (${blocked.planId}, blocked ${blocked.blockedAt}).\n` +
        'The source changed since you looked; run `mobileid-sync plan` and review the current plan.\n',
    );
    return EXIT.usage;
  }
  const user = (() => {
    try {
      return os.userInfo().username;
    } catch {
      return `uid ${process.getuid?.() ?? '?'}`;
    }
  })();
  const approvedAt = new Date().toISOString();
  await state.writeBlocked({ ...blocked, approvedBy: `${user} at ${approvedAt}`, approvedAt });
  process.stdout.write(
    `Approved plan ${blocked.planId} of job "${job!.name}" (${blocked.adds} adds, ${blocked.updates} updates, ${blocked.deletes} deletes).\n` +
      `The next run pushes it if the sources still give exactly this plan: mobileid-sync sync --job ${job!.name}\n`,
  );
  return EXIT.ok;
}
