/** `plan --explain`: one person's answer as text for people and as JSON for scripts. Pure. */
import type { FieldOrigin, PersonFinding } from '../core/source.js';
import { FIELD_LABELS, type Field, type PersonFields } from '../core/types.js';
import type { PersonExplanation, SourceLookup } from '../run/explain.js';

const ACTION_TEXT: Readonly<Record<PersonExplanation['plan']['action'], string>> = {
  add: 'add (MIM invites them)',
  update: 'update',
  unchanged: 'unchanged',
  delete: 'delete (MIM deletes and e-mails them)',
  'maybe-delete': 'delete, if the upload with the unknown outcome was applied',
  none: 'not in the upload',
};

function label(field: string): string {
  return FIELD_LABELS[field as Field] ?? field;
}

function quote(v: string | undefined): string {
  return v === undefined ? '(empty)' : JSON.stringify(v);
}

function originLines(o: FieldOrigin): string[] {
  const chosen = o.key ? ` (${o.key})` : '';
  const lines = [`      ${label(o.field).padEnd(15)}${quote(o.value).padEnd(28)} from ${o.from}${chosen}`];
  if (o.steps.length > 0) {
    lines.push(`      ${''.padEnd(15)}${o.steps.map((s) => `${s.step} = ${quote(s.value)}`).join(' → ')}`);
  }
  return lines;
}

function findingLines(f: PersonFinding): string[] {
  const head =
    f.verdict === 'included'
      ? `    ${f.place}: read`
      : `    ${f.place}: left out by the source: ${f.reason ?? 'no reason given'}`;
  return [head, ...f.fields.flatMap(originLines)];
}

function sourceLines(l: SourceLookup): string[] {
  const out = [`  ${l.source} (${l.kind}), looked in ${l.searched}:`];
  if (l.error) out.push(`    note: ${l.error}`);
  if (l.findings.length === 0) out.push('    nothing found');
  for (const f of l.findings) out.push(...findingLines(f));
  return out;
}

function person(r: PersonFields): string {
  return `${r.firstName} ${r.lastName} <${r.email}>, ID ${quote(r.id)}, Sync ID ${quote(r.syncId)}`;
}

function planLines(e: PersonExplanation): string[] {
  const out = [`Plan: ${ACTION_TEXT[e.plan.action]}`];
  if (e.plan.record) out.push(`  upload holds: ${person(e.plan.record)}`);
  for (const c of e.plan.changes ?? []) out.push(`  ${label(c.field)}: ${quote(c.from)} → ${quote(c.to)}`);
  if (e.carried)
    out.push(`  carried forward since ${e.carried.since} (current record at ${e.carried.place})`);
  return out;
}

function baselineLine(e: PersonExplanation): string {
  if (!e.baseline.known) return `Last upload: not known (${e.baseline.detail ?? 'no baseline'})`;
  return e.baseline.record ? `Last upload: held ${person(e.baseline.record)}` : 'Last upload: not in it';
}

function guardLine(e: PersonExplanation): string {
  const g = e.guard;
  if (g.ok) {
    const over = g.reasons.length ? `, with an approval over: ${g.reasons.join('; ')}` : '';
    return `Guard: plan ${g.planId} may be sent${over}`;
  }
  const what = g.kind === 'hard-stop' ? 'stopped' : 'blocked until approved';
  return `Guard: plan ${g.planId} is ${what}: ${g.reasons.join('; ')}`;
}

/** The text answer for one job. */
export function formatExplanation(e: PersonExplanation): string {
  const out = [`${e.job}: ${e.key}`, `  ${e.summary}`, '', 'Sources:'];
  for (const l of e.sources) out.push(...sourceLines(l));
  if (e.rejections.length) {
    out.push('', 'Rejected:');
    for (const r of e.rejections) out.push(`  ${r.source}: ${r.place}: ${r.reason} (${r.fix})`);
  }
  if (e.notices.length) {
    out.push('', 'Notices:');
    for (const n of e.notices) out.push(`  ${n}`);
  }
  out.push('', ...planLines(e), baselineLine(e), guardLine(e));
  if (e.verdict === 'not-found') {
    out.push(
      '',
      e.nearMatches.length
        ? `Did you mean: ${e.nearMatches.join(', ')}?`
        : 'No e-mail with the same local part was found either.',
    );
  }
  return out.join('\n');
}

/** The JSON answer for one job: the explanation as is (it is plain data). */
export function explanationJson(e: PersonExplanation): unknown {
  return e;
}
