/**
 * Property tests of the csv-folder source as a run uses it (create → fetch on a real drop folder),
 * fed arbitrary bytes, mutated real exports (test/fixtures/csv with bytes flipped, inserted and
 * deleted; quotes, delimiters, BOMs, NULs, line breaks injected; cut off) and generated exports.
 * Whatever the file, fetch must give a snapshot or a typed SyncError — never another exception —
 * and a snapshot must go through the pipeline keeping every promise in oracles.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSyncError } from '../../src/core/errors.js';
import type { SourceSnapshot } from '../../src/core/source.js';
import type { Rejection } from '../../src/core/types.js';
import { csvFolderSource } from '../../src/sources/csv/index.js';
import { FIXTURES, folderConfig, testContext } from '../helpers/csv-files.js';
import { scaled } from '../helpers/timing.js';
import { pipelineProblems } from './oracles.js';

const FILE = 'export.csv';
let root: string;
let seq = 0;
const counts = { cases: 0, snapshots: 0, typedErrors: 0, records: 0, rejections: 0, pushed: 0 };

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fuzz-csv-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  console.log(
    `CSV reader fuzz: ${counts.cases} cases — ${counts.snapshots} snapshots (${counts.records} records: ${counts.pushed} pushed, ${counts.rejections} rejections), ${counts.typedErrors} typed SyncErrors, 0 other exceptions allowed`,
  );
});

/** Physical lines can never exceed the number of CR/LF bytes plus one, in any supported encoding. */
function maxLines(bytes: Uint8Array): number {
  let n = 1;
  for (const b of bytes) if (b === 0x0a || b === 0x0d) n++;
  return n;
}

function refLineProblem(ref: string, file: string, bytes: Uint8Array): string | undefined {
  const m = /^(.*):(\d+)$/.exec(ref);
  if (!m || m[1] !== file) return `place "${ref}" is not ${file}:<line>`;
  const line = Number(m[2]);
  if (line < 1 || line > maxLines(bytes)) return `place "${ref}" names a line outside the file`;
  return undefined;
}

type Outcome = { kind: 'snapshot'; snapshot: SourceSnapshot } | { kind: 'error'; error: unknown };

/** Drops `bytes` into a fresh folder and runs the source's fetch on it. */
async function fetchFile(bytes: Uint8Array): Promise<Outcome> {
  const folder = path.join(root, `case-${++seq}`);
  await mkdir(folder);
  await writeFile(path.join(folder, FILE), bytes);
  const source = csvFolderSource.create(folderConfig(folder), testContext());
  try {
    return { kind: 'snapshot', snapshot: await source.fetch(AbortSignal.timeout(scaled(10_000))) };
  } catch (error) {
    return { kind: 'error', error };
  } finally {
    await source.close();
    await rm(folder, { recursive: true, force: true });
  }
}

/** The property: a snapshot that keeps every pipeline promise, or a typed error with a sane place. */
async function check(bytes: Uint8Array): Promise<void> {
  counts.cases++;
  const out = await fetchFile(bytes);
  if (out.kind === 'error') {
    const e = out.error;
    if (!isSyncError(e))
      throw new Error(`fetch threw a non-SyncError: ${e instanceof Error ? e.stack : String(e)}`);
    counts.typedErrors++;
    expect(e.fix, e.message).toBeTruthy();
    const place = e.place ?? '';
    const m = /:(\d+)$/.exec(place);
    if (m) expect(Number(m[1]), place).toBeLessThanOrEqual(maxLines(bytes));
    return;
  }
  const snapshot = out.snapshot;
  counts.snapshots++;
  counts.records += snapshot.records.length;
  for (const r of snapshot.records) {
    const p = refLineProblem(r.place.ref, FILE, bytes);
    if (p) throw new Error(p);
  }
  const { problems, build } = pipelineProblems({
    snapshots: [snapshot],
    previous: null,
    placeProblem: (r: Rejection) => refLineProblem(r.place.ref, FILE, bytes),
  });
  counts.rejections += build.rejections.length;
  counts.pushed += build.desired.length;
  expect(problems).toEqual([]);
}

// ── generators ────────────────────────────────────────────────────────────────────────────────

const fixtures: Buffer[] = readdirSync(FIXTURES)
  .filter((f) => /\.(csv|txt)$/.test(f))
  .map((f) => readFileSync(path.join(FIXTURES, f)));

