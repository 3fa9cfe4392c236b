/**
 * From parsed rows to records: the first rows decide the header and the column mapping, then each
 * row becomes one record handed to the sink as it is read.
 *
 * Line numbers are physical lines (what an editor shows), counted where a record starts: csv-parse
 * counts a CRLF inside a quoted field as two lines, so we keep our own count and only look inside
 * the fields of a record that spans several lines.
 */
import type { CsvError } from 'csv-parse';
import type { ConfigError } from '../../core/errors.js';
import type { FieldOrigins } from '../../core/source.js';
import { FIELDS, type Field, type Notice, type Place, type SourceRecord } from '../../core/types.js';
import type { Lookup } from '../../mapping/index.js';
import { type FieldExpressions, MAPPED_FIELDS } from '../field-map.js';
import {
  type ColumnMapping,
  inputColumns,
  type MappingProblem,
  mapColumns,
  normalizeHeader,
} from './columns.js';
import type { CsvReadSettings } from './config.js';
import { isHeaderRow } from './dialect.js';
import { CsvFileError } from './file-error.js';
import { type BoundScope, bindScope, leftOutBy, scopeNoticeText } from './scope.js';

/** Non-blank rows looked at before deciding on the header and the column mapping. */
const SNIFF_ROWS = 5;

/** Takes each record as it is read. */
export interface RecordSink {
  add(record: SourceRecord): void;
  /** Told once the columns are known: where each field is read, for rejection hints. */
  setFieldOrigins?(origins: FieldOrigins): void;
  /** A row a `scope` rule leaves out, with the rule's reason (`plan --explain` names it). */
  leftOut?(record: SourceRecord, reason: string): void;
}

/** The `map.*` expressions of a file, with the column each of their inputs names. */
interface MappedColumns {
  readonly expressions: FieldExpressions;
  readonly columns: ReadonlyMap<string, number>;
}

/** What the records of one file share: their place but for the line. */
interface RowFile {
  readonly source: string;
  readonly refPrefix: string;
}

/**
 * One row's record. Its place (`staff.csv:12`) is built when read, not per row: most rows are never
 * named, and a place object with its ref string per row was a third of the heap at a million rows
 * (and that much more for the garbage collector to copy). Each read of `place` returns a new plain
 * object: compare places by their fields, never by identity.
 */
class RowRecord implements SourceRecord {
  readonly firstName: string | undefined;
  readonly lastName: string | undefined;
  readonly email: string | undefined;
  readonly id: string | undefined;
  readonly syncId: string | undefined;
  // Private, so spreads, JSON and equality see only the record's fields.
  readonly #file: RowFile;
  readonly #line: number;

  constructor(
    file: RowFile,
    line: number,
    firstName: string | undefined,
    lastName: string | undefined,
    email: string | undefined,
    id: string | undefined,
    syncId: string | undefined,
  ) {
    this.firstName = firstName;
    this.lastName = lastName;
    this.email = email;
    this.id = id;
    this.syncId = syncId;
    this.#file = file;
    this.#line = line;
  }

  get place(): Place {
    return { source: this.#file.source, kind: 'csv-folder', ref: this.#file.refPrefix + this.#line };
  }
}

/** A row with fewer fields than the mapped columns need: one rejection that says so, not "ID is empty". */
class ShortRowRecord extends RowRecord {
  readonly unreadable: { readonly reason: string; readonly fix: string };

