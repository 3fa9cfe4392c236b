/**
 * Streams one drop file into SourceRecords: decode (decode.ts) → csv-parse → map columns.
 * The file is never held as one string; per row the work is one array from csv-parse, a few
 * index reads and the record itself.
 *
 * Line numbers are physical lines (what an editor shows), counted where a record starts: csv-parse
 * counts a CRLF inside a quoted field as two lines, so we keep our own count and only look inside
 * the fields of a record that spans several lines.
 *
 * Everything that makes the *file* unusable (truncated, not text, no usable columns, changed while
 * read) is a CsvFileError; a bad *row* is just a record with odd or missing fields, for the validator.
 * Records go to a sink as they are read (the source's is the pipeline's RecordCollector, which keeps
 * only valid records and a capped list of rejections), so no file is ever held as one object per row.
 *
 * A file is complete only when its last row ends in a line break (CR or LF): a cut inside the last
 * field, or just after a delimiter, leaves a row that looks whole. `allowMissingFinalNewline` turns
 * that rule off for writers that never end their last row; a last row with too few fields is then
 * still refused. A cut inside a quoted field or inside a multi-byte character is refused always.
 *
 * Excel's `sep=;` first line (also `sep=,`, `sep=<tab>`, quoted, after a BOM) sets the delimiter and
 * is skipped; the rows after it keep their physical line numbers.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, type Options as CsvOptions, Parser } from 'csv-parse';
import type { Notice, SourceRecord } from '../../core/types.js';
import { type ColumnMapping, type MappingProblem, mapColumns } from './columns.js';
import type { CsvReadSettings } from './config.js';
import {
  binaryProblem,
  chooseEncoding,
  createDecoder,
  DecodeError,
  decodeSample,
  type EncodingChoice,
} from './decode.js';
import { type Delimiter, detectDelimiter, isHeaderRow } from './dialect.js';

const SAMPLE_BYTES = 64 * 1024;
const CHUNK_BYTES = 256 * 1024;
/** Non-blank rows looked at before deciding on the header and the column mapping. */
const SNIFF_ROWS = 5;

