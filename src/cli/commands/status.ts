/**
 * `status [--json]`: per job, the baseline (its target, sequence and age, or why it is unknown),
 * an upload whose outcome is unknown, any plan awaiting approval, and the recent runs.
 * The shapes are in `../format-status.ts`; this reads the state files.
 */
import { describeReload } from '../../daemon/reload.js';
import { readReloadRecord } from '../../daemon/reload-record.js';
import { readNotifyStatus } from '../../notify/store.js';
import { type Target, targetOf } from '../../state/baseline.js';
import { JobState } from '../../state/store.js';
import { type CommonOptions, configArg, load, selectJobs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatNotifications, formatStatus, type JobStatusJson, statusJson } from '../format-status.js';

export async function statusCommand(opts: CommonOptions & { limit?: number }): Promise<number> {
  const { config } = load(opts);
  const out: JobStatusJson[] = [];
  const now = new Date();
  const lines = await daemonLines(config.stateDir, now);
  for (const job of selectJobs(config, opts.job)) {
    const view = await jobStatus(config.stateDir, job.name, targetOf(job), opts.limit ?? 10);
    out.push(view);
    lines.push(...formatStatus(view, now, configArg(opts)));
  }
  process.stdout.write(opts.json ? `${JSON.stringify(out, null, 2)}\n` : `${lines.join('\n')}\n`);
  return EXIT.ok;
}

/** What the daemon left in the state dir for `status`: its last config reload, each channel's last delivery. */
export async function daemonLines(stateDir: string, now: Date): Promise<string[]> {
  const lines: string[] = [];
  // The daemon's last config reload (SIGHUP, POST /reload): a refused one is worth a look first.
  const reload = await readReloadRecord(stateDir);
  if (reload) lines.push(describeReload(reload));
  const notify = await readNotifyStatus(stateDir);
  if (notify) lines.push(...formatNotifications(notify.channels, now));
  return lines;
}

/** One job's state files, read as `status` shows them (`limit` most recent runs). */
export async function jobStatus(
  stateDir: string,
  job: string,
  target: Target,
  limit: number,
): Promise<JobStatusJson> {
  const state = new JobState(stateDir, job);
  const runs = (await state.readHistory(limit)).reverse();
  const read = await state.readBlockedState();
  const blocked = read.kind === 'blocked' ? read.plan : null;
  const blockedUnusable = read.kind === 'unusable' ? read.detail : undefined;
  const baseline = await state.readBaseline(target);
  const pending = await state.readPending(target);
  return statusJson({ job, target, baseline, pending, blocked, blockedUnusable, runs });
}