  constructor(record: ConstructorParameters<typeof RowRecord>, fields: number, expected: string) {
    super(...record);
    this.unreadable = {
      reason: `the row has ${fields} field${fields === 1 ? '' : 's'} where ${expected} are expected`,
      fix: 'complete the row, or quote a field that holds the delimiter',
    };
  }
}

/** What the rows of one file are read for. */
export interface RowOptions<S extends RecordSink = RecordSink> {
  readonly sourceName: string;
  /** The name used in record refs (`staff.csv:12`). */
  readonly fileName: string;
  readonly settings: CsvReadSettings;
  /** A fresh sink per pass (a Windows-1252 restart reads the file again from the start). */
  readonly sink: () => S;
}

/** Collects rows: decides header and mapping from the first rows, then builds one record per row. */
export class RowSink<S extends RecordSink = RecordSink> {
  readonly sink: S;
  /** Records handed to the sink. */
  count = 0;
  sha256 = '';
  readonly notices: Notice[] = [];
  header = false;
  mapping: ColumnMapping | undefined;
  /** A file problem, or a scope naming a column the file lacks (a config problem, not the file's). */
  failure: CsvFileError | ConfigError | undefined;
  /** Rows `scope` left out (not records, never rejections), per rule. */
  private scope: BoundScope | undefined;
  private readonly scopeCounts: number[] = [];
  /** Where the last record starts (0: none yet) and its field count, kept as numbers: no object per row. */
  private lastRowLine = 0;
  private lastRowFields = 0;
  /** Where the last non-blank row of any kind (header too) starts. */
  lastNonBlankLine: number | undefined;

  private readonly options: RowOptions<S>;
  private readonly file: RowFile;
  private readonly names = new NamePool();
  private lastLine = 0;
  private csvLines = 0;
  private csvEmpty = 0;
  private pending: { readonly fields: string[]; readonly line: number }[] = [];
  private iFirst = 0;
  private iLast = 0;
  private iEmail = 0;
  private iId = 0;
  private iSync = -1;
  /** Set only when the source has `map.*` expressions: the plain path never looks further. */
  private mapped: MappedColumns | undefined;
  private needed = 0;
  private expected = '';

  /** `skippedLines`: lines before the first row (a `sep=` line). */
  constructor(options: RowOptions<S>, skippedLines: number) {
    this.options = options;
    this.sink = options.sink();
    this.file = { source: options.sourceName, refPrefix: `${options.fileName}:` };
    this.lastLine = skippedLines;
  }

  /** `lines` / `empty` are csv-parse's counters when the record ended. Returns a failure to stop on. */
  row(fields: string[], lines: number, empty: number): CsvFileError | ConfigError | undefined {
    const skipped = empty - this.csvEmpty;
    const start = this.lastLine + 1 + skipped;
    this.lastLine = lines - this.csvLines === 1 + skipped ? start : start + countLineBreaks(fields);
    this.csvLines = lines;
    this.csvEmpty = empty;
    const blank = isBlankRow(fields);
    if (!blank) this.lastNonBlankLine = start;
    if (this.mapping) {
      this.emit(fields, start);
      return undefined;
    }
    if (blank) return undefined;
    this.pending.push({ fields, line: start });
    return this.pending.length >= SNIFF_ROWS ? this.decide() : undefined;
  }

  /** The last record's row: a file cut off mid-row ends in one with too few fields. */
  get lastRow(): { readonly line: number; readonly fields: number } | undefined {
    return this.lastRowLine > 0 ? { line: this.lastRowLine, fields: this.lastRowFields } : undefined;
  }

  /** The line a record that failed to parse starts on. */
  nextRecordLine(e: CsvError): number {
    const empty = typeof e.empty_lines === 'number' ? e.empty_lines : this.csvEmpty;
    return this.lastLine + 1 + Math.max(0, empty - this.csvEmpty);
  }

  /** Rows `scope` left out. */
  get scopedOut(): number {
    return this.scopeCounts.reduce((a, b) => a + b, 0);
  }

  finish(): CsvFileError | ConfigError | undefined {
    if (this.failure) return this.failure;
    if (!this.mapping && this.pending.length > 0) {
      const failure = this.decide();
      if (failure) return failure;
    }
    const text = this.scope ? scopeNoticeText(this.scope, this.scopeCounts) : undefined;
    if (text) {
      const { sourceName, fileName } = this.options;
      this.notices.push({ place: { source: sourceName, kind: 'csv-folder', ref: fileName }, message: text });
    }
    return undefined;
  }

