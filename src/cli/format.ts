/**
 * How a run looks to a person (text) and to a tool (JSON). The text names every rejected row by
 * its place with the fix, every change with old → new, and for a blocked run the exact command
 * that approves it.
 */
import { plural } from '../core/plural.js';
import { FIELD_LABELS, type PersonFields } from '../core/types.js';
import type { RunReport } from '../run/report.js';

function person(r: PersonFields): string {
  return `${r.firstName} ${r.lastName} <${r.email}> ID ${r.id} [Sync ID ${r.syncId}]`;
}

export interface FormatOptions {
  /** Show at most this many lines per change list (0 = all). */
  readonly limit?: number;
  /** ` -c <file>` as the command was given, repeated in every printed hint. */
  readonly configArg?: string;
}

function listed<T>(items: readonly T[], limit: number, render: (t: T) => string, out: string[]): void {
  const shown = limit > 0 ? items.slice(0, limit) : items;
  for (const item of shown) out.push(render(item));
  if (shown.length < items.length)
    out.push(`    … and ${items.length - shown.length} more (use --json or --all for everything)`);
}

export function formatReport(r: RunReport, options: FormatOptions = {}): string {
  const limit = options.limit ?? 50;
  const c = options.configArg ?? '';
  const out: string[] = [];
  const title = r.mode === 'plan' ? 'Plan (dry run, nothing is sent)' : 'Sync';
  out.push(`${title} for job "${r.job}"${r.build ? ` — plan ${r.build.plan.id}` : ''}`);
  if (r.baseline && !r.baseline.known) {
    out.push(
      '',
      `UNKNOWN BASELINE: mobileid-sync does not know who is in project "${r.baseline.target.project}" at ${r.baseline.target.baseUrl} now`,
      `  (${r.baseline.detail}).`,
      `  MIM will delete everyone who is not among the ${r.build?.plan.desired.length ?? 0} people below. A push needs an approval of exactly this plan.`,
      '',
    );
  } else if (r.baseline?.known) {
    out.push(`  baseline #${r.baseline.seq}: ${r.baseline.users} users pushed at ${r.baseline.pushedAt}`);
  }
  if (r.approvalVoided) out.push(`  ${r.approvalVoided}.`);
  for (const s of r.sources) {
    out.push(`  source ${s.source} (${s.kind}): ${s.description} — ${s.valid} valid of ${s.total}`);
  }
  const b = r.build;
  if (b) {
    if (b.rejections.length > 0) {
      out.push('', `Rejected (${b.rejectedTotal}) — left out of the upload until fixed:`);
      listed(b.rejections, limit, (x) => `  ${x.place.source}: ${x.place.ref}: ${x.reason} (${x.fix})`, out);
      // Beyond the listing cap (maxListedRejections) rejections are only counted.
      const unlisted = b.rejectedTotal - b.rejections.length;
      if (unlisted > 0)
        out.push(`    … and ${unlisted} more not kept (only the first ones of each source are listed)`);
    }
    if (b.notices.length > 0) {
      out.push('', `Notices (${b.notices.length}):`);
      listed(
        b.notices,
        limit,
        (n) => `  ${n.place ? `${n.place.source}: ${n.place.ref}: ` : ''}${n.message}`,
        out,
      );
    }
    const p = b.plan;
    out.push(
      '',
      `Changes: ${p.adds.length} to add, ${p.updates.length} to update, ${p.deletes.length} to delete, ${p.unchanged} unchanged${b.carried.length ? `, ${b.carried.length} carried forward` : ''}`,
    );
    listed(p.adds, limit, (a) => `  + ${person(a)}  (invited by e-mail)`, out);
    listed(
      p.updates,
      limit,
      (u) =>
        `  ~ ${u.after.firstName} ${u.after.lastName} [Sync ID ${u.syncId}]: ${u.changes.map((c) => `${FIELD_LABELS[c.field]} "${c.from}" → "${c.to}"`).join('; ')}`,
      out,
    );
    listed(p.deletes, limit, (d) => `  - ${person(d)}  (MIM deletes this user and e-mails them)`, out);
    if (p.maybeDeletes.length > 0) {
      out.push(
        `  and ${p.maybeDeletes.length} more who are deleted if an earlier upload with an unknown outcome was applied:`,
      );
      listed(p.maybeDeletes, limit, (d) => `  ? ${person(d)}`, out);
    }
    if (r.warnings.length > 0) {
      out.push('', 'Warnings:');
      for (const w of r.warnings) out.push(`  ! ${w}`);
    }

    if (r.pendingFromCrash) {
      out.push(
        '',
        "An earlier upload got no definite answer (interrupted before MIM's answer was recorded, or MIM kept failing), so MIM may or may not hold it; this run re-sends (harmless: a replacing sync is idempotent).",
      );
    }
  }
  if (r.guard && !r.guard.ok) {
    out.push(
      '',
      r.guard.kind === 'hard-stop'
        ? 'BLOCKED (hard stop) — nothing was pushed:'
        : 'BLOCKED — needs approval; nothing was pushed:',
    );
    for (const reason of r.guard.reasons) out.push(`  ${reason.message}`);
    if (r.guard.kind === 'needs-approval' && b) {
      const codes = new Set(r.guard.reasons.map((x) => x.code));
      const onlyDeletes = [...codes].every(
        (x) => x === 'too-many-deletes' || x === 'too-many-deletes-percent' || x === 'source-shrank',
      );
      // A dry run records nothing, so there is no blocked plan to approve until a sync records it.
      out.push(
        '',
        ...(r.mode === 'plan'
          ? [
              'If these changes are intended, let a sync record this plan (blocked, it sends nothing), approve exactly it, then run again:',
              `  mobileid-sync sync --job ${r.job}${c}`,
            ]
          : ['If these changes are intended, approve exactly this plan, then run again:']),
        `  mobileid-sync approve ${r.job} --plan ${b.plan.id}${c}`,
        `  mobileid-sync sync --job ${r.job}${c}`,
      );
      if (onlyDeletes)
        out.push(
          `or for one manual run: mobileid-sync sync --job ${r.job}${c} --allow-deletes ${b.plan.deletes.length + b.plan.maybeDeletes.length}`,
        );
      else if (codes.size === 1 && codes.has('unknown-baseline'))
        out.push(
          `or for one manual run: mobileid-sync sync --job ${r.job}${c} --accept-unknown-baseline`,
          `or, if you have a snapshot matching what MIM holds: mobileid-sync baseline list --job ${r.job}${c}`,
        );
    } else {
      out.push('  Fix the source; this cannot be approved.');
    }
  }
  if (r.approvedBy) out.push('', `Guard limits overridden: approved by ${r.approvedBy}.`);
  out.push('', resultLine(r, c));
  return out.join('\n');
}

