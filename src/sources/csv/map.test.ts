import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTO_SETTINGS, tempDir } from '../../../test/helpers/csv-files.js';
import { RecordCollector } from '../../pipeline/collect.js';
import { compileFields } from '../field-map.js';
import type { CsvReadSettings } from './config.js';
import { CsvFileError } from './file-error.js';
import { readCsvFile } from './read.js';

const never = new AbortController().signal;
let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});

async function collect(
  name: string,
  text: string,
  map: Record<string, string>,
  extra: Partial<CsvReadSettings> = {},
) {
  const file = path.join(dir, name);
  await writeFile(file, text);
  const expressions = compileFields(map, (k) => k);
  const r = await readCsvFile(file, {
    sourceName: 'hr',
    fileName: name,
    settings: { ...AUTO_SETTINGS, expressions, ...extra },
    signal: never,
    sink: () => new RecordCollector('hr', 'csv-folder'),
  });
  return r.sink.result();
}

describe('csv-folder map.*', () => {
  it('builds the ID from a column with spaces; the file needs no ID column', async () => {
    const c = await collect(
      'spaces.csv',
      'Vorname;Nachname;E-Mail;Personal Nr\nAda;Lovelace;ada@example.com;4711\n',
      { id: '"E-" + (column("Personal Nr") | pad(8))' },
    );
    expect(c.valid.map((p) => [p.id, p.email])).toEqual([['E-00004711', 'ada@example.com']]);
  });

  it('turns a hex card number into decimal', async () => {
    const c = await collect(
      'hex.csv',
      'First name,Last name,E-mail,Card\nAda,Lovelace,ada@example.com,1A2B\n',
      {
        id: 'Card | hex2dec',
      },
    );
    expect(c.valid[0]?.id).toBe('6699');
  });

  it('names a column the header lacks, with the key to change', async () => {
    const e = await collect(
      'missing.csv',
      'First name,Last name,E-mail,ID\nAda,Lovelace,ada@example.com,1\n',
      {
        id: 'column("Personal Nr")',
      },
    ).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CsvFileError);
    expect(String((e as CsvFileError).message)).toMatch(/map\.id reads the column "Personal Nr"/);
  });

  it('reads columns by position in a file without a header', async () => {
    const c = await collect(
      'noheader.csv',
      'Ada,Lovelace,ada@example.com,00042\n',
      { id: 'column("4") | strip-zeros' },
      {
        header: 'no',
      },
    );
    expect(c.valid[0]?.id).toBe('42');
  });

  it('a rejection names the column and the key to change, or the expression', async () => {
    const c = await collect(
      'bad.csv',
      'Vorname;Nachname;E-Mail;Ausweis\nAda;Lovelace;not-an-address;7\n',
      {},
    );
    expect(c.listed[0]?.fix).toMatch(
      /E-mail address is read from column 3 "E-Mail" — to read another, set columns\.email or map\.email/,
    );
    const m = await collect(
      'badmap.csv',
      'Vorname;Nachname;E-Mail;Card\nAda;Lovelace;ada@example.com;XYZ\n',
      {
        id: 'Card | hex2dec',
      },
    );
    expect(m.listed[0]?.reason).toMatch(/ID is empty/);
    expect(m.listed[0]?.fix).toMatch(
      /ID is read from the expression Card \| hex2dec — to read another, set map\.id/,
    );
  });
});
