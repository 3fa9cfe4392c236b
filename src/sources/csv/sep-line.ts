/**
 * Excel's `sep=;` first line (also `sep=,`, `sep=<tab>`, quoted, after a BOM) sets the delimiter and
 * is skipped; the rows after it keep their physical line numbers.
 */
import type { Notice } from '../../core/types.js';
import type { Delimiter } from './dialect.js';
import { CsvFileError } from './file-error.js';
import type { CsvReadOptions } from './stream.js';

/**
 * Excel's `sep=;` line: `sep=` and one character (a tab may also be written `\t` or `tab`),
 * optionally quoted, optionally followed by empty cells, then a line end. Returns the line with its
 * line end, or undefined.
 */
const SEP_RE = /^"?sep=(\\t|tab|[^\r\n"])"?[ \t,;"]*(?:\r\n|\n|\r)/i;

export interface SepLine {
  /** The declared delimiter character. */
  readonly char: string;
  /** Characters of the line including its line end. */
  readonly length: number;
}

export function sepLine(text: string): SepLine | undefined {
  const m = SEP_RE.exec(text);
  if (!m) return undefined;
  const raw = m[1]!;
  const char = raw === '\\t' || raw.toLowerCase() === 'tab' ? '\t' : raw;
  return { char, length: m[0].length };
}

const SEP_DELIMITERS: readonly string[] = [',', ';', '\t'];

export function sepDelimiter(sep: SepLine, options: CsvReadOptions, notices: Notice[]): Delimiter {
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
