/**
 * One pass over a drop file: bytes → hash (and skip BOM / sep= line) → decoder → csv-parse → rows.
 * The file is never held as one string; per row the work is one array from csv-parse, a few index
 * reads and the record itself.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, type Options as CsvOptions, Parser } from 'csv-parse';
import { createDecoder, type EncodingChoice } from './decode.js';
import type { Delimiter } from './dialect.js';
import { type RecordSink, type RowOptions, RowSink } from './rows.js';

/**
 * Bytes read at a time (also the buffer of the error-path line lookup). 64 KiB, not more: csv-parse
 * copies each chunk once (its carried partial row + the chunk), and buffers above glibc's mmap
 * threshold are fresh pages every time; 256 KiB cost 10 % more CPU and 65 MB more RSS at 1M rows.
 */
export const CHUNK_BYTES = 64 * 1024;

export interface CsvReadOptions<S extends RecordSink = RecordSink> extends RowOptions<S> {
  readonly signal: AbortSignal;
}

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
export interface Skip {
  readonly bytes: number;
  readonly lines: number;
}

/** Reads the whole file once through a fresh RowSink; a csv-parse error becomes a ParseFailure with its line. */
export async function parseFile<S extends RecordSink>(
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
    // The decoder starts after the skipped bytes (BOM and sep= line): its error offsets are the file's.
    await pipeline(input, hash, createDecoder(choice, skip.bytes), parser, { signal: options.signal });
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

/** csv-parse gave up; `line` is where the record it failed on starts. */
export class ParseFailure extends Error {
  readonly csv: CsvError;
  readonly line: number;
  constructor(csv: CsvError, line: number) {
    super(csv.message);
    this.csv = csv;
    this.line = line;
  }
}
