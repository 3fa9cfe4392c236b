/**
 * The console's pages, rendered on the server from plain data (types.ts) through the escaping
 * template (html.ts). No script: every action is a form POST, every view a link.
 * Element ids and data attributes are a contract with the browser tests; keep them stable.
 */
import { formatCount } from '../core/plural.js';
import type { PersonRow, PlanPage, PlanSection, RejectionRow, UpdateRow } from '../state/plan-log.js';
import { PLAN_SECTIONS } from '../state/plan-log.js';
import { html, type SafeHtml } from './html.js';
import type { ConsoleBaseline, ConsoleBlocked, ConsoleJob, ConsoleRun } from './types.js';

export const CSS_PATH = '/console/assets/console.css';

/** The notices a redirect may name (`?notice=`); anything else shows nothing. */
export const NOTICES = {
  approved:
    'Plan approved. The next run pushes it if the sources still give exactly this plan on the same baseline.',
  'run-started': 'Run started.',
  'run-queued': 'A run is in progress; one follow-up run is queued.',
  'logged-out': 'Logged out.',
} as const;
export type NoticeName = keyof typeof NOTICES;

export function isNotice(v: string | null): v is NoticeName {
  return v !== null && Object.hasOwn(NOTICES, v);
}

/** Who is looking: decides which forms a page offers. */
export interface Viewer {
  /** The CSRF token every form carries (a session's, or the listener's own without a token). */
  readonly csrf: string;
  /** A session cookie is in use (offer Log out). */
  readonly session: boolean;
  /** An admin token is configured: approving is allowed. */
  readonly canApprove: boolean;
}

export function jobHref(job: string): string {
  return `/console/jobs/${encodeURIComponent(job)}`;
}

export function planHref(job: string, runId: string, section?: PlanSection, page?: number): string {
  const q = new URLSearchParams();
  if (section) q.set('section', section);
  if (page && page > 1) q.set('page', String(page));
  const query = q.toString();
  return `${jobHref(job)}/runs/${encodeURIComponent(runId)}${query ? `?${query}` : ''}`;
}

const fmt = formatCount;

function time(iso: string | null | undefined): SafeHtml {
  return iso
    ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`
    : html`—`;
}

function layout(title: string, viewer: Viewer | null, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · mobileid-sync</title>
<link rel="stylesheet" href="${CSS_PATH}">
</head>
<body>
<header class="top"><a class="brand" href="/console/">mobileid-sync</a>${
    viewer?.session
      ? html`<form method="post" action="/console/logout" id="logout"><input type="hidden" name="csrf" value="${viewer.csrf}"><button type="submit">Log out</button></form>`
      : ''
  }</header>
<main>
${body}
</main>
</body>
</html>
`;
}

function messages(notice: NoticeName | null, error: string | null): SafeHtml {
  return html`${notice ? html`<p class="notice" id="notice" role="status">${NOTICES[notice]}</p>` : ''}${
    error ? html`<p class="error" id="error" role="alert">${error}</p>` : ''
  }`;
}

export function loginPage(error: string | null, notice: NoticeName | null = null): SafeHtml {
  return layout(
    'Log in',
    null,
    html`<h1>Log in</h1>
${messages(notice, error)}
<form method="post" action="/console/login" id="login">
<label for="token">Admin token (<code>admin.token</code>)</label>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<button type="submit" class="primary">Log in</button>
</form>`,
  );
}

export function errorPage(status: number, title: string, message: string, viewer: Viewer | null): SafeHtml {
  return layout(
    title,
    viewer,
    html`<h1>${title}</h1>
<p class="error" id="error" role="alert">${message}</p>
<p><a href="/console/">All jobs</a></p>
<p class="muted">HTTP ${status}</p>`,
  );
}

function stateBadge(state: string): SafeHtml {
  return html`<span class="badge" data-state="${state}">${state}</span>`;
}

function outcomeBadge(outcome: string): SafeHtml {
  return html`<span class="badge" data-outcome="${outcome}">${outcome}</span>`;
}

