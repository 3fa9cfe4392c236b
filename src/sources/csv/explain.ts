/**
 * `plan --explain` for csv-folder: the rows of the file the run read whose e-mail (any case) or
 * Sync ID is the one asked for, each field with its column. Reads the file again, moves nothing.
 */
import type { FieldOrigin, PersonFinding, PersonLookup } from '../../core/source.js';
import { FIELDS, type SourceRecord } from '../../core/types.js';
import type { ColumnMapping } from './columns.js';
import type { CsvReadSettings } from './config.js';
import type { DropFile } from './folder.js';
import { readCsvFile } from './read.js';
import type { RecordSink } from './rows.js';

/** The file a fetch read, and its hash then. */
export interface ReadInput {
  readonly file: DropFile;
  readonly sha256: string;
}

const low = (s: string | undefined): string => s?.trim().toLowerCase() ?? '';

/** Keeps the rows of one person only: the file may be huge, the answer is a few rows. */
class MatchSink implements RecordSink {
  readonly rows: SourceRecord[] = [];
  private readonly key: string;

  constructor(key: string) {
    this.key = low(key);
  }

  add(record: SourceRecord): void {
    if (low(record.email) === this.key || low(record.syncId) === this.key) {
      // RowRecord builds its place on each read: keep a plain copy.
      const { firstName, lastName, email, id, syncId } = record;
      this.rows.push({ place: record.place, firstName, lastName, email, id, syncId });
    }
  }
}

/** `column 3 "E-Mail"` from the mapping's label `E-mail address ← column 3 "E-Mail"`. */
function origins(record: SourceRecord, mapping: ColumnMapping | undefined): FieldOrigin[] {
  return FIELDS.map((field, i) => {
    const label = mapping?.labels[i] ?? '';
    const from = label.includes('← ') ? label.slice(label.indexOf('← ') + 2) : field;
    const derived = field === 'syncId' && mapping?.derivedSyncId === true;
    return { field, value: record[field], from, key: derived ? 'syncId' : `columns.${field}`, steps: [] };
  });
}

export async function explainCsv(
  sourceName: string,
  settings: CsvReadSettings,
  input: ReadInput | undefined,
  key: string,
  signal: AbortSignal,
): Promise<PersonLookup> {
  if (!input) return { searched: 'no file (nothing was read)', findings: [] };
  const { file } = input;
  const read = await readCsvFile(file.path, {
    sourceName,
    fileName: file.name,
    settings,
    signal,
    sink: () => new MatchSink(key),
  });
  const changed =
    read.sha256 !== input.sha256 ? '; it changed since the plan read it, shown as it is now' : '';
  const findings: PersonFinding[] = read.sink.rows.map((r) => ({
    place: r.place.ref,
    verdict: 'included',
    fields: origins(r, read.mapping),
  }));
  return {
    searched: `${file.path} (${read.rows.toLocaleString('en-US')} rows, by e-mail and Sync ID${changed})`,
    findings,
  };
}
