import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUTO_SETTINGS,
  encodeText,
  fixture,
  garbage,
  type TestEncoding,
  tempDir,
} from '../../../test/helpers/csv-files.js';
import type { SourceRecord } from '../../core/types.js';
import type { CsvReadSettings } from './config.js';
import { CsvFileError } from './file-error.js';
import { type CsvReadResult, readCsvFile } from './read.js';
import { deriveSyncId, type RecordSink } from './rows.js';

const never = new AbortController().signal;

/** Keeps every record as read (the source hands them to the pipeline's collector instead). */
class ArraySink implements RecordSink {
  readonly records: SourceRecord[] = [];
  add(record: SourceRecord): void {
    this.records.push(record);
  }
}

type Read = CsvReadResult<ArraySink> & { readonly records: SourceRecord[] };

async function read(file: string, settings: Partial<CsvReadSettings> = {}, signal = never): Promise<Read> {
  const r = await readCsvFile(file, {
    sourceName: 'hr',
    fileName: path.basename(file),
    settings: { ...AUTO_SETTINGS, ...settings },
    signal,
    sink: () => new ArraySink(),
  });
  return { ...r, records: r.sink.records };
}

async function readError(file: string, settings: Partial<CsvReadSettings> = {}): Promise<CsvFileError> {
  const e = await read(file, settings).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof CsvFileError)) throw new Error(`expected a CsvFileError, got ${String(e)}`);
  return e;
}

/** [ref, firstName, lastName, email, id, syncId] per record. */
function rows(r: Read): (string | undefined)[][] {
  return r.records.map((x) => [x.place.ref, x.firstName, x.lastName, x.email, x.id, x.syncId]);
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});

async function file(name: string, bytes: Buffer | string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, bytes);
  return p;
}