function baselineText(b: ConsoleBaseline): SafeHtml {
  return b.known
    ? html`#${b.seq}: ${fmt(b.users)} users, pushed ${time(b.pushedAt)}`
    : html`<span class="error-text">unknown: ${b.detail}</span>`;
}

function changesText(r: ConsoleRun): SafeHtml {
  if (!r.plan) return html`<span class="muted">—</span>`;
  return html`+${fmt(r.plan.adds)} ~${fmt(r.plan.updates)} −${fmt(r.plan.deletes)}`;
}

export function jobsPage(jobs: readonly ConsoleJob[], viewer: Viewer): SafeHtml {
  const rows = jobs.map((j) => {
    const last = j.runs[0];
    return html`<tr data-job="${j.name}">
<td><a href="${jobHref(j.name)}">${j.name}</a><br><span class="muted">${j.project}</span></td>
<td data-state="${j.state}">${stateBadge(j.state)}</td>
<td>${time(j.nextRun)}</td>
<td>${baselineText(j.baseline)}</td>
<td>${last ? html`${outcomeBadge(last.outcome)} ${time(last.endedAt)}` : html`<span class="muted">no run yet</span>`}</td>
</tr>`;
  });
  return layout(
    'Jobs',
    viewer,
    html`<h1>Jobs</h1>
<table id="jobs">
<thead><tr><th>Job</th><th>State</th><th>Next run</th><th>Baseline</th><th>Last run</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`,
  );
}

function blockedSection(j: ConsoleJob, b: ConsoleBlocked, viewer: Viewer): SafeHtml {
  const approveForm = viewer.canApprove
    ? html`<form method="post" action="${jobHref(j.name)}/approve" id="approve">
<input type="hidden" name="planId" value="${b.planId}">
<input type="hidden" name="csrf" value="${viewer.csrf}">
<button type="submit" class="primary" id="approve-button">Approve plan ${b.planId}</button>
</form>`
    : html`<p id="approve-unavailable">Approving from the browser is off: set <code>admin.token</code> to approve from the browser, or run <code>mobileid-sync approve ${j.name} --plan ${b.planId}</code>.</p>`;
  return html`<section id="blocked" class="blocked" data-plan="${b.planId}">
<h2>Blocked: waiting for approval</h2>
<ul class="reasons">${b.reasons.map((r) => html`<li>${r}</li>`)}</ul>
<dl class="facts">
<dt>Plan</dt><dd><code id="blocked-plan-id">${b.planId}</code>${
    b.planStored
      ? html` · <a href="${planHref(j.name, b.runId, 'deletes')}" id="blocked-plan-link">review the plan</a>`
      : html` <span class="muted">(plan not stored)</span>`
  }</dd>
<dt>Changes</dt><dd><span data-count="adds">${fmt(b.adds)}</span> adds, <span data-count="updates">${fmt(b.updates)}</span> updates, <span data-count="deletes">${fmt(b.deletes)}</span> deletes</dd>
<dt>Blocked</dt><dd>${time(b.blockedAt)}${b.seenAt && b.seenAt !== b.blockedAt ? html`, last computed ${time(b.seenAt)}` : ''}</dd>
${b.approval ? html`<dt>Approved</dt><dd id="approval">by ${b.approval.by}, until ${time(b.approval.expiresAt)}</dd>` : ''}
</dl>
${b.approval ? '' : approveForm}
</section>`;
}

function runsTable(j: ConsoleJob): SafeHtml {
  if (j.runs.length === 0) return html`<p class="muted" id="runs">No runs recorded yet.</p>`;
  return html`<table id="runs">
<thead><tr><th>Started</th><th>Trigger</th><th>Outcome</th><th>Changes</th><th class="num">Rejected</th><th class="num">Duration</th><th>Plan</th></tr></thead>
<tbody>
${j.runs.map(
  (r) => html`<tr data-run="${r.runId}">
<td>${time(r.startedAt)}</td><td>${r.trigger}</td>
<td data-outcome="${r.outcome}">${outcomeBadge(r.outcome)}${r.error ? html`<br><span class="muted">${r.error.code}: ${r.error.message}</span>` : ''}</td>
<td>${changesText(r)}</td><td class="num">${r.rejected === undefined ? '' : fmt(r.rejected)}</td>
<td class="num">${fmt(Math.round(r.durationMs))} ms</td>
<td>${r.planStored ? html`<a href="${planHref(j.name, r.runId)}">plan</a>` : html`<span class="muted">not stored</span>`}</td>
</tr>`,
)}
</tbody>
</table>`;
}