export interface FileIdentity {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

export function fileIdentity(s: Stats): FileIdentity {
  return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

export interface FileProblem {
  /** 1-based physical line, when the problem has one. */
  readonly line?: number | undefined;
  readonly reason: string;
  readonly fix: string;
}

/** The file as a whole cannot be used. `changed`: it was modified while read (try again later). */
export class CsvFileError extends Error {
  readonly problems: readonly FileProblem[];
  readonly changed: boolean;
  constructor(problems: readonly FileProblem[], changed = false) {
    super(problems.map((p) => p.reason).join('; '));
    this.name = 'CsvFileError';
    this.problems = problems;
    this.changed = changed;
  }
}

/** Takes each record as it is read. */
export interface RecordSink {
  add(record: SourceRecord): void;
}

export interface CsvReadOptions<S extends RecordSink = RecordSink> {
  readonly sourceName: string;
  /** The name used in record refs (`staff.csv:12`). */
  readonly fileName: string;
  readonly settings: CsvReadSettings;
  readonly signal: AbortSignal;
  /** A fresh sink per pass (a Windows-1252 restart reads the file again from the start). */
  readonly sink: () => S;
}

export interface CsvReadResult<S extends RecordSink = RecordSink> {
  /** The sink that took every record of the file. */
  readonly sink: S;
  /** Records handed to the sink (blank rows are not records). */
  readonly rows: number;
  /** SHA-256 (hex) of the file's bytes as read. */
  readonly sha256: string;
  readonly notices: Notice[];
  readonly encoding: EncodingChoice;
  readonly delimiter: Delimiter;
  /** Whether the first row was taken as a header (false for a file without rows). */
  readonly header: boolean;
  /** Undefined when the file holds no rows at all. */
  readonly mapping: ColumnMapping | undefined;
  /** Size, mtime and inode as read; settle archives the file only if it is still this one. */
  readonly identity: FileIdentity;
}

/** Reads and maps a whole file, or throws CsvFileError (an AbortError when `signal` fires). */
export async function readCsvFile<S extends RecordSink>(
  filePath: string,
  options: CsvReadOptions<S>,
): Promise<CsvReadResult<S>> {
  const handle = await open(filePath, 'r');
  let before: FileIdentity | undefined;
  try {
    before = fileIdentity(await handle.stat());
    const result = await readOpened(filePath, handle, before, options);
    await assertUnchanged(handle, filePath, before);
    return result;
  } catch (e) {
    // A truncated or garbled read is usually a writer still at work: report that, not the symptom.
    if (before && !(e instanceof CsvFileError && e.changed) && !isAbort(e)) {
      await assertUnchanged(handle, filePath, before);
    }
    throw e;
  } finally {
    await handle.close();
  }
}

async function assertUnchanged(handle: FileHandle, filePath: string, before: FileIdentity): Promise<void> {
  const after = fileIdentity(await handle.stat());
  const now = await stat(filePath).then(fileIdentity, () => undefined);
  if (sameFile(before, after) && now && sameFile(before, now)) return;
  throw new CsvFileError(
    [
      {
        reason: now
          ? 'the file changed while it was read'
          : 'the file was moved or deleted while it was read',
        fix: 'Let the writer finish first: write x.csv.tmp and rename it to x.csv when complete. The next run reads the file again.',
      },
    ],
    true,
  );
}

export function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

async function readOpened<S extends RecordSink>(
  filePath: string,
  handle: FileHandle,
  before: FileIdentity,
  options: CsvReadOptions<S>,
): Promise<CsvReadResult<S>> {
  const sample = Buffer.alloc(Math.min(SAMPLE_BYTES, before.size));
  const { bytesRead } = await handle.read(sample, 0, sample.length, 0);
  const head = sample.subarray(0, bytesRead);
  const whole = bytesRead >= before.size;
  let choice = chooseEncoding(head, whole, options.settings.encoding);
  const text = decodeSample(head, choice, whole);
  const binary = binaryProblem(head, text);
  if (binary) throw new CsvFileError([{ reason: `The file is not text: ${binary}`, fix: NOT_TEXT_FIX }]);
  const notices: Notice[] = [];
  const sep = sepLine(text);
  let delimiter: Delimiter;
  if (sep) {
    delimiter = sepDelimiter(sep, options, notices);
  } else {
    delimiter = options.settings.delimiter === 'auto' ? detectDelimiter(text) : options.settings.delimiter;
  }
  // The sep= line is ASCII: one byte per character, two in UTF-16.
  const unit = choice.encoding === 'utf-16le' || choice.encoding === 'utf-16be' ? 2 : 1;
  const skip = (): Skip => ({ bytes: choice.bomLength + (sep ? sep.length * unit : 0), lines: sep ? 1 : 0 });
  let rows: RowSink<S>;
  try {
    rows = await parseFile(filePath, choice, delimiter, options, skip());
  } catch (e) {
    // The sniffed start was valid UTF-8 but a later byte is not: the file is Windows-1252 after all.
    if (!(e instanceof DecodeError && e.problem === 'not-utf-8' && choice.how === 'valid UTF-8')) {
      throw await toFileError(e, handle, choice);
    }
    const line = await lineAtByte(handle, e.byteOffset, choice.encoding);
    choice = { encoding: 'windows-1252', bomLength: 0, how: 'not valid UTF-8' };
    notices.push({
      place: { source: options.sourceName, kind: 'csv-folder', ref: `${options.fileName}:${line}` },
      message: 'the file is not valid UTF-8 from this line on, so it was read as Windows-1252',
    });
    try {
      rows = await parseFile(filePath, choice, delimiter, options, skip());
    } catch (e2) {
      throw await toFileError(e2, handle, choice);
    }
  }
  const cut =
    (options.settings.allowMissingFinalNewline
      ? undefined
      : await noFinalLineEnd(handle, before.size, choice, rows)) ??
    (await cutOffLastRow(handle, before.size, choice, rows));
  if (cut) throw new CsvFileError([cut]);
  notices.push(...rows.notices);
  return {
    sink: rows.sink,
    rows: rows.count,
    sha256: rows.sha256,
    notices,
    encoding: choice,
    delimiter,
    header: rows.header,
    mapping: rows.mapping,
    identity: before,
  };
}

const NOT_TEXT_FIX =
  'Drop the CSV export itself: in Excel use File › Save As › "CSV UTF-8" or "CSV (Trennzeichen-getrennt)".';

function csvOptions(delimiter: Delimiter): CsvOptions {
  return {
    delimiter,
    // Explicit, so a file mixing CRLF and LF (or old Mac CR) never leaves a stray \r in a field.
    record_delimiter: ['\r\n', '\n', '\r'],
    quote: '"',
    escape: '"',
    bom: false,
    // A short row becomes missing fields (for the validator), not a failed file.
    relax_column_count: true,
    // A quote inside an unquoted field (`5" Monitor`, `O"Brien`) is kept as text.
    relax_quotes: true,
    skip_empty_lines: true,
  };
}

/** What precedes the rows: the BOM and a `sep=` line (bytes), and how many lines that is. */
interface Skip {
  readonly bytes: number;
  readonly lines: number;
}

async function parseFile<S extends RecordSink>(
  filePath: string,
  choice: EncodingChoice,
  delimiter: Delimiter,
  options: CsvReadOptions<S>,
  skip: Skip,
): Promise<RowSink<S>> {
  const sink = new RowSink(options, skip.lines);
  const parser = new RecordParser(csvOptions(delimiter), sink);
  const hash = new HashSkip(skip.bytes);
  // A stream of its own: pipeline destroys its streams on error, which would close a shared handle
  // still needed for the line lookup, a Windows-1252 restart and the final stat. Should the path
  // be replaced meanwhile, that final stat reports the change.
  const input = createReadStream(filePath, { highWaterMark: CHUNK_BYTES });
  try {
    await pipeline(input, hash, createDecoder(choice), parser, { signal: options.signal });
  } catch (e) {
    if (e instanceof CsvError) throw new ParseFailure(e, sink.nextRecordLine(e));
    throw e;
  }
  const failure = sink.finish();
  if (failure) throw failure;
  sink.sha256 = hash.digest();
  return sink;
}

/** Hashes every byte of the file and passes on those after the first `skip` (BOM, sep= line). */
class HashSkip extends Transform {
  private readonly hash = createHash('sha256');
  private skip: number;

  constructor(skip: number) {
    super();
    this.skip = skip;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    if (this.skip >= chunk.length) {
      this.skip -= chunk.length;
      done();
      return;
    }
    const out = this.skip > 0 ? chunk.subarray(this.skip) : chunk;
    this.skip = 0;
    done(null, out);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Excel's `sep=;` line: `sep=` and one character (a tab may also be written `\t` or `tab`),
 * optionally quoted, optionally followed by empty cells, then a line end. Returns the line with its
 * line end, or undefined.
 */
const SEP_RE = /^"?sep=(\\t|tab|[^\r\n"])"?[ \t,;"]*(?:\r\n|\n|\r)/i;

interface SepLine {
  /** The declared delimiter character. */
  readonly char: string;
  /** Characters of the line including its line end. */
  readonly length: number;
}

function sepLine(text: string): SepLine | undefined {
  const m = SEP_RE.exec(text);
  if (!m) return undefined;
  const raw = m[1]!;
  const char = raw === '\\t' || raw.toLowerCase() === 'tab' ? '\t' : raw;
  return { char, length: m[0].length };
}

const SEP_DELIMITERS: readonly string[] = [',', ';', '\t'];

function sepDelimiter(sep: SepLine, options: CsvReadOptions, notices: Notice[]): Delimiter {
  const name = sep.char === '\t' ? 'tab' : `"${sep.char}"`;
  if (!SEP_DELIMITERS.includes(sep.char)) {
    throw new CsvFileError([
      {
        line: 1,
        reason: `the file's first line sep=${sep.char} declares the delimiter ${name}, which this source does not read`,
        fix: 'Export with a comma, semicolon or tab as the delimiter (Excel: "CSV (Trennzeichen-getrennt)" or "CSV UTF-8").',
      },
    ]);
  }
  const delimiter = sep.char as Delimiter;
  const configured = options.settings.delimiter;
  const place = { source: options.sourceName, kind: 'csv-folder' as const, ref: `${options.fileName}:1` };
  notices.push({
    place,
    message:
      configured !== 'auto' && configured !== delimiter
        ? `the file's sep= line declares ${name} as the delimiter, which overrides the configured ${configured === '\t' ? 'tab' : `"${configured}"`}`
        : `the file starts with Excel's sep= line: read as ${name}-separated, the line itself skipped`,
  });
  return delimiter;
}

/** csv-parse hands each record to `push`; taking it there keeps the live line counters and skips stream buffering. */
class RecordParser extends Parser {
  private readonly sink: RowSink;