describe('fixtures', () => {
  it('reads a German Excel export (Windows-1252, semicolons, trailing ;;;; rows)', async () => {
    const r = await read(fixture('german-excel.csv'));
    expect(r.encoding).toMatchObject({ encoding: 'windows-1252', how: 'not valid UTF-8' });
    expect(r.delimiter).toBe(';');
    expect(r.header).toBe(true);
    expect(rows(r)).toEqual([
      ['german-excel.csv:2', 'Hans', 'Müller', 'hans.mueller@example.de', '100234', 'P-0001'],
      ['german-excel.csv:3', 'Jörg', 'Weiß', 'joerg.weiss@example.de', '100235', 'P-0002'],
      ['german-excel.csv:4', 'Änne', 'Groß-Übel', 'aenne.gross@example.de', '100236', 'P-0003'],
      ['german-excel.csv:5', 'Renée', 'Façade', 'renee.facade@example.de', '100237', 'P-0004'],
    ]);
    expect(r.records[0]?.place).toEqual({ source: 'hr', kind: 'csv-folder', ref: 'german-excel.csv:2' });
    expect(r.notices).toEqual([]);
  });

  it('reads UTF-8 with a BOM', async () => {
    const r = await read(fixture('utf8-bom.csv'));
    expect(r.encoding).toMatchObject({ encoding: 'utf-8', how: 'bom' });
    expect(rows(r)).toEqual([
      ['utf8-bom.csv:2', 'Zoë', 'Łukasiewicz', 'zoe.l@example.com', '2001', 'S-1'],
      ['utf8-bom.csv:3', 'Ōtani', 'Šimůnek', 'otani.s@example.com', '2002', 'S-2'],
    ]);
  });

  it('reads Excel "Unicode Text" (UTF-16LE with BOM, tabs)', async () => {
    const r = await read(fixture('utf16le-tab.txt'));
    expect(r.encoding).toMatchObject({ encoding: 'utf-16le', how: 'bom' });
    expect(r.delimiter).toBe('\t');
    expect(rows(r)).toEqual([
      ['utf16le-tab.txt:2', 'Grete', 'Müller', 'grete@example.de', '3001', 'M-01'],
      ['utf16le-tab.txt:3', 'Ingo', 'Weiß', 'ingo@example.de', '3002', 'M-02'],
    ]);
  });

  it('keeps quoted commas, quotes and line breaks, with the line each record starts on', async () => {
    const r = await read(fixture('quoted.csv'));
    expect(rows(r)).toEqual([
      ['quoted.csv:2', 'Smith, Jr.', 'John', 'john.smith@example.com', '1001', 'E1'],
      ['quoted.csv:3', 'Anna', 'O"Brien', 'anna.obrien@example.com', '1002', 'E2'],
      ['quoted.csv:5', 'Carl', 'Multi\r\nLine', 'carl@example.com', '1003', 'E3'],
      ['quoted.csv:7', 'Dora', 'Doe', 'dora@example.com', '10,04', 'E4'],
    ]);
  });

  it("reads a headerless file in MIM's order", async () => {
    // This writer does not end its last row with a line break.
    const r = await read(fixture('headerless-mim.csv'), { allowMissingFinalNewline: true });
    expect(r.header).toBe(false);
    expect(rows(r)).toEqual([
      ['headerless-mim.csv:1', 'Anna', 'Alpha', 'anna@example.com', '4001', 'A1'],
      ['headerless-mim.csv:2', 'Bert', 'Beta', 'bert@example.com', '4002', 'B2'],
      ['headerless-mim.csv:3', 'Cleo', 'Gamma', 'cleo@example.com', '4003', 'C3'],
    ]);
  });

  it('derives the Sync ID from the e-mail when there is no Sync ID column, once noticed', async () => {
    const r = await read(fixture('headerless-no-syncid.csv'));
    expect(rows(r)).toEqual([
      ['headerless-no-syncid.csv:1', 'Anna', 'Alpha', ' Anna@Example.com ', '4001', 'anna@example.com'],
      ['headerless-no-syncid.csv:2', 'Bert', 'Beta', 'bert@example.com', '4002', 'bert@example.com'],
    ]);
    expect(r.notices).toEqual([
      {
        place: { source: 'hr', kind: 'csv-folder', ref: 'headerless-no-syncid.csv' },
        message: expect.stringMatching(/^no Sync ID column: Sync ID derived from the e-mail/),
      },
    ]);
  });

  it('derives the Sync ID even with a Sync ID column when told to', async () => {
    const r = await read(fixture('headerless-mim.csv'), { syncId: 'derive', allowMissingFinalNewline: true });
    expect(r.records.map((x) => x.syncId)).toEqual([
      'anna@example.com',
      'bert@example.com',
      'cleo@example.com',
    ]);
    expect(r.notices[0]?.message).toMatch(/syncId: 'derive'/);
  });

  it('fails a truncated file at the line its open quote starts', async () => {
    const e = await readError(fixture('truncated.csv'));
    expect(e.changed).toBe(false);
    expect(e.problems).toEqual([
      {
        line: 3,
        reason: expect.stringMatching(/quoted field starting on line 3 is never closed/),
        fix: expect.stringMatching(/Export the file again/),
      },
    ]);
  });

  it('returns zero records for a header-only or empty file', async () => {
    const h = await read(fixture('header-only.csv'));
    expect(h.records).toEqual([]);
    expect(h.header).toBe(true);
    for (const content of ['', '\ufeff', '\r\n\r\n', ';;;;\r\n']) {
      const r = await read(await file('empty.csv', content));
      expect(r.records).toEqual([]);
    }
  });
});

