/**
 * Each sync run's plan, kept for the web console: `<stateDir>/<job>/plans/<runId>.ndjson`. A
 * header line (run, plan id, baseline, outcome, counts per section), then one line per row,
 * section by section (adds, updates, deletes, rejections), each with only what the page shows.
 * Written atomically; the newest KEEP_PLANS per job are kept. A page is read by counting newlines
 * in the raw bytes and parsing only the rows on it, so page 1000 of a 100k-row plan costs one
 * scan of the file, never 100k JSON parses. Nothing read back is trusted: a missing, damaged or
 * cut-off file is "not stored", never a crash.
 */
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeChunksAtomic } from './atomic.js';

export const KEEP_PLANS = 20;
export const PLAN_SECTIONS = ['adds', 'updates', 'deletes', 'rejections'] as const;
export type PlanSection = (typeof PLAN_SECTIONS)[number];

/** Run ids are UUIDs (the daemon's and the CLI's): nothing else names a file in plans/. */
export const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface PersonRow {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly id: string;
  readonly syncId: string;
  /** Deletes only: the person is only possibly in MIM (an upload with an unknown outcome held them). */
  readonly maybe?: true | undefined;
  /** Adds only: carried forward with the last good data (their new record is invalid). */
  readonly carried?: true | undefined;
}

export interface UpdateRow {
  readonly syncId: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly changes: readonly { readonly field: string; readonly from: string; readonly to: string }[];
}

export interface RejectionRow {
  /** Where the record lives: "source: file.csv:12", a DN, a Graph id. */
  readonly place: string;
  readonly message: string;
  readonly fix: string;
}

/** A section's rows: an array, or a lazy view of one (the header needs the count before the rows). */
export interface Rows<T> extends Iterable<T> {
  readonly length: number;
}

/** `rows` mapped row by row as they are written, so a 100k-row plan is never copied whole. */
export function mappedRows<A, T>(rows: readonly A[], fn: (a: A) => T): Rows<T> {
  return {
    length: rows.length,
    *[Symbol.iterator]() {
      for (const r of rows) yield fn(r);
    },
  };
}

export interface PlanRows {
  readonly adds: Rows<PersonRow>;
  readonly updates: Rows<UpdateRow>;
  readonly deletes: Rows<PersonRow>;
  readonly rejections: Rows<RejectionRow>;
}

export interface SectionRow {
  readonly adds: PersonRow;
  readonly updates: UpdateRow;
  readonly deletes: PersonRow;
  readonly rejections: RejectionRow;
}

export interface PlanLogHeader {
  readonly version: 1;
  readonly runId: string;
  readonly job: string;
  readonly planId: string;
  readonly baselineId: string;
  readonly outcome: string;
  /** When the run ended. */
  readonly at: string;
  readonly counts: Readonly<Record<PlanSection, number>>;
  /** Rejections in all; the listed ones are capped per source (`counts.rejections`). */
  readonly rejectedTotal: number;
}

export type PlanPage<S extends PlanSection = PlanSection> =
  | {
      readonly kind: 'page';
      readonly header: PlanLogHeader;
      readonly section: S;
      readonly page: number;
      readonly pages: number;
      /** Index (0-based, within the section) of the first row shown. */
      readonly first: number;
      readonly rows: readonly SectionRow[S][];
    }
  | { readonly kind: 'not-stored'; readonly why: string };

export function plansDir(jobStateDir: string): string {
  return path.join(jobStateDir, 'plans');
}

function* lines(header: Omit<PlanLogHeader, 'counts'>, rows: PlanRows, counts: Record<PlanSection, number>) {
  yield `${JSON.stringify({ ...header, counts })}\n`;
  // Batched: one write per row costs more than the serialising at 100k rows.
  let batch = '';
  for (const section of PLAN_SECTIONS) {
    for (const row of rows[section]) {
      batch += `${JSON.stringify(row)}\n`;
      if (batch.length > 65_536) {
        yield batch;
        batch = '';
      }
    }
  }
  if (batch) yield batch;
}

/** Writes one run's plan (atomically), then keeps the newest KEEP_PLANS of the folder. */
export async function writePlanLog(
  dir: string,
  header: Omit<PlanLogHeader, 'counts' | 'version'>,
  rows: PlanRows,
): Promise<string> {
  if (!RUN_ID.test(header.runId)) throw new Error(`run id "${header.runId}" cannot name a stored plan`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const counts = {
    adds: rows.adds.length,
    updates: rows.updates.length,
    deletes: rows.deletes.length,
    rejections: rows.rejections.length,
  };
  const file = path.join(dir, `${header.runId}.ndjson`);
  await writeChunksAtomic(file, lines({ version: 1, ...header }, rows, counts));
  await prunePlans(dir, header.runId);
  return file;
}

/** The run ids with a stored plan in `dir`. */
export async function storedPlans(dir: string): Promise<Set<string>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return new Set(
    names.flatMap((n) => (n.endsWith('.ndjson') && RUN_ID.test(n.slice(0, -7)) ? [n.slice(0, -7)] : [])),
  );
}

/**
 * Keeps the newest KEEP_PLANS (by modification time: this is a display log, and the plan just
 * written is never the one removed).
 */
