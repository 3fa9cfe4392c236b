/**
 * `status [--json]`: per job, the baseline (its target, sequence and age, or why it is unknown),
 * an upload whose outcome is unknown, any plan awaiting approval, and the recent runs.
 * The shapes are in `../format-status.ts`; this reads the state files.
 */
import { describeReload } from '../../daemon/reload.js';
import { readReloadRecord } from '../../daemon/reload-record.js';
import { readNotifyStatus } from '../../notify/store.js';
import { targetOf } from '../../state/baseline.js';
import { JobState } from '../../state/store.js';
import { type CommonOptions, configArg, load, selectJobs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatNotifications, formatStatus, type JobStatusJson, statusJson } from '../format-status.js';

export async function statusCommand(opts: CommonOptions & { limit?: number }): Promise<number> {
  const { config } = load(opts);
  const out: JobStatusJson[] = [];
  const lines: string[] = [];
  const now = new Date();
  // The daemon's last config reload (SIGHUP, POST /reload): a refused one is worth a look first.
  const reload = await readReloadRecord(config.stateDir);
  if (reload) lines.push(describeReload(reload));
  // Each notification channel's last delivery, as the daemon (or `sync`) recorded it.
  const notify = await readNotifyStatus(config.stateDir);
  if (notify) lines.push(...formatNotifications(notify.channels, now));
  for (const job of selectJobs(config, opts.job)) {
    const state = new JobState(config.stateDir, job.name);
    const target = targetOf(job);
    const runs = (await state.readHistory(opts.limit ?? 10)).reverse();
    const read = await state.readBlockedState();
    const blocked = read.kind === 'blocked' ? read.plan : null;
    const blockedUnusable = read.kind === 'unusable' ? read.detail : undefined;
    const baseline = await state.readBaseline(target);
    const pending = await state.readPending(target);
    const view = statusJson({ job: job.name, target, baseline, pending, blocked, blockedUnusable, runs });
    out.push(view);
    lines.push(...formatStatus(view, now, configArg(opts)));
  }
  process.stdout.write(opts.json ? `${JSON.stringify(out, null, 2)}\n` : `${lines.join('\n')}\n`);
  return EXIT.ok;
}
