/**
 * `plan --explain` for csv-folder: the rows of the file the run read whose e-mail (any case) or
 * Sync ID is the one asked for, each field with its column. Reads the file again, moves nothing.
 */

import { plural } from '../../core/plural.js';
import type { FieldOrigin, FieldOrigins, PersonFinding, PersonLookup } from '../../core/source.js';
import { FIELDS, type SourceRecord } from '../../core/types.js';
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
  /** Rows a `scope` rule left out, with the rule (see `leftOut`). */
  readonly scopedOut: { readonly record: SourceRecord; readonly reason: string }[] = [];
  /** Where each field is read (column or `map.*` expression), as the reader decided it. */
  origins: FieldOrigins | undefined;
  private readonly key: string;

  constructor(key: string) {
    this.key = low(key);
  }

  setFieldOrigins(origins: FieldOrigins): void {
    this.origins = origins;
  }

  add(record: SourceRecord): void {
    if (this.matches(record)) this.rows.push(copy(record));
  }

  /**
   * A row the CSV `scope` rules leave out (`scope: Mobile ID is not "ja"`); the row reader calls
   * it for each row it skips.
   */
  leftOut(record: SourceRecord, reason: string): void {
    if (this.matches(record)) this.scopedOut.push({ record: copy(record), reason });
  }

  private matches(record: SourceRecord): boolean {
    return low(record.email) === this.key || low(record.syncId) === this.key;
  }
}

/** RowRecord builds its place on each read: keep a plain copy. */
function copy(record: SourceRecord): SourceRecord {
  const { firstName, lastName, email, id, syncId } = record;
  return { place: record.place, firstName, lastName, email, id, syncId };
}

/** Each field with the column or expression it was read from (`column 3 "E-Mail"`, `columns.email`). */
function origins(record: SourceRecord, read: FieldOrigins | undefined): FieldOrigin[] {
  return FIELDS.map((field) => ({
    field,
    value: record[field],
    from: read?.[field]?.from ?? field,
    key: read?.[field]?.key ?? '',
    steps: [],
  }));
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
  const { sink } = read;
  const findings: PersonFinding[] = [
    ...sink.rows.map((r) => ({
      place: r.place.ref,
      verdict: 'included' as const,
      fields: origins(r, sink.origins),
    })),
    ...sink.scopedOut.map(({ record, reason }) => ({
      place: record.place.ref,
      verdict: 'left-out' as const,
      reason: `scope: ${reason}`,
      fields: origins(record, sink.origins),
    })),
  ];
  return {
    searched: `${file.path} (${plural(read.rows, 'row')}, by e-mail and Sync ID${changed})`,
    findings,
  };
}
