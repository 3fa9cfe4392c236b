/**
 * The `csv-folder` source kind: exports from HR, access control or Excel dropped into a folder.
 * Light on purpose (the registry loads it for every command): the reader and its libraries
 * (csv-parse, iconv-lite) are imported on the source's first check or fetch.
 */
import type { SourceDefinition } from '../../core/source.js';
import { loadOnFirstUse } from '../lazy.js';
import { type CsvFolderConfig, csvFolderSchema, resolveCsvFolderConfig } from './config.js';
import { isIgnoredName } from './ignored-names.js';

export const csvFolderSource: SourceDefinition<CsvFolderConfig> = {
  kind: 'csv-folder',
  summary: 'The newest complete CSV export in a drop folder (UTF-8, UTF-16 or Windows-1252; `,` `;` or tab).',
  // Imports the reader without building a source (createSources and the daemon's start call it).
  load: async () => {
    await import('./source.js');
  },
  schema: csvFolderSchema,
  // Settings resolve now, so a bad key is refused at creation as before; the reader comes later.
  create: (config, ctx) => {
    const settings = resolveCsvFolderConfig(config, ctx.job);
    return loadOnFirstUse(config.name, 'csv-folder', async () => {
      const { CsvFolderSource } = await import('./source.js');
      return new CsvFolderSource(settings, ctx);
    });
  },
  // The drop folder, resolved exactly as the source resolves it; a file the source would skip
  // (in progress, a report, another pattern) never triggers a run.
  watches: (config, job) => {
    const settings = resolveCsvFolderConfig(config, job);
    return [
      {
        source: config.name,
        folder: settings.folder,
        matches: (name) => !isIgnoredName(name) && settings.matches(name),
        stableMs: settings.stableMs,
      },
    ];
  },
};