const TOKENS: readonly Buffer[] = [
  '"',
  '""',
  ',',
  ';',
  '\t',
  '\r\n',
  '\n',
  '\r',
  '\0',
  ' ',
  '@',
  'ä',
  '\u2028',
  'First name,Last name,E-mail,ID,Sync ID\n',
  'Vorname;Nachname;E-Mail;Ausweisnummer;Personalnummer\r\n',
  'Ada,Lovelace,ada@example.com,1001,E1\n',
].map((t) => Buffer.from(t, 'utf8'));
const BOMS = [Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xff, 0xfe]), Buffer.from([0xfe, 0xff])];

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'insert'; at: number; token: number }
  | { op: 'insertByte'; at: number; byte: number }
  | { op: 'delete'; at: number; len: number }
  | { op: 'truncate'; at: number }
  | { op: 'bom'; which: number }
  | { op: 'dupLine'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), token: fc.nat(TOKENS.length - 1) }),
  fc.record({ op: fc.constant('insertByte' as const), at: fc.nat(), byte: fc.nat(255) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('bom' as const), which: fc.nat(BOMS.length - 1) }),
  fc.record({ op: fc.constant('dupLine' as const), at: fc.nat() }),
);

function mutate(input: Buffer, m: Mutation): Buffer {
  const at = input.length === 0 ? 0 : m.op === 'bom' ? 0 : (m as { at: number }).at % (input.length + 1);
  switch (m.op) {
    case 'flip': {
      if (input.length === 0) return input;
      const out = Buffer.from(input);
      const i = Math.min(at, out.length - 1);
      out[i] = (out[i] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'insert':
      return Buffer.concat([input.subarray(0, at), TOKENS[m.token]!, input.subarray(at)]);
    case 'insertByte':
      return Buffer.concat([input.subarray(0, at), Buffer.from([m.byte]), input.subarray(at)]);
    case 'delete':
      return Buffer.concat([input.subarray(0, at), input.subarray(at + m.len)]);
    case 'truncate':
      return input.subarray(0, at);
    case 'bom':
      return Buffer.concat([BOMS[m.which]!, input]);
    case 'dupLine': {
      const start = input.lastIndexOf(0x0a, at) + 1;
      const end = input.indexOf(0x0a, at);
      const line = input.subarray(start, end === -1 ? input.length : end + 1);
      return Buffer.concat([input.subarray(0, start), line, input.subarray(start)]);
    }
  }
}

const mutatedFixture = fc
  .tuple(fc.nat(fixtures.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([i, ms]) => ms.reduce((b, m) => mutate(b, m), fixtures[i]!));

/** A value as exports hold them: plain, odd, or hostile. */
const cell = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z][a-z]{0,10}$/) },
  { weight: 2, arbitrary: fc.emailAddress() },
  { weight: 2, arbitrary: fc.stringMatching(/^[0-9]{1,8}$/) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', '"', 'a"b', 'x,y', 'Müller', 'Weiß', 'ÄÖ', 'E\u0301', '  a  b '),
  },
);

function quote(v: string, delimiter: string): string {
  return /["\r\n]/.test(v) || v.includes(delimiter) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** A whole export: maybe a header, 0–25 rows of 3–6 cells, a delimiter, line ends, an encoding. */
const generatedExport = fc
  .record({
    header: fc.constantFrom(
      undefined,
      ['First name', 'Last name', 'E-mail', 'ID', 'Sync ID'],
      ['Vorname', 'Nachname', 'E-Mail', 'Ausweisnummer', 'Personalnummer'],
      ['E-mail', 'ID', 'First name', 'Last name'],
    ),
    rows: fc.array(fc.array(cell, { minLength: 3, maxLength: 6 }), { maxLength: 25 }),
    delimiter: fc.constantFrom(',', ';', '\t'),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    encoding: fc.constantFrom('utf8', 'utf8bom', 'utf16le', 'win1252'),
    finalEol: fc.boolean(),
  })
  .map(({ header, rows, delimiter, eol, encoding, finalEol }) => {
    const lines = [...(header ? [header] : []), ...rows].map((r) =>
      r.map((v) => quote(v, delimiter)).join(delimiter),
    );
    const text = lines.join(eol) + (finalEol ? eol : '');
    switch (encoding) {
      case 'utf8':
        return Buffer.from(text, 'utf8');
      case 'utf8bom':
        return Buffer.concat([BOMS[0]!, Buffer.from(text, 'utf8')]);
      case 'utf16le':
        return Buffer.concat([BOMS[1]!, Buffer.from(text, 'utf16le')]);
      default:
        return iconv.encode(text, 'windows-1252');
    }
  });

// ── properties ────────────────────────────────────────────────────────────────────────────────

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

describe('the csv-folder source under hostile input', () => {
  it('arbitrary bytes: a snapshot that keeps every promise, or a typed error', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), check), {
      numRuns: 600,
      seed: SEED,
    });
  });

  it('mutated real exports: a snapshot that keeps every promise, or a typed error', async () => {
    await fc.assert(fc.asyncProperty(mutatedFixture, check), { numRuns: 1500, seed: SEED + 1 });
  });

  it('generated exports in every supported dialect: a snapshot that keeps every promise, or a typed error', async () => {
    await fc.assert(fc.asyncProperty(generatedExport, check), { numRuns: 1200, seed: SEED + 2 });
  });
});