describe('file-level problems', () => {
  it('rejects binary garbage and office files as not text', async () => {
    const e = await readError(await file('garbage.csv', garbage(10_000)));
    expect(e.problems[0]?.reason).toMatch(/not text/);
    const xlsx = await readError(
      await file('staff.csv', Buffer.concat([Buffer.from('PK\x03\x04'), garbage(500)])),
    );
    expect(xlsx.problems[0]?.reason).toMatch(/Excel workbook/);
    expect(xlsx.problems[0]?.fix).toMatch(/Save As/);
  });

  it('rejects a NUL byte after the sniffed start, with its line', async () => {
    const head = 'Vorname;Nachname;E-Mail;Ausweis\n'.concat('Hans;Müller;h@example.de;1\n'.repeat(5000));
    const e = await readError(
      await file('nul.csv', Buffer.concat([Buffer.from(head), Buffer.from('x\0y\n')])),
    );
    expect(e.problems[0]).toMatchObject({ line: 5002, reason: expect.stringMatching(/NUL/) });
  });

  it('fails with every missing column listed, at the header line', async () => {
    const e = await readError(await file('cols.csv', 'Foo;Bar;Baz\r\nx;y;z@example.com\r\n'));
    expect(e.problems.map((p) => p.line)).toEqual([1, 1, 1, 1]);
    expect(e.problems.map((p) => p.reason)).toEqual([
      expect.stringMatching(/no First name column/),
      expect.stringMatching(/no Last name column/),
      expect.stringMatching(/no E-mail address column/),
      expect.stringMatching(/no ID column/),
    ]);
  });

  it('rejects invalid UTF-8 when UTF-8 is configured or promised by a BOM', async () => {
    const bytes = iconv.encode(
      'Vorname;Nachname;E-Mail;ID\r\nHans;Müller;h@example.de;1\r\n',
      'windows-1252',
    );
    const e = await readError(await file('forced.csv', bytes), { encoding: 'utf-8' });
    expect(e.problems[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/not valid UTF-8/) });
    expect(e.problems[0]?.fix).toMatch(/windows-1252/);
    const bom = await readError(
      await file('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes])),
    );
    expect(bom.problems[0]?.reason).toMatch(/byte order mark/);
  });
});

describe('encoding restart', () => {
  it('re-reads a file as Windows-1252 when a late byte is not UTF-8', async () => {
    const lines = ['First name,Last name,Email,ID,Sync ID'];
    for (let i = 0; i < 3000; i++) lines.push(`Anna${i},Alpha,anna${i}@example.com,${i},S${i}`);
    lines.push('Jörg,Weiß,joerg@example.com,9999,S9999');
    const p = await file('late.csv', iconv.encode(`${lines.join('\r\n')}\r\n`, 'windows-1252'));
    const r = await read(p);
    expect(r.encoding.encoding).toBe('windows-1252');
    expect(r.records).toHaveLength(3001);
    expect(rows(r).at(-1)).toEqual(['late.csv:3002', 'Jörg', 'Weiß', 'joerg@example.com', '9999', 'S9999']);
    expect(r.notices[0]).toMatchObject({
      place: { ref: 'late.csv:3002' },
      message: expect.stringMatching(/not valid UTF-8.*Windows-1252/),
    });
  });
});