  private decide(): CsvFileError | ConfigError | undefined {
    const { settings, sourceName, fileName } = this.options;
    const rows = this.pending.map((p) => p.fields);
    this.header = isHeaderRow(settings.header, rows, settings.columns);
    const data = this.header ? this.pending.slice(1) : this.pending;
    const header = this.header ? rows[0] : undefined;
    const expressions = settings.expressions;
    if (settings.scope) {
      const width = Math.max(header?.length ?? 0, ...data.map((p) => p.fields.length));
      try {
        this.scope = bindScope(settings.scope, header, width, fileName, normalizeHeader);
      } catch (e) {
        this.failure = e as ConfigError;
        return this.failure;
      }
    }
    const result = mapColumns({
      header,
      sample: data.map((p) => p.fields),
      columns: settings.columns,
      syncId: settings.syncId,
      mapped: expressions && new Set(MAPPED_FIELDS.filter((f) => expressions[f])),
      ...(this.scope && header ? { reserved: new Set(this.scope.columns) } : {}),
    });
    const inputs = expressions && this.mapInputs(expressions, header, rows);
    if (inputs && !inputs.ok) {
      const line = this.pending[0]?.line;
      this.failure = new CsvFileError(inputs.problems.map((p: MappingProblem) => ({ line, ...p })));
      return this.failure;
    }
    if (!result.ok) {
      const line = this.pending[0]?.line;
      this.failure = new CsvFileError(result.problems.map((p: MappingProblem) => ({ line, ...p })));
      return this.failure;
    }
    const m = result.mapping;
    this.mapping = m;
    this.iFirst = m.firstName;
    this.iLast = m.lastName;
    this.iEmail = m.email;
    this.iId = m.id;
    this.iSync = m.syncId;
    if (expressions && inputs?.ok) this.mapped = { expressions, columns: inputs.columns };
    this.sink.setFieldOrigins?.(originsOf(m, header, expressions ?? {}, settings.syncId));
    // Fields a row needs: every mapped column and every column an expression reads; "4 or 5" when
    // a headerless file may add a Sync ID.
    const read = this.mapped ? [...this.mapped.columns.values()] : [];
    this.needed = Math.max(m.firstName, m.lastName, m.email, m.id, m.syncId, ...read) + 1;
    const optional = !this.header && m.derivedSyncId && settings.syncId !== 'derive';
    this.expected = optional ? `${this.needed} or ${this.needed + 1}` : String(this.needed);
    if (m.derivedSyncId) {
      this.notices.push({
        place: { source: sourceName, kind: 'csv-folder', ref: fileName },
        message:
          settings.syncId === 'derive'
            ? "Sync ID derived from the e-mail (syncId: 'derive'): an e-mail change deletes and re-invites the person"
            : 'no Sync ID column: Sync ID derived from the e-mail, so an e-mail change deletes and re-invites the person (add a column such as the personnel number)',
      });
    }
    for (const p of data) this.emit(p.fields, p.line);
    this.pending = [];
    return undefined;
  }

  /** The columns the expressions read, or why one is missing. */
  private mapInputs(
    expressions: FieldExpressions,
    header: readonly string[] | undefined,
    rows: readonly string[][],
  ) {
    const named = MAPPED_FIELDS.flatMap((f) =>
      (expressions[f]?.inputs ?? []).map((name) => ({ name, key: `map.${f}` })),
    );
    const width = Math.max(0, ...rows.map((r) => r.length));
    return inputColumns(named, header, width);
  }