  constructor(options: CsvOptions, sink: RowSink) {
    super(options);
    this.sink = sink;
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(null, encoding);
    if (this.sink.failure) return true;
    const failure = this.sink.row(chunk as string[], this.info.lines, this.info.empty_lines);
    if (failure) this.destroy(failure);
    return true;
  }
}

class ParseFailure extends Error {
  readonly csv: CsvError;
  readonly line: number;
  constructor(csv: CsvError, line: number) {
    super(csv.message);
    this.csv = csv;
    this.line = line;
  }
}

/** Collects rows: decides header and mapping from the first rows, then builds one record per row. */
class RowSink<S extends RecordSink = RecordSink> {
  readonly sink: S;
  /** Records handed to the sink. */
  count = 0;
  sha256 = '';
  readonly notices: Notice[] = [];
  header = false;
  mapping: ColumnMapping | undefined;
  failure: CsvFileError | undefined;
  /** The last non-blank row: a file cut off mid-row ends in one with too few fields. */
  lastRow: { readonly line: number; readonly fields: number } | undefined;
  /** Where the last non-blank row of any kind (header too) starts. */
  lastNonBlankLine: number | undefined;

  private readonly options: CsvReadOptions<S>;
  private readonly source: string;
  private readonly refPrefix: string;
  private lastLine = 0;
  private csvLines = 0;
  private csvEmpty = 0;
  private pending: { readonly fields: string[]; readonly line: number }[] = [];
  private iFirst = 0;
  private iLast = 0;
  private iEmail = 0;
  private iId = 0;
  private iSync = -1;

