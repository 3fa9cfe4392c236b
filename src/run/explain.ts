/**
 * `plan --explain <e-mail or Sync ID>`: why one person is in, out, rejected, carried forward,
 * dropped as a duplicate or left out by a source, assembled from what a dry run already holds
 * (snapshots, build, baseline, guard) and what each source found when asked about the person.
 * Pure: plain data in, plain data out (the run side is explain-run.ts).
 */
import type { PersonFinding, PersonLookup, SourceSnapshot } from '../core/source.js';
import {
  FIELDS,
  type Notice,
  type PersonFields,
  type PushedRecord,
  type Rejection,
  type SourceRecord,
} from '../core/types.js';
import { type BuildResult, collectAll, type FieldChange, type GuardVerdict } from '../pipeline/index.js';

/** What one source said about the person; `error` when asking failed (the plan itself did not). */
export interface SourceLookup extends PersonLookup {
  readonly source: string;
  readonly kind: string;
  readonly error?: string | undefined;
}

export type ExplainBaseline =
  | { readonly known: true; readonly records: readonly PushedRecord[]; readonly pushedAt: string }
  | { readonly known: false; readonly detail: string };

export interface ExplainInput {
  readonly key: string;
  readonly job: string;
  readonly snapshots: readonly SourceSnapshot[];
  readonly build: BuildResult;
  readonly baseline: ExplainBaseline;
  readonly guard: GuardVerdict;
  /** One per source, in the job's order. */
  readonly lookups: readonly SourceLookup[];
}

export type PlanAction = 'add' | 'update' | 'unchanged' | 'delete' | 'maybe-delete' | 'none';

export type Verdict =
  | 'added'
  | 'updated'
  | 'unchanged'
  | 'carried'
  | 'deleted'
  | 'maybe-deleted'
  | 'rejected'
  | 'duplicate'
  | 'left-out'
  | 'not-found';

export interface RejectionView {
  readonly source: string;
  readonly place: string;
  readonly code: string;
  readonly reason: string;
  readonly fix: string;
}

export interface PersonExplanation {
  readonly key: string;
  readonly job: string;
  readonly verdict: Verdict;
  /** One or two sentences: the answer. */
  readonly summary: string;
  readonly sources: readonly SourceLookup[];
  /** The person's rejected records: validation, duplicates dropped by the merge (with the kept one). */
  readonly rejections: readonly RejectionView[];
  /** Merge and carry notices about the person's records. */
  readonly notices: readonly string[];
  readonly carried?: { readonly since: string; readonly place: string } | undefined;
  readonly plan: {
    readonly action: PlanAction;
    /** What the upload holds for the person (add, update, unchanged, carried). */
    readonly record?: PersonFields | undefined;
    readonly changes?: readonly FieldChange[] | undefined;
  };
  readonly baseline: {
    readonly known: boolean;
    readonly detail?: string | undefined;
    /** The person as in the last accepted upload; absent when they were not in it. */
    readonly record?: PushedRecord | undefined;
  };
  readonly guard: {
    readonly ok: boolean;
    readonly planId: string;
    readonly kind?: 'hard-stop' | 'needs-approval' | undefined;
    readonly reasons: readonly string[];
  };
  /** For 'not-found': people whose e-mail is close (same local part). */
  readonly nearMatches: readonly string[];
}

const low = (s: string | undefined): string | undefined => s?.trim().toLowerCase() || undefined;

/** The person's identity keys: what was asked for, plus the e-mail / Sync ID of each match. */
class Keys {
  readonly emails = new Set<string>();
  readonly syncIds = new Set<string>();

  constructor(key: string) {
    const k = low(key);
    if (k) {
      this.emails.add(k);
      this.syncIds.add(k);
    }
  }

  matches(r: { readonly email?: string | undefined; readonly syncId?: string | undefined }): boolean {
    const e = low(r.email);
    const s = low(r.syncId);
    return (e !== undefined && this.emails.has(e)) || (s !== undefined && this.syncIds.has(s));
  }

  add(r: { readonly email?: string | undefined; readonly syncId?: string | undefined }): void {
    const e = low(r.email);
    const s = low(r.syncId);
    if (e) this.emails.add(e);
    if (s) this.syncIds.add(s);
  }
}

function fieldValue(f: PersonFinding, field: string): string | undefined {
  return f.fields.find((o) => o.field === field)?.value;
}

function findingKeys(f: PersonFinding): { email?: string | undefined; syncId?: string | undefined } {
  return { email: fieldValue(f, 'email'), syncId: fieldValue(f, 'syncId') };
}

