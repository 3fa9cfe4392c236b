/**
 * A finished run, told to the notifier: its facts (with the job's failure streak as the history
 * shows it, so runs of the CLI and of the daemon count alike) become events, which the notifier
 * de-duplicates and sends in the background. Shared by the daemon and the one-shot `sync`.
 */

import type { NotifyLinks } from '../notify/detect.js';
import { eventsOfRun } from '../notify/detect.js';
import type { Notifier } from '../notify/dispatcher.js';
import { nextStreak, type RunStreak, runFacts, streakOfHistory } from '../notify/facts.js';
import type { JobState } from '../state/store.js';
import type { RunReport } from './report.js';

/** Failed runs in a row beyond this many still count as "more than this" (the history is read this far back). */
const STREAK_LINES = 200;

export interface RunNoticeContext {
  readonly state: JobState;
  readonly project: string;
  readonly maskEmails: boolean;
  readonly links: NotifyLinks;
}

/** The streak including `report`: from the history, which holds the run unless recording it failed. */
async function streakWith(report: RunReport, state: JobState): Promise<RunStreak> {
  const history = await state.readHistory(STREAK_LINES).catch(() => []);
  const streak = streakOfHistory(history);
  return history.at(-1)?.runId === report.runId ? streak : nextStreak(streak, report);
}

/** Hands the run's events to the notifier; resolves once they are queued (never throws). */
export async function notifyRun(notifier: Notifier, report: RunReport, ctx: RunNoticeContext): Promise<void> {
  if (notifier.channelCount === 0 || report.mode !== 'sync') return;
  const streak = await streakWith(report, ctx.state);
  const facts = runFacts(report, streak, { project: ctx.project, maskEmails: ctx.maskEmails });
  notifier.notifyWith((dedup) => eventsOfRun(facts, dedup, notifier.policy, ctx.links));
}

/** The console's page of a job, when `notify.consoleUrl` is set. */
export function consoleLink(consoleUrl: string, job: string): string | null {
  return consoleUrl ? `${consoleUrl.replace(/\/+$/, '')}/console/jobs/${encodeURIComponent(job)}` : null;
}
