/**
 * The csv-folder source against real folders and files: which file is read, waiting for a file
 * still being written, archive / failed moves with their reports, the archive fallback and the
 * changed-while-read check. That failed and blocked runs keep the input is a check of the source
 * contract suite (test/contract/).
 */
import { createHash } from 'node:crypto';
import {
  appendFile,
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fixture,
  folderConfig,
  garbage,
  tempDir,
  testContext,
  writeAged,
} from '../../../test/helpers/csv-files.js';
import { scaled } from '../../../test/helpers/timing.js';
import { AbortedError, ConfigError, SourceInvalidError, SourceUnavailableError } from '../../core/errors.js';
import type { SourceSnapshot } from '../../core/source.js';
import type { CsvFolderConfig } from './config.js';
import { csvFolderSource } from './index.js';

const STAMP = '20261125T093000Z';
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const never = new AbortController().signal;
const GOOD = 'Vorname;Nachname;E-Mail;Ausweis;Personalnummer\r\nHans;Müller;hans@example.de;1;P1\r\n';
const OTHER = 'Vorname;Nachname;E-Mail;Ausweis;Personalnummer\r\nJörg;Weiß;joerg@example.de;2;P2\r\n';

async function setup(overrides: Partial<CsvFolderConfig> = {}) {
  const folder = await tempDir();
  const source = csvFolderSource.create(folderConfig(folder, overrides), testContext());
  return { folder, source, at: (...p: string[]) => path.join(folder, ...p) };
}

async function list(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort();
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

function firstNames(s: SourceSnapshot): (string | undefined)[] {
  return s.records.map((r) => r.firstName);
}

describe('choosing the input', () => {
  it('reads the newest complete file and ignores partial, hidden and backup names', async () => {
    const { source, at } = await setup();
    await writeAged(at('old.csv'), OTHER, 60_000);
    await writeAged(at('staff.csv'), GOOD, 10_000);
    for (const name of [
      'new.csv.tmp',
      '.staff.csv',
      'x.csv.part',
      'y.csv.partial',
      'z.csv~',
      'd.csv.crdownload',
    ]) {
      await writeAged(at(name), OTHER, 0);
    }
    await writeAged(at('notes.md'), 'not a match', 0);
    await mkdir(at('folder.csv'));
    const snap = await source.fetch(never);
    expect(firstNames(snap)).toEqual(['Hans']);
    expect(snap.records[0]?.place).toEqual({ source: 'hr', kind: 'csv-folder', ref: 'staff.csv:2' });
    expect(snap.description).toBe(
      'staff.csv (1 row; UTF-8, semicolon-separated, header row); supersedes 1 older file',
    );
    expect(snap.notices).toEqual([
      {
        place: { source: 'hr', kind: 'csv-folder', ref: 'notes.md' },
        message: expect.stringMatching(/^notes\.md is in the drop folder but does not match pattern/),
      },
      {
        place: { source: 'hr', kind: 'csv-folder', ref: 'staff.csv' },
        message: expect.stringMatching(/old\.csv/),
      },
    ]);
  });

  it('breaks an mtime tie by name', async () => {
    const { source, at } = await setup();
    await writeAged(at('staff-2026-11-24.csv'), OTHER, 5_000);
    await writeFile(at('staff-2026-11-25.csv'), GOOD);
    const { mtime } = await stat(at('staff-2026-11-24.csv'));
    await utimes(at('staff-2026-11-25.csv'), mtime, mtime);
    expect((await source.fetch(never)).description).toMatch(/^staff-2026-11-25\.csv/);
  });

  it('waits for a young file to stand still', async () => {
    const { source, at } = await setup({ stableMs: 400 });
    await writeAged(at('staff.csv'), GOOD, 0);
    const t0 = Date.now();
    const snap = await source.fetch(never);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(firstNames(snap)).toEqual(['Hans']);
  });

  it('gives up on a file that keeps changing, and leaves it in place', async () => {
    const { source, at, folder } = await setup({ stableMs: 300, stableTimeoutMs: 800 });
    await writeAged(at('staff.csv'), GOOD, 0);
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await appendFile(at('staff.csv'), 'Anna;Alpha;anna@example.de;3;P3\r\n');
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const e = await failure(source.fetch(never));
      expect(e).toBeInstanceOf(SourceUnavailableError);
      expect((e as SourceUnavailableError).message).toBe('staff.csv is still being written');
      expect((e as SourceUnavailableError).fix).toMatch(/staff\.csv\.tmp/);
    } finally {
      writing = false;
      await writer;
    }
    expect(await list(folder)).toEqual(['staff.csv']);
  });

  it('stops waiting when the run is cancelled', async () => {
    const { source, at } = await setup({ stableMs: 5_000, stableTimeoutMs: 10_000 });
    await writeAged(at('staff.csv'), GOOD, 0);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    expect(await failure(source.fetch(ac.signal))).toBeInstanceOf(AbortedError);
    expect(Date.now() - t0).toBeLessThan(scaled(2_000));
  });
});