/** A source without `explain`: its fetched records that match, as plain reads. */
export function lookupFromSnapshot(snapshot: SourceSnapshot, key: string): SourceLookup {
  const keys = new Keys(key);
  const findings: PersonFinding[] = [];
  const plain = (r: SourceRecord): PersonFinding => ({
    place: r.place.ref,
    verdict: 'included',
    fields: FIELDS.map((field) => ({ field, value: r[field], from: field, key: '', steps: [] })),
  });
  for (const r of snapshot.records) if (keys.matches(r)) findings.push(plain(r));
  // A source that validates while reading holds only valid records; its rejected ones by key.
  if (snapshot.collected && snapshot.collected.valid === snapshot.records) {
    for (const r of snapshot.collected.rejectedKeys()) {
      if (!keys.matches(r)) continue;
      findings.push({
        place: r.place.ref,
        verdict: 'included',
        fields: [
          { field: 'email', value: r.email, from: 'email', key: '', steps: [] },
          { field: 'syncId', value: r.syncId, from: 'syncId', key: '', steps: [] },
        ],
      });
    }
  }
  return {
    source: snapshot.source,
    kind: snapshot.kind,
    searched: `the records read (${snapshot.description}) by e-mail and Sync ID`,
    findings,
  };
}

function view(r: Rejection): RejectionView {
  return { source: r.place.source, place: r.place.ref, code: r.code, reason: r.reason, fix: r.fix };
}

/**
 * The person's rejections: the build's listed ones (validation and the merge's duplicates), and
 * the validation of every record a source found for them (so a rejection past the listing cap
 * still has its reason).
 */
function rejectionsOf(input: ExplainInput, keys: Keys): RejectionView[] {
  const out = input.build.rejections.filter((r) => keys.matches(r)).map(view);
  const seen = new Set(out.map((r) => `${r.source}\0${r.place}`));
  for (const l of input.lookups) {
    const records: SourceRecord[] = l.findings
      .filter((f) => f.verdict === 'included' && !seen.has(`${l.source}\0${f.place}`))
      .map((f) => {
        const r: Record<string, string | undefined> = {};
        for (const o of f.fields) r[o.field] = o.value;
        return { ...r, place: { source: l.source, kind: l.kind, ref: f.place } };
      });
    if (records.length === 0) continue;
    for (const r of collectAll(l.source, l.kind, records).listed) out.push(view(r));
  }
  return out;
}

function placesOf(input: ExplainInput, keys: Keys): Set<string> {
  const places = new Set<string>();
  for (const l of input.lookups)
    for (const f of l.findings) if (keys.matches(findingKeys(f))) places.add(`${l.source}\0${f.place}`);
  for (const r of input.build.rejections)
    if (keys.matches(r)) places.add(`${r.place.source}\0${r.place.ref}`);
  for (const d of input.build.desired) if (keys.matches(d)) places.add(`${d.place.source}\0${d.place.ref}`);
  return places;
}

function noticesOf(notices: readonly Notice[], places: ReadonlySet<string>): string[] {
  return notices
    .filter((n) => n.place && places.has(`${n.place.source}\0${n.place.ref}`))
    .map((n) => `${n.place!.source}: ${n.place!.ref}: ${n.message}`);
}

/** E-mails with the same local part (dots, dashes and underscores aside) as the key's. */
function nearMatches(input: ExplainInput, key: string, limit = 5): string[] {
  const local = (e: string): string => (e.toLowerCase().split('@')[0] ?? '').replace(/[._-]/g, '');
  const want = local(key);
  if (!want) return [];
  const out = new Set<string>();
  const consider = (email: string | undefined): void => {
    if (email && out.size < limit && local(email) === want) out.add(email);
  };
  for (const d of input.build.desired) consider(d.email);
  if (input.baseline.known) for (const p of input.baseline.records) consider(p.email);
  for (const s of input.snapshots) for (const r of s.records) consider(r.email);
  return [...out];
}

function guardView(guard: GuardVerdict, planId: string): PersonExplanation['guard'] {
  return guard.ok
    ? { ok: true, planId, reasons: guard.overridden.map((r) => r.message) }
    : { ok: false, planId, kind: guard.kind, reasons: guard.reasons.map((r) => r.message) };
}

function leftOutReasons(lookups: readonly SourceLookup[]): string[] {
  const out: string[] = [];
  for (const l of lookups)
    for (const f of l.findings)
      if (f.verdict === 'left-out')
        out.push(`${l.source}: ${f.place}: ${f.reason ?? 'left out by the source'}`);
  return out;
}

function describeRejections(rejections: readonly RejectionView[]): string {
  return rejections.map((r) => `${r.source}: ${r.place}: ${r.reason}`).join('; ');
}

function joinFields(changes: readonly FieldChange[]): string {
  return changes.map((c) => `${c.field} "${c.from}" → "${c.to}"`).join(', ');
}

/** Why someone in the last upload is not in this one. */
function whyGone(
  rejections: readonly RejectionView[],
  leftOut: readonly string[],
  notices: string[],
): string {
  if (leftOut.length) return `left out by the source (${leftOut.join('; ')})`;
  if (rejections.length) {
    const expired = notices.some((n) => n.includes('carried forward for too long'));
    return `the current record is rejected (${describeRejections(rejections)})${expired ? ' and was carried forward for longer than guard.carryForwardDays' : ''}`;
  }
  return 'no source holds them any more';
}

interface Outcome {
  readonly verdict: Verdict;
  readonly summary: string;
}

