/**
 * The plain-text rendering of every event: the title every channel uses (e-mail subject, chat
 * header) and the body lines, without markup. The other formats start from it and only escape and
 * lay it out, so every channel says the same thing. Directory data (names, error texts) is made one
 * line here; each markup format escapes it for its own syntax.
 */
import type {
  ApprovalExpiringEvent,
  BlockedEvent,
  DigestEvent,
  FailingEvent,
  NotifyEvent,
  PersonLine,
  RecoveredEvent,
  Severity,
  TestEvent,
  TextMessage,
  UnknownOutcomeEvent,
} from '../types.js';

export const PRODUCT = 'mobileid-sync';
/** A line longer than this is cut (an error text holding a whole server answer). */
export const MAX_LINE = 500;

/** One line of text: control characters and line breaks become spaces, cut at `max` characters. */
export function oneLine(text: string, max = MAX_LINE): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

/** `n` and the noun, plural when n ≠ 1. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** An ISO time as the admin reads it (2025-01-31 14:05 UTC); anything else as given. */
export function when(iso: string | null): string {
  if (iso === null) return 'never recorded';
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(iso) && iso.endsWith('Z')
    ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
    : oneLine(iso, 40);
}

/**
 * The first items of a list and, when some are left out, the line saying how many: every format
 * keeps its limits with it ("… and 20 more").
 */
export function firstOf<T>(
  items: readonly T[],
  max: number,
  total = items.length,
): { shown: T[]; more: string | null } {
  const shown = items.slice(0, Math.max(0, max));
  const left = total - shown.length;
  return { shown, more: left > 0 ? `… and ${left} more` : null };
}

export function personText(p: PersonLine): string {
  return oneLine(`${p.name} <${p.email}> (ID ${p.id})`, 200);
}

function tag(job: string): string {
  return `[${PRODUCT}] ${oneLine(job, 100)}`;
}

function reminderLine(e: { reminder?: { firstAt: string; sent: number } | undefined }): string[] {
  return e.reminder
    ? [`Reminder: first notified ${when(e.reminder.firstAt)}, ${count(e.reminder.sent, 'time')} so far.`]
    : [];
}

function blocked(e: BlockedEvent): TextMessage {
  const c = e.counts;
  const hard = e.guardKind === 'hard-stop';
  const what = hard ? 'hard stop, nothing pushed' : `${count(c.deletes, 'delete')} need approval`;
  const top = firstOf(e.topDeletes, e.topDeletes.length, c.deletes);
  return {
    severity: 'critical',
    title: `${tag(e.job)}: blocked — ${what}${e.reminder ? ' (reminder)' : ''}`,
    lines: [
      ...reminderLine(e),
      `The guard blocked run ${e.runId} of job ${oneLine(e.job)} (MIM project ${oneLine(e.project)}) at ${when(e.at)}. Nothing was pushed.`,
      `Plan ${e.planId || '(none)'}: ${count(c.adds, 'add')}, ${count(c.updates, 'update')}, ${count(c.deletes, 'delete')}, ${c.unchanged} unchanged${e.baselineId ? ` (baseline ${e.baselineId})` : ''}.`,
      'Why:',
      ...e.reasons.map((r) => `- ${oneLine(r)}`),
      ...(c.deletes > 0
        ? [`Deletes (${top.more ? `the first ${top.shown.length} of ${c.deletes}` : 'all'}):`]
        : []),
      ...top.shown.map((p) => `- ${personText(p)}`),
      ...(top.more ? [top.more] : []),
      ...(hard || !e.approveCommand
        ? ['No approval can push this plan. Fix the source (see the reasons); the next run plans again.']
        : [
            'Each delete removes the person from MIM and e-mails them. Check the source first.',
            `If these changes are intended, approve exactly this plan: ${e.approveCommand}`,
            'Otherwise fix the source; the next run plans again and this plan is dropped.',
          ]),
    ],
    link: e.consoleUrl ? { label: hard ? 'Open the job' : 'Review and approve', url: e.consoleUrl } : null,
  };
}

function expiring(e: ApprovalExpiringEvent): TextMessage {
  return {
    severity: 'warning',
    title: `${tag(e.job)}: approval of plan ${e.planId} expires ${when(e.expiresAt)}`,
    lines: [
      `The approval of plan ${e.planId} by ${oneLine(e.approvedBy, 100)} (job ${oneLine(e.job)}, MIM project ${oneLine(e.project)}) runs out at ${when(e.expiresAt)}, and the plan has not been pushed yet.`,
      'Run the job now (console: Run now, or `mobileid-sync sync`) to push it; after the expiry the plan needs a new approval.',
    ],
    link: e.consoleUrl ? { label: 'Open the job', url: e.consoleUrl } : null,
  };
}