function resultLine(r: RunReport, configArg: string): string {
  if (r.error && r.outcomeUnknown)
    return `OUTCOME UNKNOWN: ${r.error.describe()}\nMIM may or may not have applied this upload; it stays recorded as pending and the next run re-sends it.`;
  if (r.error) return `FAILED: ${r.error.describe()}`;
  switch (r.outcome) {
    case 'planned':
      return `Result: changes pending — \`mobileid-sync sync --job ${r.job}${configArg}\` would upload them.`;
    case 'unchanged':
      return 'Result: nothing to do — the upload would be byte-identical to the last one MIM accepted (not sent).';
    case 'applied':
      return `Result: uploaded — MIM accepted it (HTTP ${r.push?.status}, ${plural(r.push?.attempts ?? 1, 'attempt')}, ${r.push?.bytes} bytes).`;
    case 'blocked':
      return 'Result: blocked.';
    case 'failed':
      return 'Result: failed.';
  }
}

/** A stable JSON shape for scripts (`--json`). */
export function reportJson(r: RunReport): unknown {
  const b = r.build;
  const strip = <T extends { place?: unknown }>(x: T): Omit<T, 'place'> & { place?: string } => {
    const { place, ...rest } = x as T & { place?: { source: string; ref: string } };
    return place ? { ...rest, place: `${place.source}: ${place.ref}` } : rest;
  };
  return {
    runId: r.runId,
    job: r.job,
    mode: r.mode,
    trigger: r.trigger,
    outcome: r.outcome,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    sources: r.sources,
    firstPush: r.firstPush,
    baseline: r.baseline ?? null,
    approvalVoided: r.approvalVoided ?? null,
    outcomeUnknown: r.outcomeUnknown ?? false,
    plan: b
      ? {
          id: b.plan.id,
          counts: {
            adds: b.plan.adds.length,
            updates: b.plan.updates.length,
            deletes: b.plan.deletes.length,
            unchanged: b.plan.unchanged,
            carried: b.carried.length,
            rejected: b.rejectedTotal,
          },
          adds: b.plan.adds.map(strip),
          updates: b.plan.updates.map((u) => ({
            syncId: u.syncId,
            email: u.after.email,
            changes: u.changes,
          })),
          deletes: b.plan.deletes,
          maybeDeletes: b.plan.maybeDeletes,
          carried: b.carried.map(strip),
        }
      : null,
    rejections: b?.rejections.map(strip) ?? [],
    notices: b?.notices.map(strip) ?? [],
    guard: r.guard ?? null,
    warnings: r.warnings,
    push: r.push ?? null,
    skipReason: r.skipReason ?? null,
    payloadSha256: r.payloadSha256 ?? null,
    error: r.error
      ? { code: r.error.code, message: r.error.message, place: r.error.place, fix: r.error.fix }
      : null,
  };
}
