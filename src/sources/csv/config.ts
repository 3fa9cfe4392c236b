/**
 * The `csv-folder` source's keys and their resolution into the settings the source uses
 * (absolute folders, compiled file patterns). Every check here throws ConfigError naming the key,
 * so a bad config stops at `config validate` / start-up, not at the first drop.
 */
import path from 'node:path';
import { type ConfigOf, count, durationMs, envName, key, type SchemaTree } from '../../config/define.js';
import { ConfigError } from '../../core/errors.js';
import type { Field } from '../../core/types.js';
import { compileFields, type FieldExpressions, mapSchema } from '../field-map.js';

/** The validated keys, as the loader hands them to `create` (with the source's name). */
export type CsvFolderConfig = ConfigOf<typeof csvFolderSchema> & { readonly name: string };
export type HeaderSetting = CsvFolderConfig['header'];
/** `tab` is accepted in the config as a spelling of '\t' (easier in an env var); resolved away. */
export type DelimiterSetting = Exclude<CsvFolderConfig['delimiter'], 'tab'>;
export type EncodingSetting = CsvFolderConfig['encoding'];
export type SyncIdMode = CsvFolderConfig['syncId'];
/** Per field: '' (auto), a header name, or a 1-based column position written as digits ("3"). */
export type ColumnsConfig = Readonly<Record<Field, string>>;

/** How a file is read; shared by fetch and check. */
export interface CsvReadSettings
  extends Pick<
    CsvFolderConfig,
    'header' | 'encoding' | 'columns' | 'syncId' | 'allowMissingFinalNewline' | 'maxListedRejections'
  > {
  readonly delimiter: DelimiterSetting;
  /** `map.*` compiled; a field set here is built from the columns it names, not read from its own column. */
  readonly expressions?: FieldExpressions | undefined;
}

/** The source's settings: folders made absolute, file patterns compiled. */
export interface CsvFolderSettings
  extends CsvReadSettings,
    Pick<CsvFolderConfig, 'name' | 'pattern' | 'stableMs' | 'stableTimeoutMs' | 'maxFileBytes'> {
  /** Absolute, like archiveDir and failedDir (which default to sub-folders of it). */
  readonly folder: string;
  readonly matches: (fileName: string) => boolean;
  readonly archiveDir: string;
  readonly failedDir: string;
}

export const DEFAULT_PATTERN = '*.csv,*.txt,*.tsv';

const column = (field: string, mimPosition: number): ReturnType<typeof key<string>> =>
  key(
    `Column holding the ${field}: '' detects it (header names in English or German; without a header, column ${mimPosition} as in MIM's order), a header name, or a 1-based position such as "${mimPosition}".`,
    String,
    '',
  );

