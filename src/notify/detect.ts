/**
 * What a finished run (or the passing time) gives the admin to hear about. Pure: facts, the de-dup
 * state and the clock reading in, events out. Every detected event is returned, whether or not its
 * kind is enabled: `policy.decide` filters and de-duplicates (and a recovery clears the state even
 * when it is not sent).
 */
import type { HistoryEntry } from '../state/store.js';
import type { RunFacts } from './facts.js';
import { notifiedConditions } from './policy.js';
import type {
  ApprovalExpiringEvent,
  DedupState,
  DigestEvent,
  DigestJobLine,
  NotifyEvent,
  NotifyPolicy,
} from './types.js';

/** How a message tells the admin where to act. */
export interface NotifyLinks {
  /** The exact command that approves this plan (with the daemon's -c, shell-quoted). */
  approveCommand(job: string, planId: string): string;
  /** The web console's page of the job, or null when `notify.consoleUrl` is not set. */
  consoleUrl(job: string): string | null;
}

function isSuccess(outcome: string): boolean {
  return outcome === 'applied' || outcome === 'unchanged';
}

/** Failed often enough, or for long enough, to tell someone. */
function isFailing(f: RunFacts, policy: NotifyPolicy): boolean {
  if (f.outcome !== 'failed') return false;
  if (f.consecutiveFailures >= policy.failingAfterRuns) return true;
  if (!f.failingSince) return false;
  const since = Date.parse(f.failingSince);
  return Number.isFinite(since) && Date.parse(f.endedAt) - since >= policy.failingAfterMs;
}

/** The events of one finished run; `state` is what was notified so far (for `recovered`). */
export function eventsOfRun(
  f: RunFacts,
  state: DedupState,
  policy: NotifyPolicy,
  links: NotifyLinks,
): NotifyEvent[] {
  const base = { at: f.endedAt, job: f.job, project: f.project };
  const out: NotifyEvent[] = [];
  if (f.outcome === 'blocked' && f.guard) {
    const planId = f.plan?.id ?? '';
    const approvable = f.guard.kind === 'approval' && planId !== '';
    out.push({
      ...base,
      kind: 'blocked',
      runId: f.runId,
      guardKind: approvable ? 'approval' : 'hard-stop',
      planId,
      baselineId: f.baselineId ?? '',
      reasons: f.guard.reasons,
      counts: f.plan?.counts ?? { adds: 0, updates: 0, deletes: 0, unchanged: 0 },
      topDeletes: f.topDeletes,
      approveCommand: approvable ? links.approveCommand(f.job, planId) : null,
      consoleUrl: links.consoleUrl(f.job),
    });
  }
  if (f.outcome === 'failed' && f.outcomeUnknown) {
    out.push({
      ...base,
      kind: 'unknown-outcome',
      runId: f.runId,
      detail: f.error
        ? `${f.error.message}${f.error.place ? ` [${f.error.place}]` : ''}`
        : 'The upload got no definite answer.',
      consoleUrl: links.consoleUrl(f.job),
    });
  }
  if (isFailing(f, policy)) {
    out.push({
      ...base,
      kind: 'failing',
      consecutiveFailures: f.consecutiveFailures,
      lastSuccessAt: f.lastSuccessAt,
      failingSince: f.failingSince ?? f.endedAt,
      error: f.error ?? {
        code: 'INTERNAL',
        message: 'The run failed without an error.',
        fix: 'See the log.',
      },
      consoleUrl: links.consoleUrl(f.job),
    });
  }
  if (f.outcome === 'applied' || f.outcome === 'unchanged') {
    const first = notifiedConditions(state, f.job)[0];
    if (first) {
      out.push({
        ...base,
        kind: 'recovered',
        runId: f.runId,
        outcome: f.outcome,
        after: first.kind === 'blocked' || first.kind === 'unknown-outcome' ? first.kind : 'failing',
        since: first.firstAt,
      });
    }
  }
  return out;
}

/** A job's blocked plan as stored (`blocked.json`), for the approval-expiring check. */
export interface BlockedPlanOfJob {
  readonly job: string;
  readonly project: string;
  readonly blocked: {
    readonly planId: string;
    readonly approval?: { readonly by: string; readonly expiresAt: string } | undefined;
  } | null;
}

/** Approvals that run out within `approvalWarningMs` from now (not yet expired) while their plan waits. */
export function expiringApprovals(
  plans: readonly BlockedPlanOfJob[],
  now: Date,
  policy: NotifyPolicy,
  links: Pick<NotifyLinks, 'consoleUrl'>,
): ApprovalExpiringEvent[] {
  const out: ApprovalExpiringEvent[] = [];
  for (const { job, project, blocked } of plans) {
    const a = blocked?.approval;
    if (!blocked || !a) continue;
    const left = Date.parse(a.expiresAt) - now.getTime();
    if (!(left > 0 && left <= policy.approvalWarningMs)) continue;
    out.push({
      kind: 'approval-expiring',
      at: now.toISOString(),
      job,
      project,
      planId: blocked.planId,
      approvedBy: a.by,
      expiresAt: a.expiresAt,
      consoleUrl: links.consoleUrl(job),
    });
  }
  return out;
}

/** What the digest needs of one job: its history (oldest first), users pushed, a plan waiting. */
export interface DigestJobInput {
  readonly job: string;
  readonly project: string;
  readonly history: readonly HistoryEntry[];
  /** People in the last accepted upload, or null when the baseline is unknown. */
  readonly users: number | null;
  readonly blocked: boolean;
}

function digestLine(j: DigestJobInput, sinceMs: number, nowMs: number): DigestJobLine {
  const runs = { applied: 0, unchanged: 0, blocked: 0, failed: 0 };
  const changes = { adds: 0, updates: 0, deletes: 0 };
  for (const h of j.history) {
    const ended = Date.parse(h.endedAt);
    if (!(ended > sinceMs && ended <= nowMs)) continue;
    if (h.outcome in runs) runs[h.outcome as keyof typeof runs]++;
    if (h.outcome === 'applied' && h.plan) {
      changes.adds += h.plan.adds;
      changes.updates += h.plan.updates;
      changes.deletes += h.plan.deletes;
    }
  }
  const last = j.history.filter((h) => h.outcome !== 'planned').at(-1);
  return {
    job: j.job,
    project: j.project,
    lastOutcome: last?.outcome ?? null,
    lastSuccessAt: j.history.findLast((h) => isSuccess(h.outcome))?.endedAt ?? null,
    runs,
    changes,
    users: j.users,
    blocked: j.blocked,
  };
}

/** Every job's runs and changes in (since, now]. */
export function digestOf(jobs: readonly DigestJobInput[], since: string, now: Date): DigestEvent {
  const sinceMs = Date.parse(since);
  const nowMs = now.getTime();
  return {
    kind: 'digest',
    at: now.toISOString(),
    since,
    jobs: jobs.map((j) => digestLine(j, Number.isFinite(sinceMs) ? sinceMs : -Infinity, nowMs)),
  };
}