  private emit(f: string[], line: number): void {
    let firstName: string | undefined;
    let lastName: string | undefined;
    let email: string | undefined;
    let id: string | undefined;
    const x = this.mapped;
    if (x === undefined) {
      firstName = this.names.share(f[this.iFirst]);
      lastName = this.names.share(f[this.iLast]);
      email = f[this.iEmail];
      id = f[this.iId];
    } else {
      const { expressions: e, columns } = x;
      // Columns by the map built at decide(), never a property named by the expression.
      const get: Lookup = (name) => {
        const i = columns.get(name);
        return i === undefined ? undefined : f[i];
      };
      firstName = this.names.share(e.firstName ? e.firstName.evaluate(get) : f[this.iFirst]);
      lastName = this.names.share(e.lastName ? e.lastName.evaluate(get) : f[this.iLast]);
      email = e.email ? e.email.evaluate(get) : f[this.iEmail];
      id = e.id ? e.id.evaluate(get) : f[this.iId];
    }
    const syncId = this.iSync >= 0 ? f[this.iSync] : deriveSyncId(email);
    // Excel leaves rows like ";;;;" after the data: not a person.
    if (isBlank(firstName) && isBlank(lastName) && isBlank(email) && isBlank(id) && isBlank(syncId)) return;
    // A row left out still counts as the file's last row: a cut-off last row must not hide there.
    this.lastRowLine = line;
    this.lastRowFields = f.length;
    if (this.scope !== undefined) {
      const rule = leftOutBy(this.scope, f);
      if (rule >= 0) {
        this.scopeCounts[rule] = (this.scopeCounts[rule] ?? 0) + 1;
        const reason = this.scope.rules[rule]?.reason;
        if (this.sink.leftOut && reason !== undefined)
          this.sink.leftOut(new RowRecord(this.file, line, firstName, lastName, email, id, syncId), reason);
        return;
      }
    }
    this.count++;
    // The common row is built directly: no argument array and spread per row.
    if (f.length >= this.needed) {
      this.sink.add(new RowRecord(this.file, line, firstName, lastName, email, id, syncId));
      return;
    }
    const record: ConstructorParameters<typeof RowRecord> = [
      this.file,
      line,
      firstName,
      lastName,
      email,
      id,
      syncId,
    ];
    this.sink.add(new ShortRowRecord(record, f.length, this.expected));
  }
}

/** Where each field of this file is read: the expression, the column, or the derived Sync ID. */
function originsOf(
  m: ColumnMapping,
  header: readonly string[] | undefined,
  expressions: FieldExpressions,
  syncIdMode: string,
): FieldOrigins {
  const out: { -readonly [K in Field]?: { from: string; key: string } } = {};
  for (const field of FIELDS) {
    const e = field === 'syncId' ? undefined : expressions[field];
    const i = m[field];
    if (e) out[field] = { from: `the expression ${e.text}`, key: `map.${field}` };
    else if (i >= 0) {
      const name = header?.[i];
      out[field] = {
        from: `column ${i + 1}${name !== undefined ? ` "${name}"` : ''}`,
        key: field === 'syncId' ? 'columns.syncId' : `columns.${field} or map.${field}`,
      };
    } else if (field === 'syncId') {
      out.syncId = {
        from: 'the e-mail (no Sync ID column)',
        key: syncIdMode === 'derive' ? 'syncId' : 'columns.syncId',
      };
    }
  }
  return out;
}

/** Distinct names kept for sharing; past this, new names are kept as read (bounded memory). */
const NAME_POOL_SIZE = 65_536;

/**
 * One string per distinct first / last name: a staff list repeats names (a thousand Thomases), and
 * every record is held until the run ends, so sharing them saves memory and the garbage
 * collector's copying. The copy csv-parse made dies young, which costs nothing.
 */
class NamePool {
  private readonly pool = new Map<string, string>();

  share(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    const known = this.pool.get(name);
    if (known !== undefined) return known;
    if (this.pool.size < NAME_POOL_SIZE) this.pool.set(name, name);
    return name;
  }
}

/**
 * The Sync ID of a file without one: the e-mail, trimmed and lower-cased, with no prefix. That is
 * the key MIM itself matches on when a file has no Sync ID, so the behaviour is MIM's own: an
 * e-mail change is a delete and a new invitation.
 */
export function deriveSyncId(email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  const key = email.trim().toLowerCase();
  return key.length > 0 ? key : undefined;
}

// Whitespace, and the DOS end-of-file mark (Ctrl-Z) old exporters still write after the last row.
const BLANK_RE = /^[\s\x1a]*$/;

function isBlank(s: string | undefined): boolean {
  return s === undefined || s.length === 0 || (s.charCodeAt(0) <= 32 && BLANK_RE.test(s));
}

function isBlankRow(fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i++) if (!isBlank(fields[i])) return false;
  return true;
}

/** Line breaks inside the fields of one record; CRLF counts once. */
function countLineBreaks(fields: readonly string[]): number {
  let n = 0;
  for (const f of fields) {
    for (let i = 0; i < f.length; i++) {
      const c = f.charCodeAt(i);
      if (c === 10) n++;
      else if (c === 13) {
        n++;
        if (f.charCodeAt(i + 1) === 10) i++;
      }
    }
  }
  return n;
}