export const csvFolderSchema = {
  folder: key(
    'The drop folder the exports land in (required). Writers should write `x.csv.tmp` and rename it when complete. A relative path is taken from the working directory.',
    String,
    '',
  ),
  pattern: key(
    'Comma-separated file name patterns (`*` and `?`, case-insensitive). Names starting with `.` or ending in .tmp, .part, .partial, ~ or .crdownload are always ignored.',
    String,
    DEFAULT_PATTERN,
  ),
  header: key(
    'Whether the first row is a header: auto detects it from the column names.',
    ['auto', 'yes', 'no'],
    'auto',
  ),
  delimiter: key(
    'Field delimiter: auto detects `,` `;` or tab from the first lines; `tab` may be written for a tab.',
    ['auto', ',', ';', '\t', 'tab'],
    'auto',
  ),
  encoding: key(
    'Text encoding: auto reads a BOM (UTF-8, UTF-16), else UTF-8, else Windows-1252 (German Excel "CSV (Trennzeichen-getrennt)").',
    ['auto', 'utf-8', 'utf-16le', 'utf-16be', 'windows-1252'],
    'auto',
  ),
  columns: {
    firstName: column('first name', 1),
    lastName: column('last name', 2),
    email: column('e-mail address', 3),
    id: column('credential ID (badge / card number)', 4),
    syncId: column('Sync ID (a key that never changes, e.g. the personnel number)', 5),
  },
  map: mapSchema('column', {
    id: 'columns.id',
    firstName: 'columns.firstName',
    lastName: 'columns.lastName',
    email: 'columns.email',
  }),
  syncId: key(
    "Where the Sync ID comes from: 'column' (the Sync ID column; derived from the e-mail when the file has none) or 'derive' (always the lower-cased e-mail; an e-mail change then deletes and re-invites the person).",
    ['column', 'derive'],
    'column',
  ),
  stableMs: durationMs(
    'A file counts as complete when its size and modification time have not changed for this long, ms.',
    2_000,
    { min: 0 },
  ),
  stableTimeoutMs: durationMs(
    'How long a run waits for the newest file to become complete before giving up, ms.',
    30_000,
    { min: 0 },
  ),
  archiveDir: key(
    'Where read files are moved after a successful run (with a .rejects.txt report). Empty means <folder>/archive; a relative path is taken from the drop folder.',
    String,
    '',
  ),
  failedDir: key(
    'Where unusable files are moved (with a .errors.txt report). Empty means <folder>/failed; a relative path is taken from the drop folder.',
    String,
    '',
  ),
  maxFileBytes: count(
    'A drop file larger than this is refused (moved to the failed folder with a report) instead of read: a guard against runaway or hostile files. Bytes; default 256 MiB.',
    256 * 1024 * 1024,
    { min: 1, max: 64 * 1024 ** 3, unit: 'bytes' },
  ),
  allowMissingFinalNewline: key(
    'Accept an export whose last row has no line break after it. Off by default: such a file is taken as cut off (a copy or export that stopped early) and refused, because a row cut inside its last field looks complete. Turn on only for a writer that never ends its last row.',
    Boolean,
    false,
  ),
  maxListedRejections: count(
    'How many rejected rows of one file are listed in full (output, log, .rejects.txt); the rest are counted. Carry-forward of people pushed before still sees every rejected row.',
    1000,
    { min: 1, max: 1_000_000 },
  ),
} satisfies SchemaTree;

const POSITION_RE = /^\d+$/;

/** Validates what the schema cannot and fills the derived defaults. */
export function resolveCsvFolderConfig(config: CsvFolderConfig, job: string): CsvFolderSettings {
  const place = (k: string): string => `jobs[${job}].sources[${config.name}].${k}`;
  if (!config.folder.trim()) {
    throw new ConfigError('The drop folder is not set', {
      place: place('folder'),
      fix: `Set folder to the directory the exports land in, or set ${envName(job, config.name, 'folder')}.`,
    });
  }
  const patterns = splitPatterns(config.pattern);
  if (patterns.length === 0) {
    throw new ConfigError('The file pattern is empty', {
      place: place('pattern'),
      fix: `Set pattern to e.g. "${DEFAULT_PATTERN}".`,
    });
  }
  for (const [field, value] of Object.entries(config.columns)) {
    if (POSITION_RE.test(value.trim()) && Number(value) < 1) {
      throw new ConfigError(`Column positions start at 1 (got "${value}")`, {
        place: place(`columns.${field}`),
        fix: 'Use 1 for the first column, or a header name, or leave it empty to detect it.',
      });
    }
  }
  const expressions = compileFields(config.map, place);
  const folder = path.resolve(config.folder);
  return {
    name: config.name,
    folder,
    pattern: config.pattern,
    matches: compilePatterns(patterns),
    header: config.header,
    delimiter: config.delimiter === 'tab' ? '\t' : config.delimiter,
    encoding: config.encoding,
    columns: config.columns,
    ...(Object.keys(expressions).length > 0 ? { expressions } : {}),
    syncId: config.syncId,
    allowMissingFinalNewline: config.allowMissingFinalNewline,
    maxListedRejections: config.maxListedRejections,
    maxFileBytes: config.maxFileBytes,
    stableMs: config.stableMs,
    stableTimeoutMs: config.stableTimeoutMs,
    archiveDir: config.archiveDir ? path.resolve(folder, config.archiveDir) : path.join(folder, 'archive'),
    failedDir: config.failedDir ? path.resolve(folder, config.failedDir) : path.join(folder, 'failed'),
  };
}

function splitPatterns(pattern: string): string[] {
  return pattern
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** Simple globs (`*`, `?`), case-insensitive: exports from Windows shares arrive as STAFF.CSV. */
export function compilePatterns(patterns: readonly string[]): (fileName: string) => boolean {
  const res = patterns.map((p) => {
    const body = [...p]
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return new RegExp(`^${body}$`, 'i');
  });
  return (fileName) => res.some((re) => re.test(fileName));
}