  /** `skippedLines`: lines before the first row (a `sep=` line). */
  constructor(options: CsvReadOptions<S>, skippedLines: number) {
    this.options = options;
    this.sink = options.sink();
    this.source = options.sourceName;
    this.refPrefix = `${options.fileName}:`;
    this.lastLine = skippedLines;
  }

  /** `lines` / `empty` are csv-parse's counters when the record ended. Returns a failure to stop on. */
  row(fields: string[], lines: number, empty: number): CsvFileError | undefined {
    const skipped = empty - this.csvEmpty;
    const start = this.lastLine + 1 + skipped;
    this.lastLine = lines - this.csvLines === 1 + skipped ? start : start + countLineBreaks(fields);
    this.csvLines = lines;
    this.csvEmpty = empty;
    if (!isBlankRow(fields)) this.lastNonBlankLine = start;
    if (this.mapping) {
      this.emit(fields, start);
      return undefined;
    }
    if (isBlankRow(fields)) return undefined;
    this.pending.push({ fields, line: start });
    return this.pending.length >= SNIFF_ROWS ? this.decide() : undefined;
  }

  /** The line a record that failed to parse starts on. */
  nextRecordLine(e: CsvError): number {
    const empty = typeof e.empty_lines === 'number' ? e.empty_lines : this.csvEmpty;
    return this.lastLine + 1 + Math.max(0, empty - this.csvEmpty);
  }

