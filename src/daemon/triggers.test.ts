import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderConfig } from '../../test/helpers/csv-files.js';
import { pause, scaled } from '../../test/helpers/timing.js';
import type { JobConfig } from '../config/schema.js';
import { type CsvFolderConfig, DEFAULT_PATTERN } from '../sources/csv/config.js';
import { SOURCE_DEFINITIONS } from '../sources/index.js';
import { silentLogger } from '../telemetry/logger.js';
import { dropFolders, isIgnored, watchDropFolders } from './triggers.js';

const job = (folder: string, settings: Partial<CsvFolderConfig> = {}): JobConfig =>
  ({
    name: 'main',
    schedule: { cron: '', jitterSeconds: 0, onStart: false, watch: true, debounceMs: 100 },
    sources: [
      {
        name: 'hr',
        kind: 'csv-folder',
        // The settings the loader would hand over (only what the watcher reads matters).
        settings: folderConfig(folder, {
          pattern: DEFAULT_PATTERN,
          stableTimeoutMs: 30_000,
          stableMs: 50,
          ...settings,
        }),
      },
    ],
  }) as unknown as JobConfig;

const folder = path.resolve('/srv/drop');
// Built through the csv-folder source's watch hook, as the daemon builds them.
const folders = dropFolders(job(folder, { pattern: '*.csv,*.txt', stableMs: 2000 }), SOURCE_DEFINITIONS);
const at = (name: string): string => path.join(folder, name);

describe('drop folder watch filter', () => {
  it('takes the folder, pattern and stability window from the source', () => {
    expect(folders).toMatchObject([{ source: 'hr', folder, stableMs: 2000 }]);
  });

  it('reports matching files directly in the folder', () => {
    expect(isIgnored(folders, folder)).toBe(false);
    expect(isIgnored(folders, at('staff.csv'))).toBe(false);
    expect(isIgnored(folders, at('STAFF.CSV'))).toBe(false);
  });

  it('ignores files in progress, reports, other names, sub-folders and their contents', () => {
    for (const name of [
      'staff.csv.tmp',
      'staff.csv.part',
      '.staff.csv',
      'staff.csv~',
      'x.csv.rejects.txt',
      'x.csv.errors.txt',
      'notes.xlsx',
    ])
      expect(isIgnored(folders, at(name)), name).toBe(true);
    expect(isIgnored(folders, at('archive'))).toBe(true);
    expect(isIgnored(folders, at('archive/20260101T000000Z-staff.csv'))).toBe(true);
    expect(isIgnored(folders, at('failed/x.csv'))).toBe(true);
    expect(isIgnored(folders, '/elsewhere/staff.csv')).toBe(true);
  });
});

describe('drop folder watch', () => {
  it('fires once per quiet burst of matching files and ignores the rest', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'watch-'));
    const fired: (readonly string[])[] = [];
    const w = watchDropFolders(job(dir), SOURCE_DEFINITIONS, (f) => fired.push(f), silentLogger, {
      reportExisting: false,
    });
    await w?.ready;
    writeFileSync(path.join(dir, 'a.csv.tmp'), 'x');
    renameSync(path.join(dir, 'a.csv.tmp'), path.join(dir, 'a.csv'));
    writeFileSync(path.join(dir, 'b.csv'), 'x');
    writeFileSync(path.join(dir, 'notes.xlsx'), 'x');
    mkdirSync(path.join(dir, 'archive'));
    writeFileSync(path.join(dir, 'archive', 'c.csv'), 'x');
    await until(() => fired.length > 0);
    await pause(300); // nothing else may fire
    await w?.close();
    // One firing with both files; their order is the order they became stable, which load decides.
    expect(fired.map((files) => [...files].sort())).toEqual([['a.csv', 'b.csv']]);
  });

  it('picks a folder up once it appears, and again after it was removed', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'watch-'));
    const dir = path.join(parent, 'drop');
    const fired: (readonly string[])[] = [];
    const w = watchDropFolders(job(dir), SOURCE_DEFINITIONS, (f) => fired.push(f), silentLogger, {
      reportExisting: false,
      probeMs: 50,
    });
    await w?.ready;
    mkdirSync(dir);
    await until(() => fired.length === 1);
    writeFileSync(path.join(dir, 'a.csv'), 'x');
    await until(() => fired.length === 2);
    rmSync(dir, { recursive: true });
    await pause(150); // the 50 ms probe sees the folder gone
    mkdirSync(dir);
    await until(() => fired.length === 3);
    writeFileSync(path.join(dir, 'b.csv'), 'x');
    await until(() => fired.length === 4);
    await w?.close();
    expect(fired).toEqual([['hr: folder appeared'], ['a.csv'], ['hr: folder appeared'], ['b.csv']]);
  });
});

async function until(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + scaled(timeoutMs);
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
