/**
 * Reads one drop file into SourceRecords: sniff the encoding and dialect from the first bytes, then
 * stream the file once (stream.ts: decode → csv-parse → rows.ts), handing each record to a sink
 * (the source's is the pipeline's RecordCollector, which keeps only valid records and a capped
 * list of rejections), so no file is ever held as one object per row.
 *
 * Everything that makes the *file* unusable (truncated, not text, no usable columns, changed while
 * read) is a CsvFileError (file-error.ts, with its line from location.ts); a bad *row* is just a
 * record with odd or missing fields, for the validator. A cut inside a quoted field or inside a
 * multi-byte character is refused always; a missing final line end as cutoff.ts says. A file that
 * changed while read is refused (identity.ts).
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { Notice } from '../../core/types.js';
import type { ColumnMapping } from './columns.js';
import { cutOffAtEnd } from './cutoff.js';
import {
  binaryProblem,
  chooseEncoding,
  codeUnitBytes,
  DecodeError,
  decodeSample,
  type EncodingChoice,
} from './decode.js';
import { type Delimiter, detectDelimiter } from './dialect.js';
import { CsvFileError, isAbort, NOT_TEXT_FIX } from './file-error.js';
import { assertUnchanged, type FileIdentity, fileIdentity } from './identity.js';
import { lineAtByte, toFileError } from './location.js';
import type { RecordSink, RowSink } from './rows.js';
import { sepDelimiter, sepLine } from './sep-line.js';
import { type CsvReadOptions, parseFile, type Skip } from './stream.js';

const SAMPLE_BYTES = 64 * 1024;

export interface CsvReadResult<S extends RecordSink = RecordSink> {
  /** The sink that took every record of the file. */
  readonly sink: S;
  /** Records handed to the sink (blank rows and rows `scope` left out are not records). */
  readonly rows: number;
  /** Rows `scope` left out (a notice says so); plan --explain re-reads the file to name them. */
  readonly scopedOut: number;
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
  const unit = codeUnitBytes(choice.encoding);
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
  const cut = await cutOffAtEnd(handle, before.size, choice, rows, options.settings.allowMissingFinalNewline);
  if (cut) throw new CsvFileError([cut]);
  notices.push(...rows.notices);
  return {
    sink: rows.sink,
    rows: rows.count,
    scopedOut: rows.scopedOut,
    sha256: rows.sha256,
    notices,
    encoding: choice,
    delimiter,
    header: rows.header,
    mapping: rows.mapping,
    identity: before,
  };
}
