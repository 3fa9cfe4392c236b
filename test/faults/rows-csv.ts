/** Bad drop files: truncated, replaced while read, too small, empty, mis-encoded, not text. */
import { readdir, readFile, readlink, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import iconv from 'iconv-lite';
import { garbage } from '../helpers/csv-files.js';
import { BASELINE, csvBaseline, type Row, timed } from './row.js';
import { csvOf, makePeople, type Person, type World, waitFor } from './world.js';

/** The failed/ folder holds the file and its .errors.txt. */
async function movedToFailed(w: World, reason: RegExp): Promise<string[]> {
  const failed = await readdir(path.join(w.drop, 'failed')).catch(() => [] as string[]);
  const errors = failed.find((f) => f.endsWith('.errors.txt'));
  if (!errors) return [`no .errors.txt in failed/ (found: ${failed.join(', ') || 'nothing'})`];
  const text = await readFile(path.join(w.drop, 'failed', errors), 'utf8');
  return reason.test(text) ? [] : [`${errors} does not explain the problem: ${text}`];
}

/** Drops `content` after the baseline; the clean run then re-reads the archived baseline. */
function badFileRow(
  name: string,
  content: () => string | Buffer,
  exit: Row['expect']['exit'],
  text: RegExp[],
  failedReason?: RegExp,
): Row {
  return {
    name,
    setup: async (w) => {
      await csvBaseline(w);
      await w.dropFile(content());
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit, text, mim: 'unchanged', pending: false },
    verify: failedReason ? (w) => movedToFailed(w, failedReason) : undefined,
    heal: async (w) => {
      // A file the guard blocked stays in the folder; a corrected export replaces it.
      if (!failedReason) await w.dropFile(csvOf(w.desired));
    },
  };
}

const baselineText = (): string => csvOf(makePeople(BASELINE));

/** The baseline export cut inside the last row's e-mail: no Sync ID, no final newline. */
function cutInLastRow(): string {
  const full = baselineText();
  const at = full.lastIndexOf('@example.com');
  return full.slice(0, at + '@exam'.length);
}

/** The export cut in the middle of row 21 (of 40). */
function cutInHalf(): string {
  const full = baselineText();
  const at = full.indexOf('First0021');
  return full.slice(0, at + 'First0021,Last00'.length);
}

/** Header, 20 people, then a quoted field that is never closed. */
function cutInQuote(): string {
  const people = makePeople(20);
  return `${csvOf(people)}"First0021","Last, 00`;
}

/** Names Windows-1252 and UTF-16 carry, plus the baseline. */
function withUmlauts(): Person[] {
  return [
    ...makePeople(BASELINE),
    {
      firstName: 'Jürgen',
      lastName: 'Weiß',
      email: 'juergen.weiss@example.com',
      id: 'B0041',
      syncId: 'P0041',
    },
    { firstName: 'Zoë', lastName: 'Ångström', email: 'zoe@example.com', id: 'B0042', syncId: 'P0042' },
  ];
}

/** An exported CSV that reads for a while: the baseline followed by many Excel-style empty rows. */
function slowCsv(people: readonly Person[]): string {
  return csvOf(people) + ',,,,\n'.repeat(2_500_000);
}

/** Resolves once process `pid` holds `file` open (seen in /proc/<pid>/fd). */
async function opened(pid: number, file: string): Promise<true> {
  return waitFor(
    `process ${pid} to open ${file}`,
    async () => {
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
        if (target === file) return true;
      }
      return undefined;
    },
    30_000,
  );
}

export const CSV_ROWS: Row[] = [
  badFileRow(
    'CSV cut off inside a quoted field',
    cutInQuote,
    65,
    [/never closed/, /moved to .*failed/],
    /line 22.*never closed/,
  ),
  // The realistic truncation: a copy that stopped a few bytes before the end. Only the last
  // person's row is damaged and one delete of 40 is under every limit, so the reader must call
  // the file cut off (its last row is short and has no line end) or that person is deleted.
  badFileRow(
    'CSV cut off mid-row in the last row',
    cutInLastRow,
    65,
    [/the file is cut off/, /moved to .*failed/],
    /:41: the file is cut off/,
  ),
  badFileRow(
    'CSV cut off mid-row, half the export missing',
    cutInHalf,
    65,
    [/the file is cut off/, /moved to .*failed/],
    /:22: the file is cut off/,
  ),
  {
    name: 'CSV replaced while being read',
    setup: async (w) => {
      await csvBaseline(w);
      await w.dropFile(slowCsv(w.desired), 'staff-big.csv');
    },
    act: async (w) => {
      const t = Date.now();
      const file = path.join(w.drop, 'staff-big.csv');
      const run = w.spawnCli(['sync']);
      await opened(run.pid, file);
      // An export job overwriting the file in place (rename over it) while the run reads it.
      w.desired = [...w.desired, ...makePeople(1, BASELINE + 1)];
      await writeFile(`${file}.tmp`, csvOf(w.desired));
      await rename(`${file}.tmp`, file);
      return { ...(await run.done), ms: Date.now() - t };
    },
    expect: {
      exit: 69,
      text: [/staff-big\.csv changed while it was read/],
      mim: 'unchanged',
      pending: false,
    },
    verify: async (w) => {
      const left = await readdir(w.drop);
      return left.includes('staff-big.csv') ? [] : ['the replaced file was moved away instead of kept'];
    },
    heal: async () => {},
  },
  badFileRow('CSV with a single row', () => csvOf(makePeople(1)), 3, [
    /BLOCKED — needs approval; nothing was pushed/,
    /39 deletes exceed guard\.maxDeletes = 25/,
  ]),
  badFileRow('CSV empty (0 bytes)', () => '', 3, [/BLOCKED \(hard stop\)/, /source "hr" returned no people/]),
  {
    name: 'CSV in UTF-16LE without BOM',
    setup: async (w) => {
      await csvBaseline(w);
      w.desired = withUmlauts();
      await w.dropFile(Buffer.from(csvOf(w.desired, '\r\n').replaceAll(',', '\t'), 'utf16le'), 'staff.txt');
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 0, text: [/UTF-16LE/, /2 to add, 0 to update, 0 to delete/], mim: 'applied' },
  },
  {
    name: 'CSV in Windows-1252 (German Excel), undeclared',
    setup: async (w) => {
      await csvBaseline(w);
      w.desired = withUmlauts().slice(0, BASELINE + 1);
      await w.dropFile(iconv.encode(csvOf(w.desired, '\r\n').replaceAll(',', ';'), 'windows-1252'));
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 0, text: [/Windows-1252/, /1 to add, 0 to update, 0 to delete/], mim: 'applied' },
  },
  badFileRow(
    'CSV in Windows-1252 behind a UTF-8 BOM (misdeclared)',
    () =>
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), iconv.encode(csvOf(withUmlauts()), 'windows-1252')]),
    65,
    [/not valid UTF-8 although it starts with a UTF-8 byte order mark/],
    /not valid UTF-8/,
  ),
  badFileRow('CSV of binary garbage', () => garbage(8192, 7), 65, [/not text/], /not text/),
];
