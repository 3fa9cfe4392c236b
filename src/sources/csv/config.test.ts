import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderConfig, tempDir, testContext } from '../../../test/helpers/csv-files.js';
import { loadConfig } from '../../config/load.js';
import { ConfigError } from '../../core/errors.js';
import { SOURCE_DEFINITIONS } from '../index.js';
import { type CsvFolderConfig, compilePatterns, resolveCsvFolderConfig } from './config.js';
import { csvFolderSource } from './index.js';

describe('resolveCsvFolderConfig', () => {
  it('requires the folder, naming the key and its env var', () => {
    const e = (() => {
      try {
        resolveCsvFolderConfig(folderConfig(''), 'main');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toMatchObject({ place: 'jobs[main].sources[hr].folder' });
    expect((e as ConfigError).fix).toMatch(/MOBILEID_SYNC_MAIN_HR_FOLDER/);
  });

  it('fills archive and failed folders beside the drop folder', () => {
    const s = resolveCsvFolderConfig(folderConfig('/drop'), 'main');
    expect(s.archiveDir).toBe(path.resolve('/drop/archive'));
    expect(s.failedDir).toBe(path.resolve('/drop/failed'));
    const t = resolveCsvFolderConfig(
      folderConfig('/drop', { archiveDir: 'done', failedDir: '/var/bad' }),
      'main',
    );
    expect(t.archiveDir).toBe(path.resolve('/drop/done'));
    expect(t.failedDir).toBe(path.resolve('/var/bad'));
  });

  it('accepts "tab" for a tab delimiter and rejects column position 0', () => {
    expect(resolveCsvFolderConfig(folderConfig('/d', { delimiter: 'tab' }), 'j').delimiter).toBe('\t');
    const columns = { firstName: '0', lastName: '', email: '', id: '', syncId: '' };
    expect(() => resolveCsvFolderConfig(folderConfig('/d', { columns }), 'j')).toThrow(
      /positions start at 1/,
    );
  });
});

describe('compilePatterns', () => {
  it('matches simple globs case-insensitively', () => {
    const m = compilePatterns(['*.csv', 'staff-??.txt']);
    expect(m('STAFF.CSV')).toBe(true);
    expect(m('staff-01.txt')).toBe(true);
    expect(m('staff-001.txt')).toBe(false);
    expect(m('staff.csv.bak')).toBe(false);
    expect(compilePatterns(['a+b(1).csv'])('a+b(1).csv')).toBe(true);
  });
});

describe('loading a csv-folder source from a config file', () => {
  async function load(source: Record<string, unknown>) {
    const dir = await tempDir();
    const file = path.join(dir, 'config.json5');
    const config = { jobs: [{ name: 'main', mim: { project: 'p', token: 't' }, sources: [source] }] };
    await writeFile(file, JSON.stringify(config));
    return loadConfig(file, { registry: SOURCE_DEFINITIONS, env: {} });
  }

  it('validates the keys and creates the source', async () => {
    const config = await load({
      name: 'hr',
      kind: 'csv-folder',
      folder: '/drop',
      delimiter: ';',
      columns: { email: 'Mail' },
    });
    const entry = config.jobs[0]?.sources[0];
    expect(entry?.settings).toMatchObject({ folder: '/drop', delimiter: ';', pattern: '*.csv,*.txt,*.tsv' });
    const source = csvFolderSource.create(
      { ...(entry?.settings as unknown as CsvFolderConfig), name: 'hr' },
      testContext(),
    );
    expect(source.kind).toBe('csv-folder');
    expect(source.name).toBe('hr');
  });

  it('rejects an unknown key and a bad value', async () => {
    await expect(load({ name: 'hr', kind: 'csv-folder', folder: '/d', delimeter: ';' })).rejects.toThrow(
      ConfigError,
    );
    await expect(load({ name: 'hr', kind: 'csv-folder', folder: '/d', header: 'maybe' })).rejects.toThrow(
      /header/,
    );
  });

  it('takes a scope block and refuses a malformed rule naming the key', async () => {
    const scope = {
      include: [{ column: 'Mobile ID', equals: 'ja' }],
      exclude: [{ column: '6', matches: '/^x$/i' }],
    };
    const config = await load({ name: 'hr', kind: 'csv-folder', folder: '/d', scope });
    expect(config.jobs[0]?.sources[0]?.settings).toMatchObject({ scope });
    await expect(
      load({ name: 'hr', kind: 'csv-folder', folder: '/d', scope: { include: [{ column: 'Mobile ID' }] } }),
    ).rejects.toThrow(/scope\.include[\s\S]*exactly one of equals and matches/);
  });

  it('refuses to create a source without a folder', async () => {
    const config = await load({ name: 'hr', kind: 'csv-folder' });
    const settings = config.jobs[0]?.sources[0]?.settings as unknown as CsvFolderConfig;
    expect(() => csvFolderSource.create({ ...settings, name: 'hr' }, testContext())).toThrow(
      /drop folder is not set/,
    );
  });
});