function sourcesTable(j: ConsoleJob): SafeHtml {
  if (j.sources.length === 0) return html`<p class="muted" id="sources">No source has been read yet.</p>`;
  return html`<table id="sources">
<thead><tr><th>Source</th><th>Last input</th><th class="num">Valid / total</th><th>Read</th><th>Last error</th></tr></thead>
<tbody>
${j.sources.map(
  (s) => html`<tr data-source="${s.source}">
<td>${s.source}<br><span class="muted">${s.description}</span></td>
<td>${s.input ? html`<code>${s.input}</code>` : html`<span class="muted">—</span>`}</td>
<td class="num">${fmt(s.valid)} / ${fmt(s.total)}</td>
<td>${time(s.at)}</td>
<td>${s.lastError ? html`${s.lastError.message} <span class="muted">(${time(s.lastError.at)})</span>` : html`<span class="muted">none</span>`}</td>
</tr>`,
)}
</tbody>
</table>`;
}

function errorsList(j: ConsoleJob): SafeHtml {
  if (j.errors.length === 0) return html`<p class="muted" id="errors">No errors in the recent runs.</p>`;
  return html`<table id="errors">
<thead><tr><th>When</th><th>Error</th><th>Place</th><th>Fix</th></tr></thead>
<tbody>
${j.errors.map(
  (e) => html`<tr data-run="${e.runId}">
<td>${time(e.at)}</td><td><code>${e.code}</code> ${e.message}</td>
<td>${e.place ? html`<code>${e.place}</code>` : html`<span class="muted">—</span>`}</td><td>${e.fix}</td>
</tr>`,
)}
</tbody>
</table>`;
}

export function jobPage(
  j: ConsoleJob,
  viewer: Viewer,
  notice: NoticeName | null,
  error: string | null,
): SafeHtml {
  return layout(
    j.name,
    viewer,
    html`<p class="muted"><a href="/console/">All jobs</a></p>
<h1 data-job="${j.name}">${j.name} ${stateBadge(j.state)}</h1>
${messages(notice, error)}
<dl class="facts">
<dt>MIM project</dt><dd>${j.project}</dd>
<dt>Next run</dt><dd>${time(j.nextRun)}</dd>
<dt>Baseline</dt><dd>${baselineText(j.baseline)}</dd>
${j.running ? html`<dt>Running</dt><dd>since ${time(j.running.startedAt)} (${j.running.trigger})</dd>` : ''}
${j.queued ? html`<dt>Queued</dt><dd>a follow-up run (${j.queued})</dd>` : ''}
${j.consecutiveFailures > 0 ? html`<dt>Failures</dt><dd>${j.consecutiveFailures} in a row</dd>` : ''}
</dl>
<div class="actions">
<form method="post" action="${jobHref(j.name)}/run" id="run-now">
<input type="hidden" name="csrf" value="${viewer.csrf}">
<button type="submit" id="run-now-button">Run now</button>
</form>
</div>
${j.blocked ? blockedSection(j, j.blocked, viewer) : ''}
<h2>Recent runs</h2>
${runsTable(j)}
<h2>Sources</h2>
${sourcesTable(j)}
<h2>Last errors</h2>
${errorsList(j)}`,
  );
}

const SECTION_TITLES: Record<PlanSection, string> = {
  adds: 'Adds',
  updates: 'Updates',
  deletes: 'Deletes',
  rejections: 'Rejections',
};

function personCells(r: PersonRow): SafeHtml {
  return html`<td>${r.firstName} ${r.lastName}${r.maybe ? html` <span class="badge">possibly in MIM</span>` : ''}${
    r.carried ? html` <span class="badge">carried</span>` : ''
  }</td><td>${r.email}</td><td><code>${r.id}</code></td><td><code>${r.syncId}</code></td>`;
}