describe('settling', () => {
  it('archives the input and the files it superseded, with a rejects report', async () => {
    const { source, at, folder } = await setup();
    await writeAged(at('old.csv'), OTHER, 60_000);
    await writeAged(at('staff.csv'), GOOD, 10_000);
    await writeAged(at('new.csv.tmp'), OTHER, 0);
    const snap = await source.fetch(never);
    await snap.settle?.('applied', 'staff.csv:2: bad e-mail (fix it)');
    await snap.settle?.('applied', 'again');
    expect(await list(folder)).toEqual(['archive', 'new.csv.tmp']);
    // Sequence names, the input last (highest): the superseded file below it.
    expect(await list(at('archive'))).toEqual([
      '000001-old.csv',
      '000002-staff.csv',
      '000002-staff.csv.rejects.txt',
    ]);
    expect(snap.input).toEqual({ name: '000002-staff.csv', sha256: sha(GOOD), seq: 2 });
    expect(await readFile(at('archive', '000002-staff.csv'), 'utf8')).toBe(GOOD);
    expect(await readFile(at('archive', '000002-staff.csv.rejects.txt'), 'utf8')).toBe(
      'staff.csv:2: bad e-mail (fix it)\n',
    );
  });

  it('writes no rejects report when nothing was rejected, and never overwrites an archived file', async () => {
    const { source, at } = await setup();
    await writeAged(at('staff.csv'), GOOD, 10_000);
    await (await source.fetch(never)).settle?.('unchanged', '');
    await writeAged(at('staff.csv'), OTHER, 5_000);
    await (await source.fetch(never)).settle?.('applied', '  \n');
    expect(await list(at('archive'))).toEqual(['000001-staff.csv', '000002-staff.csv']);
  });

  it('does not archive a file replaced after it was read', async () => {
    const { source, at, folder } = await setup();
    await writeAged(at('staff.csv'), GOOD, 10_000);
    const snap = await source.fetch(never);
    await writeFile(at('staff.csv.tmp'), OTHER);
    await rename(at('staff.csv.tmp'), at('staff.csv'));
    await snap.settle?.('applied', '');
    expect(await list(folder)).toEqual(['staff.csv']);
    expect(await readFile(at('staff.csv'), 'utf8')).toBe(OTHER);
  });
});

