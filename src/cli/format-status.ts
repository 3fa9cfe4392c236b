/**
 * How a job's state looks in `status`: to a tool (`statusJson`, the `--json` shape) and to a
 * person (`formatStatus`, text rendered from that same JSON view). Pure: the command reads the
 * state files and the clock, these shape what it read.
 */
import { plural } from '../core/plural.js';
import type { ChannelStatus } from '../notify/store.js';
import { type Baseline, describeTarget, type Target } from '../state/baseline.js';
import type { BlockedPlan, HistoryEntry, PendingState } from '../state/store.js';

/** What `status` reads of one job. */
export interface JobStatusFacts {
  readonly job: string;
  readonly target: Target;
  readonly baseline: Baseline;
  readonly pending: PendingState;
  readonly blocked: BlockedPlan | null;
  /** Why blocked.json is there but not used, if it is so. */
  readonly blockedUnusable?: string | undefined;
  /** Newest first. */
  readonly runs: readonly HistoryEntry[];
}

export function statusJson(f: JobStatusFacts) {
  const b = f.baseline;
  const p = f.pending;
  return {
    job: f.job,
    target: f.target,
    baseline: b.known
      ? {
          known: true as const,
          id: b.id,
          seq: b.snapshot.seq,
          users: b.snapshot.records.length,
          pushedAt: b.snapshot.pushedAt,
          planId: b.snapshot.planId,
          inputs: b.snapshot.inputs,
        }
      : { known: false as const, reason: b.reason, detail: b.detail },
    pending:
      p.kind === 'pending'
        ? { uploads: p.pending.uploads, users: p.pending.records.length }
        : p.kind === 'unusable'
          ? { unusable: p.detail }
          : null,
    blocked: f.blocked,
    ...(f.blockedUnusable ? { blockedUnusable: f.blockedUnusable } : {}),
    runs: f.runs,
  };
}

export type JobStatusJson = ReturnType<typeof statusJson>;

/** How long ago `iso` was, for people; a date in the future says so (the clock moved). */
export function age(iso: string, now: Date): string {
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

function baselineLine(v: JobStatusJson, now: Date, configArg: string): string {
  const b = v.baseline;
  if (!b.known)
    return `  baseline UNKNOWN: ${b.detail}. The next push needs an approval of its exact plan (or restore one: see \`mobileid-sync baseline list --job ${v.job}${configArg}\`)`;
  const from = b.inputs.length
    ? `, from ${b.inputs.map((i) => `${i.source}: ${i.input.name}`).join(', ')}`
    : '';
  return `  baseline #${b.seq}: ${b.users} users pushed at ${b.pushedAt} (${age(b.pushedAt, now)})${from}`;
}

function pendingLines(v: JobStatusJson): string[] {
  const p = v.pending;
  if (!p) return [];
  if ('unusable' in p) return [`  upload with UNKNOWN outcome and content: ${p.unusable}`];
  return [
    `  upload with UNKNOWN outcome: ${plural(p.uploads.length, 'upload')} since ${p.uploads[0]?.startedAt}; MIM may hold them — the next run re-sends`,
  ];
}

function blockedLines(v: JobStatusJson, configArg: string): string[] {
  const b = v.blocked;
  if (v.blockedUnusable)
    return [
      `  blocked.json NOT USED (${v.blockedUnusable}): no approval in it counts; the next run the guard blocks writes a new one`,
    ];
  if (!b) return [];
  return [
    `  BLOCKED plan ${b.planId} since ${b.blockedAt}: ${b.reasons.join('; ')}`,
    b.approval
      ? `  approved by ${b.approval.by}, valid until ${b.approval.expiresAt}; the next run pushes it if its plan is still ${b.planId}`
      : `  approve: mobileid-sync approve ${v.job} --plan ${b.planId}${configArg}`,
  ];
}

function runLine(r: HistoryEntry): string {
  const p = r.plan;
  const note = r.error
    ? `${r.error.code}: ${r.error.message}`
    : r.guard
      ? r.guard.reasons.join('; ')
      : r.approval
        ? `approved by ${r.approval.by}`
        : '';
  return `  ${r.startedAt.slice(0, 19).replace('T', ' ')}  ${r.trigger.padEnd(8)}  ${r.outcome.padEnd(9)}  ${String(p?.adds ?? '-').padStart(4)}  ${String(p?.updates ?? '-').padStart(4)}  ${String(p?.deletes ?? '-').padStart(4)}  ${String(r.rejected ?? '-').padStart(3)}  ${`${(r.durationMs / 1000).toFixed(1)}s`.padStart(8)}  ${note}`;
}

/** One job's block of `status` text, ending with a blank line. */
export function formatStatus(v: JobStatusJson, now: Date, configArg: string): string[] {
  return [
    `Job ${v.job} → ${describeTarget(v.target)}`,
    baselineLine(v, now, configArg),
    ...pendingLines(v),
    ...blockedLines(v, configArg),
    '  started               trigger   outcome    +add  ~upd  -del  rej  duration  note',
    ...v.runs.map(runLine),
    '',
  ];
}

/** The notification channels' last deliveries (from notify-status.json), one line each, and the fix of a failing one. */
export function formatNotifications(channels: readonly ChannelStatus[], now: Date): string[] {
  const out: string[] = [];
  for (const c of channels) {
    const sent = c.lastSentAt ? `last delivered ${age(c.lastSentAt, now)}` : 'nothing delivered yet';
    if (c.consecutiveFailures > 0 && c.lastError) {
      out.push(
        `notify ${c.name} ${c.target}: FAILING (${c.consecutiveFailures} in a row, ${sent}); last error ${age(c.lastError.at, now)}: ${c.lastError.message}`,
        `  fix: ${c.lastError.fix}`,
      );
    } else out.push(`notify ${c.name} ${c.target}: OK, ${sent}`);
  }
  return out;
}