// ── cut-off exports (issue #10 item 17) ──────────────────────────────────────────────────────

/** A valid export of 1–30 people: header or not, any dialect and encoding, always a final line end. */
const validExport = fc
  .record({
    header: fc.boolean(),
    names: fc.array(
      fc.record({
        first: fc.stringMatching(/^[A-ZÄÖÜ][a-zäöüß]{0,8}$/),
        last: fc.oneof(
          fc.stringMatching(/^[A-ZÄÖÜ][a-zäöüß]{0,8}$/),
          fc.constantFrom('Müller, Jr.', 'Weiß;Ost'),
        ),
      }),
      { minLength: 1, maxLength: 30 },
    ),
    delimiter: fc.constantFrom(',', ';', '\t'),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    encoding: fc.constantFrom('utf8', 'utf8bom', 'utf16le', 'win1252'),
  })
  .map(({ header, names, delimiter, eol, encoding }) => {
    const people = names.map((n, i) => [n.first, n.last, `user${i}@example.com`, String(1000 + i), `P${i}`]);
    const rows = [...(header ? [['First name', 'Last name', 'E-mail', 'ID', 'Sync ID']] : []), ...people];
    const text = rows.map((r) => r.map((v) => quote(v, delimiter)).join(delimiter)).join(eol) + eol;
    const bytes =
      encoding === 'utf8'
        ? Buffer.from(text, 'utf8')
        : encoding === 'utf8bom'
          ? Buffer.concat([BOMS[0]!, Buffer.from(text, 'utf8')])
          : encoding === 'utf16le'
            ? Buffer.concat([BOMS[1]!, Buffer.from(text, 'utf16le')])
            : iconv.encode(text, 'windows-1252');
    return { bytes, people, header, encoding };
  });

/** Complete lines in a prefix of the export (a cut right after a CR counts the line as ended). */
function endedLines(prefix: Buffer, encoding: string): number | undefined {
  let text: string;
  if (encoding === 'utf16le') {
    if (prefix.length % 2 === 1) return undefined;
    text = prefix.subarray(2).toString('utf16le');
  } else if (encoding === 'win1252') text = iconv.decode(prefix, 'windows-1252');
  else text = prefix.toString('utf8');
  // Nothing but (part of) a BOM: an empty file, zero rows (the guard stops an empty source).
  if (/^[\ufeff\ufffdï»¿]*$/.test(text)) return 0;
  if (!/[\r\n]$/.test(text)) return undefined;
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

describe('an export cut at any byte', () => {
  it('is refused, or (cut exactly at a line end) read as exactly the rows before the cut: never a silently shorter or altered row', async () => {
    await fc.assert(
      fc.asyncProperty(
        validExport.chain((e) =>
          fc.record({ e: fc.constant(e), at: fc.integer({ min: 1, max: e.bytes.length - 1 }) }),
        ),
        async ({ e, at }) => {
          counts.cases++;
          const cut = e.bytes.subarray(0, at);
          const out = await fetchFile(cut);
          const lines = endedLines(cut, e.encoding);
          if (out.kind === 'error') {
            if (!isSyncError(out.error)) throw out.error;
            counts.typedErrors++;
            return;
          }
          counts.snapshots++;
          // Only a cut at a line end can read; it then holds exactly the complete rows before it.
          expect(lines, 'a file cut inside a row was read').not.toBeUndefined();
          const expected = e.people.slice(0, Math.max(0, (lines ?? 0) - (e.header ? 1 : 0)));
          const got = out.snapshot.records.map((r) => [r.firstName, r.lastName, r.email, r.id, r.syncId]);
          expect(out.snapshot.collected?.total ?? out.snapshot.records.length).toBe(expected.length);
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 400, seed: SEED + 3 },
    );
  });
});