function failing(e: FailingEvent): TextMessage {
  const err = e.error;
  return {
    severity: 'critical',
    title: `${tag(e.job)}: failing — ${count(e.consecutiveFailures, 'run')} in a row (${err.code})${e.reminder ? ' (reminder)' : ''}`,
    lines: [
      ...reminderLine(e),
      `Job ${oneLine(e.job)} (MIM project ${oneLine(e.project)}) has failed ${count(e.consecutiveFailures, 'time')} in a row since ${when(e.failingSince)}; last success: ${when(e.lastSuccessAt)}.`,
      `${e.reminder ? 'Latest error' : 'Error'} ${err.code}: ${oneLine(err.message)}${err.place ? ` [${oneLine(err.place, 200)}]` : ''}`,
      `Fix: ${oneLine(err.fix)}`,
      "Until a run succeeds, MIM's user list does not follow the directory: new people are not invited, leavers are not removed.",
    ],
    link: e.consoleUrl ? { label: 'Open the job', url: e.consoleUrl } : null,
  };
}

function recovered(e: RecoveredEvent): TextMessage {
  const was = { failing: 'failing', blocked: 'blocked', 'unknown-outcome': 'waiting for a confirmed upload' }[
    e.after
  ];
  return {
    severity: 'ok',
    title: `${tag(e.job)}: recovered — run ${e.outcome}`,
    lines: [
      `Job ${oneLine(e.job)} (MIM project ${oneLine(e.project)}) works again: run ${e.runId} ended ${e.outcome} at ${when(e.at)}.`,
      `It had been ${was} since ${when(e.since)}. Nothing more to do.`,
    ],
    link: null,
  };
}

function unknownOutcome(e: UnknownOutcomeEvent): TextMessage {
  return {
    severity: 'warning',
    title: `${tag(e.job)}: upload outcome unknown${e.reminder ? ' (reminder)' : ''}`,
    lines: [
      ...reminderLine(e),
      `The upload of run ${e.runId} (job ${oneLine(e.job)}, MIM project ${oneLine(e.project)}) got no definite answer at ${when(e.at)}: MIM may or may not have applied it.`,
      `Detail: ${oneLine(e.detail)}`,
      'The next run sends the upload again and records it only once MIM confirms it. Check the connection to MIM if this repeats.',
    ],
    link: e.consoleUrl ? { label: 'Open the job', url: e.consoleUrl } : null,
  };
}

function digest(e: DigestEvent): TextMessage {
  const blockedJobs = e.jobs.filter((j) => j.blocked).length;
  const failingJobs = e.jobs.filter((j) => j.lastOutcome === 'failed').length;
  return {
    severity: blockedJobs + failingJobs > 0 ? 'warning' : 'info',
    title: `[${PRODUCT}] digest: ${count(e.jobs.length, 'job')}, ${blockedJobs} blocked, ${failingJobs} failing`,
    lines: [
      `Runs and changes since ${when(e.since)}:`,
      ...e.jobs.map((j) => {
        const r = j.runs;
        const c = j.changes;
        return oneLine(
          `- ${j.job} (${j.project}): ${r.applied} applied, ${r.unchanged} unchanged, ${r.blocked} blocked, ${r.failed} failed; ` +
            `${c.adds} added, ${c.updates} updated, ${c.deletes} deleted; ` +
            `${j.users === null ? 'users unknown' : count(j.users, 'user')}; last: ${j.lastOutcome ?? 'no run'}, ` +
            `last success ${when(j.lastSuccessAt)}${j.blocked ? '; a plan waits for approval' : ''}`,
        );
      }),
    ],
    link: null,
  };
}

function test(e: TestEvent): TextMessage {
  return {
    severity: 'info',
    title: `[${PRODUCT}] test notification from ${oneLine(e.host, 100)}`,
    lines: [
      `This is a test from ${PRODUCT} ${oneLine(e.version, 40)} on ${oneLine(e.host, 100)} at ${when(e.at)}.`,
      'If you read this, the channel works.',
    ],
    link: null,
  };
}

export function textMessage(event: NotifyEvent): TextMessage {
  switch (event.kind) {
    case 'blocked':
      return blocked(event);
    case 'approval-expiring':
      return expiring(event);
    case 'failing':
      return failing(event);
    case 'recovered':
      return recovered(event);
    case 'unknown-outcome':
      return unknownOutcome(event);
    case 'digest':
      return digest(event);
    case 'test':
      return test(event);
  }
}

/** The whole message as plain text (the e-mail's text part, a chat fallback). */
export function plainText(m: TextMessage): string {
  return [...m.lines, ...(m.link ? ['', `${m.link.label}: ${m.link.url}`] : [])].join('\n');
}

/**
 * Keeps lines while their total size (by `measure`, default characters + 1) stays within `budget`;
 * the rest become "… and N more lines". Formats with a size limit (Teams' 28 KB) use it.
 */
export function fitLines(
  lines: readonly string[],
  budget: number,
  measure: (line: string) => number = (line) => line.length + 1,
): string[] {
  const out: string[] = [];
  let used = 0;
  for (const [i, line] of lines.entries()) {
    const size = measure(line);
    if (used + size > budget) return [...out, `… and ${count(lines.length - i, 'more line')}`];
    out.push(line);
    used += size;
  }
  return out;
}

export const SEVERITY_WORD: Record<Severity, string> = {
  critical: 'Action needed',
  warning: 'Warning',
  info: 'Info',
  ok: 'Resolved',
};
