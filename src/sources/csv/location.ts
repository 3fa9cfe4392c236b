/**
 * Where a file-level problem is: a csv-parse failure or a decoding error becomes a CsvFileError
 * naming the physical line, found by counting line ends up to the failing byte (error paths only).
 */
import type { FileHandle } from 'node:fs/promises';
import { codeUnitBytes, DecodeError, type EncodingChoice } from './decode.js';
import { CsvFileError, CUT_OFF_FIX, NOT_TEXT_FIX } from './file-error.js';
import { CHUNK_BYTES, ParseFailure } from './stream.js';

/** The CsvFileError for a failed read; anything else (an abort, an I/O error) is returned as is. */
export async function toFileError(e: unknown, handle: FileHandle, choice: EncodingChoice): Promise<unknown> {
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
          fix: CUT_OFF_FIX,
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
export async function lineAtByte(
  handle: FileHandle,
  offset: number,
  encoding: EncodingChoice['encoding'],
): Promise<number> {
  const unit = codeUnitBytes(encoding);
  const wide = unit === 2;
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