function updateCells(r: UpdateRow): SafeHtml {
  return html`<td>${r.firstName} ${r.lastName}<br><span class="muted">${r.email}</span></td><td><code>${r.syncId}</code></td><td>${r.changes.map(
    (c) =>
      html`<div class="change" data-field="${c.field}"><strong>${c.field}</strong>: <del>${c.from}</del> → <ins>${c.to}</ins></div>`,
  )}</td>`;
}

function rejectionCells(r: RejectionRow): SafeHtml {
  return html`<td><code>${r.place}</code></td><td>${r.message}</td><td>${r.fix}</td>`;
}

const HEADS: Record<PlanSection, SafeHtml> = {
  adds: html`<th>Name</th><th>E-mail</th><th>ID</th><th>Sync ID</th>`,
  updates: html`<th>Person</th><th>Sync ID</th><th>Changes (before → after)</th>`,
  deletes: html`<th>Name</th><th>E-mail</th><th>ID</th><th>Sync ID</th>`,
  rejections: html`<th>Place</th><th>Problem</th><th>Fix</th>`,
};

function rowsHtml(page: Extract<PlanPage, { kind: 'page' }>): SafeHtml[] {
  switch (page.section) {
    case 'adds':
    case 'deletes':
      return (page.rows as readonly PersonRow[]).map((r) => html`<tr>${personCells(r)}</tr>`);
    case 'updates':
      return (page.rows as readonly UpdateRow[]).map((r) => html`<tr>${updateCells(r)}</tr>`);
    case 'rejections':
      return (page.rows as readonly RejectionRow[]).map((r) => html`<tr>${rejectionCells(r)}</tr>`);
  }
}

export function planPage(job: string, runId: string, page: PlanPage, viewer: Viewer): SafeHtml {
  if (page.kind === 'not-stored') {
    return layout(
      'Plan not stored',
      viewer,
      html`<p class="muted"><a href="${jobHref(job)}">${job}</a></p>
<h1>Plan of run <code>${runId}</code></h1>
<p class="error" id="error" role="alert">Not stored: ${page.why}.</p>`,
    );
  }
  const h = page.header;
  const total = h.counts[page.section];
  const from = total === 0 ? 0 : page.first + 1;
  const to = page.first + page.rows.length;
  const tabs = PLAN_SECTIONS.map(
    (s) =>
      html`<a href="${planHref(job, runId, s)}" data-section="${s}"${s === page.section ? html` aria-current="page"` : ''}>${SECTION_TITLES[s]} <span class="count">${fmt(h.counts[s])}</span></a>`,
  );
  const unlisted = h.rejectedTotal - h.counts.rejections;
  return layout(
    `Plan ${h.planId}`,
    viewer,
    html`<p class="muted"><a href="${jobHref(job)}">${job}</a></p>
<h1>Plan <code>${h.planId}</code></h1>
<dl class="facts">
<dt>Run</dt><dd><code>${h.runId}</code>, ${outcomeBadge(h.outcome)} ${time(h.at)}</dd>
<dt>Baseline</dt><dd><code>${h.baselineId}</code></dd>
</dl>
<nav id="sections">${tabs}</nav>
${page.section === 'rejections' && unlisted > 0 ? html`<p class="muted" id="unlisted">${fmt(unlisted)} more rejections were counted but not listed (the list is capped per source).</p>` : ''}
<table id="plan-rows" data-section="${page.section}">
<thead><tr>${HEADS[page.section]}</tr></thead>
<tbody>
${rowsHtml(page)}
</tbody>
</table>
<div class="pager">
${page.page > 1 ? html`<a rel="prev" href="${planHref(job, runId, page.section, page.page - 1)}">← previous</a>` : ''}
<span id="page-info">rows ${fmt(from)}–${fmt(to)} of ${fmt(total)}</span>
${page.page < page.pages ? html`<a rel="next" href="${planHref(job, runId, page.section, page.page + 1)}">next →</a>` : ''}
</div>`,
  );
}