  finish(): CsvFileError | undefined {
    if (this.failure) return this.failure;
    if (!this.mapping && this.pending.length > 0) return this.decide();
    return undefined;
  }

  private decide(): CsvFileError | undefined {
    const { settings, sourceName, fileName } = this.options;
    const rows = this.pending.map((p) => p.fields);
    this.header = isHeaderRow(settings.header, rows, settings.columns);
    const data = this.header ? this.pending.slice(1) : this.pending;
    const result = mapColumns({
      header: this.header ? rows[0] : undefined,
      sample: data.map((p) => p.fields),
      columns: settings.columns,
      syncId: settings.syncId,
    });
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

  private emit(f: string[], line: number): void {
    const firstName = f[this.iFirst];
    const lastName = f[this.iLast];
    const email = f[this.iEmail];
    const id = f[this.iId];
    const syncId = this.iSync >= 0 ? f[this.iSync] : deriveSyncId(email);
    // Excel leaves rows like ";;;;" after the data: not a person.
    if (isBlank(firstName) && isBlank(lastName) && isBlank(email) && isBlank(id) && isBlank(syncId)) return;
    this.lastRow = { line, fields: f.length };
    this.count++;
    this.sink.add({
      place: { source: this.source, kind: 'csv-folder', ref: this.refPrefix + line },
      firstName,
      lastName,
      email,
      id,
      syncId,
    });
  }
}

/**
 * A file whose last row has fewer fields than the mapping reads and no line break after it was
 * cut off mid-row (a copy or export that stopped early). Reading it would drop that person and so
 * delete them, under every deletion limit: the whole file is unusable instead.
 */
async function cutOffLastRow(
  handle: FileHandle,
  size: number,
  choice: EncodingChoice,
  rows: RowSink,
): Promise<FileProblem | undefined> {
  const m = rows.mapping;
  const last = rows.lastRow;
  if (!m || !last) return undefined;
  const needed = Math.max(m.firstName, m.lastName, m.email, m.id, m.syncId) + 1;
  if (last.fields >= needed) return undefined;
  if ((await lastChar(handle, size, choice)).lineEnd) return undefined;
  return {
    line: last.line,
    reason: `the file is cut off: its last row (line ${last.line}) has ${last.fields} of ${needed} fields and no line end`,
    fix: 'Export the file again completely (writers: write x.csv.tmp and rename it when complete).',
  };
}

/**
 * A file with any row whose last byte is not a line end was cut off, however whole its last row
 * looks: a cut inside the last field or right after a delimiter leaves a row with every field.
 * Trailing spaces, tabs and a DOS end-of-file mark (Ctrl-Z) after the last line end are allowed.
 */
async function noFinalLineEnd(
  handle: FileHandle,
  size: number,
  choice: EncodingChoice,
  rows: RowSink,
): Promise<FileProblem | undefined> {
  const line = rows.lastNonBlankLine;
  if (line === undefined) return undefined;
  const end = await lastChar(handle, size, choice);
  if (end.lineEnd || end.empty) return undefined;
  return {
    line,
    reason: `the file is cut off: it does not end with a line break, so its last row (line ${line}) may be incomplete`,
    fix: "Export the file again completely (writers: write x.csv.tmp and rename it when complete). If this writer never ends its last row with a line break, set the source's allowMissingFinalNewline to true.",
  };
}

/** Whether the file ends in a line end, looking back past spaces, tabs and Ctrl-Z. */
async function lastChar(
  handle: FileHandle,
  size: number,
  choice: EncodingChoice,
): Promise<{ readonly lineEnd: boolean; readonly empty: boolean }> {
  const unit = choice.encoding === 'utf-16le' || choice.encoding === 'utf-16be' ? 2 : 1;
  const want = Math.min(size - choice.bomLength, 256) & (unit === 2 ? ~1 : ~0);
  const tail = Buffer.alloc(Math.max(0, want));
  await handle.read(tail, 0, tail.length, size - tail.length);
  for (let i = tail.length - unit; i >= 0; i -= unit) {
    const c =
      unit === 1
        ? tail[i]
        : choice.encoding === 'utf-16le'
          ? tail[i + 1] === 0
            ? tail[i]
            : -1
          : tail[i] === 0
            ? tail[i + 1]
            : -1;
    if (c === 0x0a || c === 0x0d) return { lineEnd: true, empty: false };
    if (c !== 0x20 && c !== 0x09 && c !== 0x1a) return { lineEnd: false, empty: false };
  }
  return { lineEnd: false, empty: tail.length < 256 };
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
  return fields.every(isBlank);
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

async function toFileError(e: unknown, handle: FileHandle, choice: EncodingChoice): Promise<unknown> {
  if (e instanceof CsvFileError) return e;
  if (e instanceof ParseFailure) {
    if (e.csv.code === 'CSV_QUOTE_NOT_CLOSED') {
      return new CsvFileError([
        {
          line: e.line,
          reason: `a quoted field starting on line ${e.line} is never closed: the file is cut off or has a stray quote`,
          fix: `Export the file again completely; if it is complete, close or remove the quote on line ${e.line}.`,
        },
      ]);
    }
    return new CsvFileError([
      {
        line: e.line,
        reason: `the file cannot be read as CSV from line ${e.line}: ${e.csv.message}`,
        fix: 'Check the file near that line and save it again as CSV.',
      },
    ]);
  }
  if (e instanceof DecodeError) {
    const line = await lineAtByte(handle, e.byteOffset, choice.encoding);
    if (e.problem === 'binary') {
      return new CsvFileError([{ line, reason: `The file is not text: ${e.message}`, fix: NOT_TEXT_FIX }]);
    }
    if (e.problem === 'cut') {
      return new CsvFileError([
        {
          line,
          reason: `the file is cut off: ${e.message}`,
          fix: 'Export the file again completely (writers: write x.csv.tmp and rename it when complete).',
        },
      ]);
    }
    if (e.problem === 'not-utf-8') {
      const why = choice.how === 'bom' ? ' although it starts with a UTF-8 byte order mark' : '';
      return new CsvFileError([
        {
          line,
          reason: `the file is not valid UTF-8${why} (${e.message})`,
          fix: "Export it as \"CSV UTF-8\", or set this source's encoding to 'windows-1252' (or 'auto').",
        },
      ]);
    }
    return new CsvFileError([
      {
        line,
        reason: `the file is not valid ${choice.encoding.toUpperCase()}: ${e.message}`,
        fix: 'Export the file again (Excel: "Unicode Text"), or set encoding to match the file.',
      },
    ]);
  }
  return e;
}

/** The 1-based line holding byte `offset` (LF, CR or CRLF end a line). Only used on error paths. */
async function lineAtByte(
  handle: FileHandle,
  offset: number,
  encoding: EncodingChoice['encoding'],
): Promise<number> {
  const wide = encoding === 'utf-16le' || encoding === 'utf-16be';
  const unit = wide ? 2 : 1;
  const lf = encoding === 'utf-16be' ? 1 : 0;
  const buf = Buffer.alloc(CHUNK_BYTES);
  let line = 1;
  let pos = 0;
  let lastWasCr = false;
  while (pos < offset) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, offset - pos), pos);
    if (bytesRead === 0) break;
    for (let i = 0; i + unit <= bytesRead; i += unit) {
      const other = wide ? buf[i + 1 - lf] : 0;
      const c = other === 0 ? buf[i + lf] : -1;
      if (c === 10) {
        if (!lastWasCr) line++;
        lastWasCr = false;
      } else if (c === 13) {
        line++;
        lastWasCr = true;
      } else lastWasCr = false;
    }
    pos += bytesRead;
  }
  return line;
}
