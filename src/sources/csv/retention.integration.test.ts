/** Retention of archive/ and failed/: what a successful settle deletes, and what it never touches. */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { folderConfig, tempDir, testContext } from '../../../test/helpers/csv-files.js';
import type { CsvFolderConfig } from './config.js';
import { csvFolderSource } from './index.js';

const never = new AbortController().signal;
const CSV = 'First,Last,E-mail,ID,Sync ID\r\nHans,Müller,hans@example.de,1,P1\r\n';

async function list(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort();
}

/** A drop folder whose archive/ and failed/ hold what earlier runs (and an admin) left there. */
async function setup(overrides: Partial<CsvFolderConfig>, acceptedName?: string) {
  const folder = await tempDir();
  const archive = path.join(folder, 'archive');
  const failed = path.join(folder, 'failed');
  await mkdir(archive);
  await mkdir(failed);
  for (let i = 1; i <= 6; i++) await writeFile(path.join(archive, `00000${i}-staff.csv`), CSV);
  await writeFile(path.join(archive, '000002-staff.csv.rejects.txt'), 'x');
  await writeFile(path.join(archive, 'kept-by-hand.csv'), CSV);
  for (const d of ['20260101T000000Z', '20260102T000000Z', '20260103T000000Z']) {
    await writeFile(path.join(failed, `${d}-bad.csv`), 'x');
    await writeFile(path.join(failed, `${d}-bad.csv.errors.txt`), 'x');
  }
  await writeFile(path.join(folder, 'staff.csv'), CSV);
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const ctx = {
    ...testContext(() => new Date()),
    logger,
    ...(acceptedName ? { acceptedInput: { name: acceptedName, sha256: 'f'.repeat(64) } } : {}),
  };
  const source = csvFolderSource.create(folderConfig(folder, overrides), ctx);
  return { folder, archive, failed, source, lines };
}

describe('retention of archive/ and failed/', () => {
  it('keeps the newest keepFiles, the baseline file and foreign files; deletes the rest with reports', async () => {
    const { archive, failed, source, lines } = await setup({ keepFiles: 2, keepDays: 0 }, '000001-staff.csv');
    await (await source.fetch(never)).settle?.('applied', '');
    expect(await list(archive)).toEqual([
      '000001-staff.csv', // the baseline's input
      '000006-staff.csv',
      '000007-staff.csv', // the file just archived
      'kept-by-hand.csv', // not named by the source: never touched
    ]);
    expect(await list(failed)).toEqual([
      '20260102T000000Z-bad.csv',
      '20260102T000000Z-bad.csv.errors.txt',
      '20260103T000000Z-bad.csv',
      '20260103T000000Z-bad.csv.errors.txt',
    ]);
    const logged = lines.find((l) => String(l.msg).startsWith('Retention: deleted 4 archived and 1 failed'));
    expect(logged).toMatchObject({ failed: ['20260101T000000Z-bad.csv'] });
  });

  it('keeps everything moved there within keepDays, and prunes nothing in a dry run', async () => {
    const young = await setup({ keepFiles: 1, keepDays: 1 });
    await (await young.source.fetch(never)).settle?.('applied', '');
    expect(await list(young.archive)).toHaveLength(9); // the 8 there, and the file just archived

    const dry = await setup({ keepFiles: 1, keepDays: 0 });
    const ctxDry = csvFolderSource.create(folderConfig(dry.folder, { keepFiles: 1, keepDays: 0 }), {
      ...testContext(() => new Date()),
      dryRun: true,
    });
    await (await ctxDry.fetch(never)).settle?.('applied', '');
    expect(await list(dry.archive)).toHaveLength(8); // not even the input was moved
  });

  it('deletes nothing from the archive when the baseline file is not there under its name', async () => {
    const { archive, failed, source } = await setup({ keepFiles: 1, keepDays: 0 }, '000099-renamed.csv');
    await (await source.fetch(never)).settle?.('applied', '');
    expect(await list(archive)).toHaveLength(9);
    expect(await list(failed)).toHaveLength(2);
  });
});