describe('no new file', () => {
  it('re-reads the last accepted file from the archive, and settling it does nothing', async () => {
    const { source, at } = await setup();
    await writeAged(at('old.csv'), OTHER, 60_000);
    await writeAged(at('staff.csv'), GOOD, 10_000);
    await (await source.fetch(never)).settle?.('applied', 'staff.csv:2: x (y)');
    const again = await source.fetch(never);
    expect(firstNames(again)).toEqual(['Hans']);
    expect(again.records[0]?.place.ref).toBe('000002-staff.csv:2');
    expect(again.description).toMatch(
      /^no new file in .*; re-read the last accepted file archive\/000002-staff\.csv/,
    );
    expect(again.input).toEqual({ name: '000002-staff.csv', sha256: sha(GOOD), seq: 2 });
    // No baseline known: the highest sequence, and a notice that says so.
    expect(again.notices.map((n) => n.message)).toEqual([
      expect.stringMatching(/baseline's input file is not known.*000002-staff\.csv/),
    ]);
    expect(again.settle).toBeUndefined();
  });

  it('fails, never returns [], when there is no file at all', async () => {
    const { source } = await setup();
    const e = await failure(source.fetch(never));
    expect(e).toBeInstanceOf(SourceUnavailableError);
    expect((e as SourceUnavailableError).message).toBe('No file in the drop folder, and none archived yet');
  });

  it('fails when the drop folder does not exist', async () => {
    const folder = path.join(await tempDir(), 'missing');
    const source = csvFolderSource.create(folderConfig(folder), testContext());
    const e = await failure(source.fetch(never));
    expect(e).toBeInstanceOf(SourceUnavailableError);
    expect(e).toMatchObject({ message: 'The drop folder does not exist', place: folder });
  });
});

describe('unusable files', () => {
  it('moves a truncated file to failed/ with an errors report, then stops', async () => {
    const { source, at, folder } = await setup();
    await copyFile(fixture('truncated.csv'), at('staff.csv'));
    const e = await failure(source.fetch(never));
    expect(e).toBeInstanceOf(SourceInvalidError);
    const err = e as SourceInvalidError;
    expect(err.place).toBe(`${at('staff.csv')}:3`);
    expect(err.message).toMatch(
      /^staff\.csv cannot be used: a quoted field starting on line 3 is never closed/,
    );
    const failed = at('failed', `${STAMP}-staff.csv`);
    expect(err.fix).toContain(`It was moved to ${failed}; ${failed}.errors.txt lists every problem`);
    expect(await list(folder)).toEqual(['failed']);
    expect(await readFile(`${failed}.errors.txt`, 'utf8')).toMatch(
      /^staff\.csv:3: a quoted field starting on line 3 is never closed.*\(Export the file again.*\)\n$/,
    );
    // Not retried: the next run has nothing to read.
    expect(await failure(source.fetch(never))).toBeInstanceOf(SourceUnavailableError);
  });

  it('moves binary garbage and a file without usable columns, listing every problem', async () => {
    const { source, at } = await setup();
    await writeAged(at('garbage.csv'), garbage(5_000), 10_000);
    expect(await failure(source.fetch(never))).toBeInstanceOf(SourceInvalidError);
    await writeAged(at('cols.csv'), 'Foo,Bar\r\nx,y@example.com\r\n', 10_000);
    const e = await failure(source.fetch(never));
    expect((e as SourceInvalidError).message).toMatch(/no First name column.*\(and 3 more problem\(s\)\)/);
    const report = await readFile(at('failed', `${STAMP}-cols.csv.errors.txt`), 'utf8');
    expect(report.trim().split('\n')).toEqual([
      expect.stringMatching(/^cols\.csv:1: no First name column/),
      expect.stringMatching(/^cols\.csv:1: no Last name column/),
      expect.stringMatching(/^cols\.csv:1: no E-mail address column/),
      expect.stringMatching(/^cols\.csv:1: no ID column/),
    ]);
    expect(await list(at('failed'))).toEqual([
      `${STAMP}-cols.csv`,
      `${STAMP}-cols.csv.errors.txt`,
      `${STAMP}-garbage.csv`,
      `${STAMP}-garbage.csv.errors.txt`,
    ]);
  });

  it('gives zero records, not an error, for an empty or header-only file', async () => {
    const { source, at, folder } = await setup();
    await copyFile(fixture('header-only.csv'), at('staff.csv'));
    const snap = await source.fetch(never);
    expect(snap.records).toEqual([]);
    expect(snap.description).toMatch(/^staff\.csv \(a header row and no people; nothing is uploaded from it/);
    await writeAged(at('staff.csv'), '', 0);
    const empty = await source.fetch(never);
    expect(empty.records).toEqual([]);
    expect(empty.description).toMatch(/^staff\.csv \(empty: no rows; nothing is uploaded from it/);
    expect(await list(folder)).toEqual(['staff.csv']);
  });

  it('reports a file that changed while it was read, and leaves it for the next run', async () => {
    const { source, at, folder } = await setup();
    const rows = Array.from({ length: 60_000 }, (_, i) => `Anna${i};Alpha;anna${i}@example.de;${i};P${i}`);
    await writeAged(
      at('staff.csv'),
      `Vorname;Nachname;E-Mail;Ausweis;Personalnummer\r\n${rows.join('\r\n')}\r\n`,
      10_000,
    );
    let writing = true;
    const writer = (async () => {
      while (writing) await appendFile(at('staff.csv'), 'Late;Comer;late@example.de;9;P9\r\n');
    })();
    let e: unknown;
    try {
      e = await failure(source.fetch(never));
    } finally {
      writing = false;
      await writer;
    }
    expect(e).toBeInstanceOf(SourceUnavailableError);
    expect((e as SourceUnavailableError).message).toBe('staff.csv changed while it was read');
    expect(await list(folder)).toEqual(['staff.csv']);
  });
});

describe('check', () => {
  it('reports the folders and how the next file would be read, without moving anything', async () => {
    const { source, at, folder } = await setup();
    await copyFile(fixture('german-excel.csv'), at('staff.csv'));
    const result = await source.check(never);
    expect(result.ok).toBe(true);
    expect(result.lines).toEqual([
      `drop folder ${folder}: readable and writable`,
      `archive folder ${at('archive')}: OK (created on first use)`,
      `failed folder ${at('failed')}: OK (created on first use)`,
      expect.stringMatching(/^next file: staff\.csv \(270 bytes, modified /),
      'encoding: Windows-1252 (not valid UTF-8)',
      'delimiter: semicolon',
      'header row: yes',
      'column: First name ← column 1 "Vorname"',
      'column: Last name ← column 2 "Nachname"',
      'column: E-mail address ← column 3 "E-Mail"',
      'column: ID ← column 4 "Ausweisnummer"',
      'column: Sync ID ← column 5 "Personalnummer"',
      'rows: 4',
    ]);
    expect(await list(folder)).toEqual(['staff.csv']);
  });

  it('reports an unusable file without moving it', async () => {
    const { source, at, folder } = await setup();
    await copyFile(fixture('truncated.csv'), at('staff.csv'));
    const result = await source.check(never);
    expect(result.ok).toBe(false);
    expect(result.lines.at(-1)).toMatch(
      /^ {2}staff\.csv:3: a quoted field starting on line 3 is never closed/,
    );
    expect(await list(folder)).toEqual(['staff.csv']);
  });

  it('never throws, even for a missing folder or an empty one', async () => {
    const missing = csvFolderSource.create(folderConfig(path.join(await tempDir(), 'nope')), testContext());
    const r1 = await missing.check(never);
    expect(r1.ok).toBe(false);
    expect(r1.lines[0]).toMatch(/does not exist/);
    const { source } = await setup();
    const r2 = await source.check(never);
    expect(r2.ok).toBe(false);
    expect(r2.lines.at(-1)).toMatch(/no file matching/);
  });
});

describe('which file is truth (no clock)', () => {
  it('re-reads the archived file whose hash is the accepted input, whatever its name or sequence', async () => {
    const { folder, at } = await setup();
    const first = csvFolderSource.create(folderConfig(folder), testContext());
    await writeAged(at('staff.csv'), GOOD, 10_000);
    const a = await first.fetch(never);
    await a.settle?.('applied', '');
    await writeAged(at('staff.csv'), OTHER, 5_000);
    await (await first.fetch(never)).settle?.('applied', '');
    // The baseline came from the first file (a later run was not recorded): read exactly that one.
    await rename(at('archive', '000001-staff.csv'), at('archive', 'renamed.csv'));
    const ctx = { ...testContext(), acceptedInput: a.input };
    const snap = await csvFolderSource.create(folderConfig(folder), ctx).fetch(never);
    expect(firstNames(snap)).toEqual(['Hans']);
    expect(snap.input).toEqual({ name: 'renamed.csv', sha256: sha(GOOD) });
    expect(snap.notices).toEqual([]);
  });

  it('stops when the accepted file is gone, instead of reading another archived file', async () => {
    const { folder, at } = await setup();
    await writeAged(at('staff.csv'), OTHER, 10_000);
    await (await csvFolderSource.create(folderConfig(folder), testContext()).fetch(never)).settle?.(
      'applied',
      '',
    );
    const ctx = { ...testContext(), acceptedInput: { name: '000009-staff.csv', sha256: sha(GOOD), seq: 9 } };
    const e = await failure(csvFolderSource.create(folderConfig(folder), ctx).fetch(never));
    expect(e).toBeInstanceOf(SourceUnavailableError);
    expect((e as SourceUnavailableError).message).toMatch(/000009-staff\.csv.*no longer in the archive/);
  });

  it('does not pick between several pending files when one is dated in the future', async () => {
    const { source, at, folder } = await setup();
    await writeAged(at('new.csv'), GOOD, 10_000);
    await writeFile(at('old.csv'), OTHER);
    const future = new Date(Date.now() + 86_400_000);
    await utimes(at('old.csv'), future, future);
    const e = await failure(source.fetch(never));
    expect(e).toBeInstanceOf(SourceInvalidError);
    expect((e as SourceInvalidError).message).toMatch(/old\.csv is dated more than 5 minutes in the future/);
    expect(await list(folder)).toEqual(['new.csv', 'old.csv']);
    // One file alone is read whatever its date: there is nothing to order.
    await rename(at('new.csv'), at('new.csv.tmp'));
    expect(firstNames(await source.fetch(never))).toEqual(['Jörg']);
  });
});

describe('dry run', () => {
  it('moves nothing: an unusable file stays, settle archives nothing', async () => {
    const folder = await tempDir();
    const at = (...p: string[]) => path.join(folder, ...p);
    const ctx = { ...testContext(), dryRun: true };
    const source = csvFolderSource.create(folderConfig(folder), ctx);
    await writeAged(at('cut.csv'), GOOD.slice(0, -3), 10_000);
    const e = await failure(source.fetch(never));
    expect(e).toBeInstanceOf(SourceInvalidError);
    expect((e as SourceInvalidError).fix).toMatch(/Dry run: the file was left where it is/);
    expect(await list(folder)).toEqual(['cut.csv']);
    await writeAged(at('staff.csv'), GOOD, 5_000);
    await (await source.fetch(never)).settle?.('applied', 'x');
    expect(await list(folder)).toEqual(['cut.csv', 'staff.csv']);
  });
});

describe('files the pattern does not read, and size', () => {
  it('reports an .xlsx beside the CSV, and names it when nothing else is there', async () => {
    const { source, at } = await setup();
    await writeAged(at('staff.xlsx'), garbage(100), 10_000);
    await writeAged(at('~$staff.xlsx'), garbage(10), 10_000);
    const e = await failure(source.fetch(never));
    expect((e as SourceUnavailableError).message).toMatch(
      /1 file\(s\) there do not match pattern .*staff\.xlsx/,
    );
    await writeAged(at('staff.csv'), GOOD, 5_000);
    expect((await source.fetch(never)).notices.map((n) => n.message)).toEqual([
      expect.stringMatching(/^staff\.xlsx is in the drop folder but does not match pattern/),
    ]);
  });

  it('moves a file over maxFileBytes to failed/ unread', async () => {
    const { source, at } = await setup({ maxFileBytes: 20 });
    await writeAged(at('staff.csv'), GOOD, 10_000);
    const e = await failure(source.fetch(never));
    expect(e).toBeInstanceOf(SourceInvalidError);
    expect((e as SourceInvalidError).message).toMatch(/more than maxFileBytes \(20\)/);
    expect(await list(at('failed'))).toEqual([`${STAMP}-staff.csv`, `${STAMP}-staff.csv.errors.txt`]);
  });

  it('hands the pipeline valid records and a capped list of rejections', async () => {
    const { source, at } = await setup({ maxListedRejections: 2 });
    const bad = Array.from({ length: 50 }, (_, i) => `X;;bad${i};1;B${i}`).join('\r\n');
    await writeAged(at('staff.csv'), `${GOOD}${bad}\r\n`, 10_000);
    const snap = await source.fetch(never);
    expect(snap.records).toHaveLength(1);
    expect(snap.collected).toMatchObject({ total: 51, rejections: 100 });
    expect(snap.collected?.listed).toHaveLength(2);
    expect([...(snap.collected?.rejectedKeys() ?? [])]).toHaveLength(50);
  });
});

describe('row scope', () => {
  const FILE = [
    'Vorname;Nachname;E-Mail;Ausweis;Mobile ID;Status',
    'Hans;Müller;hans@example.de;1;ja;aktiv',
    'Eva;Schulz;eva@example.de;2;nein;aktiv',
    // Out of scope, so its broken e-mail is no rejection.
    'Otto;Kaputt;not-an-address;3;;aktiv',
    'Jörg;Weiß;joerg@example.de;4;Ja;ausgeschieden',
    'Anna;Berg;anna@example.de;5;JA ;',
    '',
  ].join('\r\n');
  const scope = {
    include: [{ column: 'Mobile ID', equals: 'ja' }],
    exclude: [{ column: 'Status', matches: '/^(inaktiv|ausgeschieden)$/i' }],
  };

  it('reads only rows in scope, reports the rest in one notice, rejects none of them', async () => {
    const { source, at } = await setup({ scope });
    await writeAged(at('staff.csv'), FILE, 10_000);
    const snap = await source.fetch(never);
    expect(firstNames(snap)).toEqual(['Hans', 'Anna']);
    // "Mobile ID" is a flag here, never taken as the credential ID column.
    expect(snap.records.map((r) => r.id)).toEqual(['1', '5']);
    expect(snap.collected?.rejections).toBe(0);
    expect(snap.notices.map((n) => n.message)).toContain(
      '3 rows left out by scope (Mobile ID is not "ja": 2; Status matches /^(inaktiv|ausgeschieden)$/i: 1)',
    );
  });

  it('stops on a scope column the file lacks, naming it and the header, and leaves the file in place', async () => {
    const { source, at, folder } = await setup({
      scope: { include: [{ column: 'Mobil-ID', equals: 'ja' }], exclude: [] },
    });
    await writeAged(at('staff.csv'), FILE, 10_000);
    const e = await failure(source.fetch(never));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toMatchObject({
      place: 'jobs[main].sources[hr].scope.include[0].column',
      message: expect.stringContaining(
        '"Mobil-ID", but the header of staff.csv has none: "Vorname", "Nachname"',
      ),
    });
    expect(await list(folder)).toEqual(['staff.csv']);
  });

  it('refuses a pattern that is not a regular expression when the source is created', async () => {
    await expect(
      setup({ scope: { include: [], exclude: [{ column: 'Status', matches: '(' }] } }),
    ).rejects.toThrow(/scope.exclude\[0\].matches|not a valid regular expression/);
  });
});