function outcome(
  action: PlanAction,
  e: Omit<PersonExplanation, 'verdict' | 'summary'>,
  leftOut: readonly string[],
): Outcome {
  const { plan, rejections, carried } = e;
  const email = plan.record?.email ?? e.baseline.record?.email ?? e.key;
  if (carried) {
    return {
      verdict: 'carried',
      summary: `${email} stays in the upload with the data pushed last (carried forward since ${carried.since}): the current record is rejected (${describeRejections(rejections) || carried.place}).`,
    };
  }
  switch (action) {
    case 'add':
      return {
        verdict: 'added',
        summary: `${email} is new: the upload adds them and MIM e-mails an invitation.`,
      };
    case 'update':
      return {
        verdict: 'updated',
        summary: `${email} is in the upload with changes: ${joinFields(plan.changes ?? [])}.`,
      };
    case 'unchanged':
      return { verdict: 'unchanged', summary: `${email} is in the upload, unchanged since the last one.` };
    case 'delete':
      return {
        verdict: 'deleted',
        summary: `${email} was in the last upload but not in this one, so MIM deletes them and e-mails them: ${whyGone(rejections, leftOut, [...e.notices])}.`,
      };
    case 'maybe-delete':
      return {
        verdict: 'maybe-deleted',
        summary: `${email} was only in an upload whose outcome is unknown; if MIM applied it, this upload deletes them: ${whyGone(rejections, leftOut, [...e.notices])}.`,
      };
    case 'none':
      break;
  }
  const duplicate = rejections.find((r) => r.code === 'duplicate-email' || r.code === 'duplicate-sync-id');
  if (duplicate) {
    return {
      verdict: 'duplicate',
      summary: `${e.key} is not in the upload: ${duplicate.place}: ${duplicate.reason}.`,
    };
  }
  if (rejections.length) {
    return {
      verdict: 'rejected',
      summary: `${e.key} is not in the upload: rejected (${describeRejections(rejections)}).`,
    };
  }
  if (leftOut.length) {
    return { verdict: 'left-out', summary: `${e.key} is not in the upload: ${leftOut.join('; ')}.` };
  }
  return {
    verdict: 'not-found',
    summary: `${e.key} was not found: no source holds them, and they were not in the last upload.`,
  };
}

function guardSentence(g: PersonExplanation['guard']): string {
  if (g.ok) return '';
  return g.kind === 'hard-stop'
    ? ' The plan is stopped by the guard, so nothing is sent (see Guard).'
    : ' The plan is blocked until it is approved, so nothing is sent yet (see Guard).';
}

export function explainPerson(input: ExplainInput): PersonExplanation {
  const { build } = input;
  const keys = new Keys(input.key);
  // One round of widening: the Sync ID of the e-mail asked for (and back) finds the person in the
  // last upload under an old e-mail, or in the upload under a new one. Only from the upload and the
  // last one: a rejected duplicate's e-mail would pull in the person it collided with.
  const previous = input.baseline.known ? input.baseline.records : [];
  const widen: { email?: string | undefined; syncId?: string | undefined }[] = [];
  for (const d of build.desired) if (keys.matches(d)) widen.push(d);
  for (const p of previous) if (keys.matches(p)) widen.push(p);
  for (const w of widen) keys.add(w);

  const desired = build.desired.find((d) => keys.matches(d));
  const before = previous.find((p) => keys.matches(p));
  let action: PlanAction = 'none';
  let changes: readonly FieldChange[] | undefined;
  if (desired) {
    const update = build.plan.updates.find((u) => u.syncId === desired.syncId);
    if (update) {
      action = 'update';
      changes = update.changes;
    } else if (build.plan.adds.some((a) => a.syncId === desired.syncId)) action = 'add';
    else action = 'unchanged';
  } else if (build.plan.deletes.some((p) => keys.matches(p))) action = 'delete';
  else if (build.plan.maybeDeletes.some((p) => keys.matches(p))) action = 'maybe-delete';

  const rejections = rejectionsOf(input, keys);
  const notices = noticesOf(build.notices, placesOf(input, keys));
  const carriedRecord = build.carried.find((c) => keys.matches(c));
  const sources = input.lookups;
  const partial: Omit<PersonExplanation, 'verdict' | 'summary'> = {
    key: input.key,
    job: input.job,
    sources,
    rejections,
    notices,
    carried: carriedRecord
      ? {
          since: carriedRecord.carriedSince ?? '',
          place: `${carriedRecord.place.source}: ${carriedRecord.place.ref}`,
        }
      : undefined,
    plan: {
      action,
      record: desired ? pick(desired) : undefined,
      ...(changes ? { changes } : {}),
    },
    baseline: input.baseline.known
      ? { known: true, record: before }
      : { known: false, detail: input.baseline.detail },
    guard: guardView(input.guard, build.plan.id),
    nearMatches: [],
  };
  const { verdict, summary } = outcome(action, partial, leftOutReasons(sources));
  return {
    ...partial,
    verdict,
    summary: summary + guardSentence(partial.guard),
    nearMatches: verdict === 'not-found' ? nearMatches(input, input.key) : [],
  };
}

function pick(r: PersonFields): PersonFields {
  return { firstName: r.firstName, lastName: r.lastName, email: r.email, id: r.id, syncId: r.syncId };
}