describe('rows', () => {
  it('turns a short row into missing fields and ignores extra columns', async () => {
    const r = await read(await file('short.csv', 'Anna,Alpha,anna@example.com,1,S1,extra\nBert,Beta\n'));
    expect(rows(r)).toEqual([
      ['short.csv:1', 'Anna', 'Alpha', 'anna@example.com', '1', 'S1'],
      ['short.csv:2', 'Bert', 'Beta', undefined, undefined, undefined],
    ]);
  });

  it('counts lines right with CR-only, LF and CRLF line ends mixed, and quoted CRLF', async () => {
    const text =
      'First name,Last name,Email,ID\r\nA,"x\r\ny\r\nz",a@x,1\rB,b,b@x,2\n\n"C\rc",c,c@x,3\r\nD,d,d@x,4';
    const r = await read(await file('mixed.csv', text), { header: 'yes', allowMissingFinalNewline: true });
    expect(r.records.map((x) => [x.place.ref, x.firstName])).toEqual([
      ['mixed.csv:2', 'A'],
      ['mixed.csv:5', 'B'],
      ['mixed.csv:7', 'C\rc'],
      ['mixed.csv:9', 'D'],
    ]);
  });

  it('stops early when the columns cannot be mapped', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `Anna${i},Alpha,anna${i}@example.com`);
    const e = await readError(await file('three.csv', lines.join('\n')));
    expect(e.problems).toEqual([
      {
        line: 1,
        reason: expect.stringMatching(/no ID column: the file has no header and only 3/),
        fix: expect.any(String),
      },
    ]);
  });

  it('reads configured positions under a header with unknown names', async () => {
    const text = 'Col A;Col B;Col C;Col D;Col E\r\nP1;1001;Alpha;Anna;anna@example.com\r\n';
    const columns = { firstName: '4', lastName: '3', email: '5', id: '2', syncId: '1' };
    const r = await read(await file('pos.csv', text), { columns });
    expect(r.header).toBe(true);
    expect(rows(r)).toEqual([['pos.csv:2', 'Anna', 'Alpha', 'anna@example.com', '1001', 'P1']]);
  });

  it('keeps a quote inside an unquoted field as text', async () => {
    const r = await read(await file('q.csv', 'Anna,O"Brien,anna@example.com,1,S1\n'));
    expect(r.records[0]?.lastName).toBe('O"Brien');
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(read(fixture('quoted.csv'), {}, ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('deriveSyncId', () => {
  it('trims and lower-cases the e-mail', () => {
    expect(deriveSyncId(' Anna.Alpha@Example.COM ')).toBe('anna.alpha@example.com');
    expect(deriveSyncId('  ')).toBeUndefined();
    expect(deriveSyncId(undefined)).toBeUndefined();
  });
});

// ---- Property: whatever the fields, each dialect and encoding reads back what csv-stringify wrote. ----

const ASCII = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const SPECIAL = fc.constantFrom(',', ';', '\t', '"', '\n', '\r', '\r\n', ' ', '@');
/** Letters whose Windows-1252 bytes can never look like UTF-8 (all in 0xC0–0xFF). */
const LATIN = fc.constantFrom('ä', 'ö', 'ü', 'Ä', 'Ö', 'Ü', 'ß', 'é', 'è', 'ç', 'ñ', 'ø');
/** Windows-1252 characters in 0x80–0xBF, only used with a configured encoding. */
const CP1252_EXTRA = fc.constantFrom('€', '„', '“', '–', '©', '½');
const UNICODE = fc.constantFrom('Ł', 'ō', '漢', '😀', 'ﬁ', 'Ж');

function fieldOf(...units: fc.Arbitrary<string>[]): fc.Arbitrary<string> {
  return fc.array(fc.oneof(...units), { maxLength: 8 }).map((a) => a.join(''));
}

function rowOf(field: fc.Arbitrary<string>): fc.Arbitrary<string[]> {
  const email = fc.tuple(field, field).map(([a, b]) => `${a}@${b}`);
  return fc.tuple(field, field, email, field, field).map((r) => [...r]);
}

const HEADER = ['First name', 'Last name', 'E-mail', 'ID', 'Sync ID'];

function lineBreaks(s: string): number {
  return s.match(/\r\n|\r|\n/g)?.length ?? 0;
}

/** The records a reader must produce: non-blank rows, each with the physical line it starts on. */
function expected(data: readonly string[][], header: boolean, name: string): (string | undefined)[][] {
  const out: (string | undefined)[][] = [];
  let line = header ? 2 : 1;
  for (const r of data) {
    if (!r.every((f) => f.trim() === '')) out.push([`${name}:${line}`, ...r]);
    line += 1 + r.reduce((n, f) => n + lineBreaks(f), 0);
  }
  return out;
}

function serialise(data: readonly string[][], header: boolean, delimiter: string, eol: string): string {
  return stringify(header ? [HEADER, ...data] : [...data], {
    delimiter,
    record_delimiter: eol,
    quote: '"',
    // With an explicit record_delimiter csv-stringify would leave a bare \n or \r unquoted.
    quote_record_delimiter: true,
  });
}

const ENCODINGS: readonly TestEncoding[] = ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'windows-1252'];
let run = 0;

/** Encoding, delimiter, line end and whether a header row comes first: what both round trips vary. */
const DIALECTS = [
  fc.constantFrom(...ENCODINGS),
  fc.constantFrom<',' | ';' | '\t'>(',', ';', '\t'),
  fc.constantFrom('\r\n', '\n'),
  fc.boolean(),
] as const;

describe('property: stringify → read round trip', () => {
  it('reads any fields back in every dialect and encoding (dialect configured)', async () => {
    const wide = fieldOf(ASCII, SPECIAL, LATIN, UNICODE);
    const narrow = fieldOf(ASCII, SPECIAL, LATIN, CP1252_EXTRA);
    await fc.assert(
      fc.asyncProperty(
        ...DIALECTS,
        fc.array(rowOf(wide), { maxLength: 15 }),
        fc.array(rowOf(narrow), { maxLength: 15 }),
        async (encoding, delimiter, eol, header, wideRows, narrowRows) => {
          const data = encoding === 'windows-1252' ? narrowRows : wideRows;
          const name = `p${run++}.csv`;
          const p = await file(name, encodeText(serialise(data, header, delimiter, eol), encoding));
          const r = await read(p, {
            header: header ? 'yes' : 'no',
            delimiter,
            encoding: encoding === 'utf-8-bom' ? 'utf-8' : encoding,
          });
          expect(rows(r)).toEqual(expected(data, header, name));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('detects the delimiter, header and encoding of realistic exports', async () => {
    await fc.assert(
      fc.asyncProperty(
        ...DIALECTS,
        fc.array(fc.constantFrom('\r\n', '\n', ' ', '"', '@'), { maxLength: 3 }),
        fc.array(
          fc.array(fieldOf(ASCII, LATIN, fc.constantFrom('"', '\n', ' ')), { minLength: 5, maxLength: 5 }),
          {
            minLength: 1,
            maxLength: 15,
          },
        ),
        async (encoding, delimiter, eol, header, extras, raw) => {
          // Fields may hold the delimiter itself (quoted), quotes and line breaks, but not the other candidates.
          const clean = (f: string): string => f.replace(/[,;\t]/g, '');
          const data = raw.map(([a = '', b = '', c = '', d = '', e = ''], i) => [
            clean(a) + (i === 0 ? delimiter + extras.join('') : ''),
            clean(b),
            `${clean(c)}@${clean(d)}`,
            clean(d),
            clean(e),
          ]);
          const name = `d${run++}.csv`;
          const text = serialise(data, header, delimiter, eol);
          const p = await file(name, encodeText(text, encoding));
          const r = await read(p);
          expect(r.delimiter).toBe(delimiter);
          expect(r.header).toBe(header);
          // Pure ASCII is the same in Windows-1252 and UTF-8.
          const ascii = !/[^\x00-\x7f]/.test(text);
          const detected =
            encoding === 'utf-8-bom' || (encoding === 'windows-1252' && ascii) ? 'utf-8' : encoding;
          expect(r.encoding.encoding).toBe(detected);
          expect(rows(r)).toEqual(expected(data, header, name));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("Excel's sep= line", () => {
  const rowsOf =
    'Nachname;Vorname;E-Mail;Ausweisnummer;Personalnummer\r\nMüller;Hans;hans@example.de;1;P1\r\n';

  it('sets the delimiter, is skipped, and keeps physical line numbers', async () => {
    for (const first of ['sep=;', '"sep=;"', 'sep=;;;;']) {
      const r = await read(await file('sep.csv', `${first}\r\n${rowsOf}`));
      expect(r.delimiter).toBe(';');
      expect(r.header).toBe(true);
      expect(rows(r)).toEqual([['sep.csv:3', 'Hans', 'Müller', 'hans@example.de', '1', 'P1']]);
      expect(r.notices.map((n) => n.message)).toContainEqual(expect.stringMatching(/sep= line/));
    }
  });

  it('works after a BOM, in UTF-16, for a tab or a comma, and overrides a configured delimiter', async () => {
    const tab = rowsOf.replaceAll(';', '\t');
    const u16 = await read(await file('sep16.txt', encodeText(`sep=\t\r\n${tab}`, 'utf-16le')));
    expect(u16.delimiter).toBe('\t');
    expect(rows(u16)[0]?.slice(1, 3)).toEqual(['Hans', 'Müller']);
    const bom = await read(
      await file('sepbom.csv', encodeText(`sep=,\n${rowsOf.replaceAll(';', ',')}`, 'utf-8-bom')),
    );
    expect(bom.delimiter).toBe(',');
    expect(rows(bom)[0]?.[0]).toBe('sepbom.csv:3');
    const over = await read(await file('sepover.csv', `sep=;\r\n${rowsOf}`), { delimiter: ',' });
    expect(over.delimiter).toBe(';');
    expect(over.notices.map((n) => n.message)).toContainEqual(
      expect.stringMatching(/overrides the configured/),
    );
  });

  it('names the right line for a NUL byte after the sniffed start, and in a UTF-16 file', async () => {
    // The NUL opens its line: an offset counted without the sep= line would name the line before.
    const body = `sep=;\r\n${rowsOf}${'Hans;Müller;h@example.de;1;P1\r\n'.repeat(5000)}`;
    const e = await readError(await file('sepnul.csv', `${body}\0x;y\r\n`));
    expect(e.problems[0]).toMatchObject({ line: 5004, reason: expect.stringMatching(/NUL/) });
    const e16 = await readError(await file('sepnul16.txt', encodeText(`${body}\0x;y\r\n`, 'utf-16le')));
    expect(e16.problems[0]).toMatchObject({ line: 5004, reason: expect.stringMatching(/NUL/) });
  });

  it('refuses a delimiter it cannot read, naming the first line', async () => {
    const e = await readError(await file('pipe.csv', `sep=|\n${rowsOf.replaceAll(';', '|')}`));
    expect(e.problems[0]).toMatchObject({ line: 1, reason: expect.stringMatching(/sep=\| declares/) });
  });
});

describe('a file without a final line break', () => {
  const full =
    'First name,Last name,E-mail,ID,Sync ID\nAnna,Alpha,anna@example.com,1,S1\nBert,Beta,bert@example.com,2,S2\n';

  it('is cut off, however complete its last row looks', async () => {
    for (const cut of [full.length - 2, full.length - 1, full.lastIndexOf(',') + 1]) {
      const e = await readError(await file('cut.csv', full.slice(0, cut)));
      expect(e.problems[0]).toMatchObject({ line: 3, reason: expect.stringMatching(/cut off/) });
      expect(e.problems[0]?.fix).toMatch(/allowMissingFinalNewline/);
    }
  });

  it('is read when allowMissingFinalNewline is set, unless the last row is short', async () => {
    const r = await read(await file('nofinal.csv', full.slice(0, -1)), { allowMissingFinalNewline: true });
    expect(rows(r).map((x) => x[5])).toEqual(['S1', 'S2']);
    const short = full.slice(0, full.indexOf(',bert@'));
    const e = await readError(await file('short.csv', short), { allowMissingFinalNewline: true });
    expect(e.problems[0]?.reason).toMatch(/cut off: its last row \(line 3\) has 2 of 5 fields/);
  });

  it('allows trailing spaces and a Ctrl-Z after the last line end, and a header-only file needs one too', async () => {
    expect(rows(await read(await file('ctrlz.csv', `${full}\x1a`)))).toHaveLength(2);
    expect(rows(await read(await file('spaces.csv', `${full}   `)))).toHaveLength(2);
    await readError(await file('hdr.csv', 'First name,Last name,E-mail,ID,Sync ID'));
  });

  it('is cut off when it ends inside a UTF-8 or UTF-16 character, even when allowed to miss the line end', async () => {
    const u8 = Buffer.from(`${full}Cleo,Gößl`, 'utf8');
    const e8 = await readError(await file('u8.csv', u8.subarray(0, u8.length - 2)), {
      allowMissingFinalNewline: true,
    });
    expect(e8.problems[0]?.reason).toMatch(/cut off: it ends in the middle of a UTF-8 character/);
    const u16 = encodeText(full, 'utf-16le');
    const e16 = await readError(await file('u16.txt', u16.subarray(0, u16.length - 1)), {
      allowMissingFinalNewline: true,
    });
    expect(e16.problems[0]?.reason).toMatch(/cut off/);
  });
});

describe('the content hash', () => {
  it('is the SHA-256 of every byte, BOM and sep= line included', async () => {
    const bytes = encodeText('sep=;\nVorname;Nachname;E-Mail;Ausweis\nA;B;a@example.com;1\n', 'utf-8-bom');
    const r = await read(await file('hash.csv', bytes));
    const { createHash } = await import('node:crypto');
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