async function prunePlans(dir: string, keep: string): Promise<void> {
  const ids = [...(await storedPlans(dir))];
  if (ids.length <= KEEP_PLANS) return;
  const dated = await Promise.all(
    ids.map(async (id) => ({
      id,
      mtime: await stat(path.join(dir, `${id}.ndjson`)).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    })),
  );
  dated.sort((a, b) => b.mtime - a.mtime || (a.id === keep ? -1 : b.id === keep ? 1 : 0));
  const drop = dated.slice(KEEP_PLANS).filter((d) => d.id !== keep);
  await Promise.all(
    drop.map((d) => rm(path.join(dir, `${d.id}.ndjson`), { force: true }).catch(() => undefined)),
  );
}

type Handle = Awaited<ReturnType<typeof open>>;

/** Lines [start, start + n) of the file, as text; fewer when the file ends first. */
async function readLines(fh: Handle, start: number, n: number): Promise<string[]> {
  const out: string[] = [];
  const buf = Buffer.allocUnsafe(1 << 18);
  let line = 0;
  let pos = 0;
  let partial: Buffer[] = [];
  while (out.length < n) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const chunk = buf.subarray(0, bytesRead);
    let i = 0;
    while (i < bytesRead && out.length < n) {
      const nl = chunk.indexOf(10, i);
      const end = nl === -1 ? bytesRead : nl;
      // Copy: the buffer is reused by the next read.
      if (line >= start) partial.push(Buffer.from(chunk.subarray(i, end)));
      if (nl === -1) break;
      if (line >= start) {
        out.push(Buffer.concat(partial).toString('utf8'));
        partial = [];
      }
      line++;
      i = nl + 1;
    }
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function headerProblem(v: unknown, runId: string): string | undefined {
  if (!isRecord(v) || v.version !== 1) return 'it is not a plan log this version wrote';
  if (v.runId !== runId) return 'it names another run';
  for (const k of ['planId', 'job', 'outcome', 'at'] as const) if (typeof v[k] !== 'string') return `no ${k}`;
  const c = v.counts;
  if (!isRecord(c)) return 'no counts';
  for (const s of PLAN_SECTIONS)
    if (!Number.isSafeInteger(c[s]) || (c[s] as number) < 0) return `no count of ${s}`;
  return undefined;
}

const ROW_KEYS: Record<PlanSection, readonly string[]> = {
  adds: ['firstName', 'lastName', 'email', 'id', 'syncId'],
  updates: ['syncId', 'firstName', 'lastName', 'email'],
  deletes: ['firstName', 'lastName', 'email', 'id', 'syncId'],
  rejections: ['place', 'message', 'fix'],
};

function rowOk(section: PlanSection, v: unknown): boolean {
  if (!isRecord(v) || !ROW_KEYS[section].every((k) => typeof v[k] === 'string')) return false;
  if (section !== 'updates') return true;
  const changes = v.changes;
  return (
    Array.isArray(changes) &&
    changes.every(
      (c) =>
        isRecord(c) && typeof c.field === 'string' && typeof c.from === 'string' && typeof c.to === 'string',
    )
  );
}

function parse(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

/** The header alone (one short read), or why the file cannot be shown. */
export async function readPlanHeader(
  dir: string,
  runId: string,
): Promise<{ kind: 'header'; header: PlanLogHeader } | { kind: 'not-stored'; why: string }> {
  if (!RUN_ID.test(runId)) return { kind: 'not-stored', why: 'that is not a run id' };
  let fh: Handle;
  try {
    fh = await open(path.join(dir, `${runId}.ndjson`), 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      kind: 'not-stored',
      why: code === 'ENOENT' ? 'no plan is stored for this run' : `it cannot be read (${code})`,
    };
  }
  try {
    const [first] = await readLines(fh, 0, 1);
    const header = parse(first);
    const problem = headerProblem(header, runId);
    return problem
      ? { kind: 'not-stored', why: `the stored plan is damaged: ${problem}` }
      : { kind: 'header', header: header as PlanLogHeader };
  } finally {
    await fh.close();
  }
}

/** One page of one section, parsing only the rows on it. `page` is clamped to the pages there are. */
export async function readPlanPage<S extends PlanSection>(
  dir: string,
  runId: string,
  section: S,
  page: number,
  size: number,
): Promise<PlanPage<S>> {
  const head = await readPlanHeader(dir, runId);
  if (head.kind !== 'header') return head;
  const { header } = head;
  const total = header.counts[section];
  const pages = Math.max(1, Math.ceil(total / size));
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  const before = PLAN_SECTIONS.slice(0, PLAN_SECTIONS.indexOf(section)).reduce(
    (n, s) => n + header.counts[s],
    0,
  );
  const first = (p - 1) * size;
  const want = Math.max(0, Math.min(size, total - first));
  let texts: string[] = [];
  if (want > 0) {
    let fh: Handle;
    try {
      fh = await open(path.join(dir, `${runId}.ndjson`), 'r');
    } catch {
      return { kind: 'not-stored', why: 'the stored plan went away while reading it' };
    }
    try {
      texts = await readLines(fh, 1 + before + first, want);
    } finally {
      await fh.close();
    }
  }
  const rows = texts.map(parse);
  if (rows.length !== want || !rows.every((r) => rowOk(section, r)))
    return { kind: 'not-stored', why: 'the stored plan is damaged or cut off' };
  return { kind: 'page', header, section, page: p, pages, first, rows: rows as SectionRow[S][] };
}
