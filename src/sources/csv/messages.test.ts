/** What a csv-folder file's problems read like to the admin: short rows, empty files. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTO_SETTINGS, tempDir } from '../../../test/helpers/csv-files.js';
import { RecordCollector } from '../../pipeline/collect.js';
import type { CsvReadSettings } from './config.js';
import { describeForCheck, describeRead } from './describe.js';
import { readCsvFile } from './read.js';

const never = new AbortController().signal;
let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});

async function read(name: string, content: string, settings: Partial<CsvReadSettings> = {}) {
  const file = path.join(dir, name);
  await writeFile(file, content);
  const r = await readCsvFile(file, {
    sourceName: 'hr',
    fileName: name,
    settings: { ...AUTO_SETTINGS, ...settings },
    signal: never,
    sink: () => new RecordCollector('hr', 'csv-folder'),
  });
  return { read: r, collected: r.sink.result() };
}

describe('a row with too few fields', () => {
  it('says how many fields it has and how many are expected, at its line, not "ID is empty"', async () => {
    const { collected } = await read(
      'staff.csv',
      'Ada,Lovelace,ada@example.com,1001\nBob,Builder,bob@example.com\nCarol,Shaw,carol@example.com,1003\n',
    );
    expect(collected.valid.map((r) => r.email)).toEqual(['ada@example.com', 'carol@example.com']);
    expect(collected.listed).toEqual([
      expect.objectContaining({
        place: { source: 'hr', kind: 'csv-folder', ref: 'staff.csv:2' },
        code: 'unreadable-row',
        reason: 'the row has 3 fields where 4 or 5 are expected',
        email: 'bob@example.com',
      }),
    ]);
    // Its keys still count: a pushed person whose row is short is carried, not deleted.
    expect([...collected.rejectedKeys()].map((k) => k.email)).toEqual(['bob@example.com']);
  });

  it('names the columns a header file maps', async () => {
    const { collected } = await read(
      'hr.csv',
      'First name,Last name,E-mail,ID,Sync ID\nAda,Lovelace,ada@example.com,1001,E1\nBob,Builder,bob@example.com,1002\n',
    );
    expect(collected.listed.map((r) => `${r.place.ref}: ${r.reason}`)).toEqual([
      'hr.csv:3: the row has 4 fields where 5 are expected',
    ]);
  });
});

describe('an empty file', () => {
  it('is described as empty, with what the run does with it', async () => {
    for (const [content, what] of [
      ['', 'empty: no rows'],
      ['First name,Last name,E-mail,ID\n', 'a header row and no people'],
    ] as const) {
      const { read: r } = await read('empty.csv', content);
      const text = describeRead(r);
      expect(text).toMatch(new RegExp(`^${what}; nothing is uploaded from it`));
      expect(text).toContain('never deletes anyone');
      expect(text).not.toMatch(/0 rows|comma-separated/);
      expect(describeForCheck(r).join('\n')).toContain(`rows: none — ${what}`);
    }
  });

  it('counts rows in words', async () => {
    const { read: one } = await read('one.csv', 'Ada,Lovelace,ada@example.com,1001\n');
    expect(describeRead(one)).toMatch(/^1 row; UTF-8, comma-separated, no header row$/);
  });
});
