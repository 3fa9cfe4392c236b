/** The `csv-folder` source kind: exports from HR, access control or Excel dropped into a folder. */
import type { SourceDefinition } from '../../core/source.js';
import { type CsvFolderConfig, csvFolderSchema, resolveCsvFolderConfig } from './config.js';
import { isIgnoredName } from './folder.js';
import { CsvFolderSource } from './source.js';

export const csvFolderSource: SourceDefinition<CsvFolderConfig> = {
  kind: 'csv-folder',
  summary: 'The newest complete CSV export in a drop folder (UTF-8, UTF-16 or Windows-1252; `,` `;` or tab).',
  schema: csvFolderSchema,
  create: (config, ctx) => new CsvFolderSource(resolveCsvFolderConfig(config, ctx.job), ctx),
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
