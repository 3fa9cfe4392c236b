/**
 * A strict RFC 4180 reader for the emulator: `,` delimiter, CRLF or LF line ends, `"` quoting with `""`
 * escapes. It keeps what a lenient parser would paper over (a stray quote, text after a closing quote,
 * a line break inside a quoted field) so the validator can reject it with the line it starts on.
 * Pure: no I/O.
 */

export interface CsvRecord {
  /** 1-based physical line the record starts on. */
  readonly line: number;
  readonly fields: string[];
  /** A syntax problem inside the record; its fields are then not trustworthy. */
  readonly syntaxError?: string;
}

export interface CsvParseResult {
  readonly records: CsvRecord[];
  /** An error that stopped parsing (an unterminated quoted field swallows the rest of the file). */
  readonly fatal?: { line: number; message: string };
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** Parses text into records; a final line end is a terminator, not an extra empty record. */
export function parseCsv(text: string): CsvParseResult {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;

  // Length of the line end at p (LF or CRLF), 0 if none. A lone CR is data, not a line end.
  const lineEndAt = (p: number): number => {
    const c = text.charCodeAt(p);
    if (c === LF) return 1;
    if (c === CR && text.charCodeAt(p + 1) === LF) return 2;
    return 0;
  };

  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let syntaxError: string | undefined;

    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        let value = '';
        let p = i + 1;
        let closed = false;
        while (p < n) {
          const q = text.indexOf('"', p);
          if (q === -1) break;
          value += text.slice(p, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            p = q + 2;
            continue;
          }
          p = q + 1;
          closed = true;
          break;
        }
        if (!closed) return { records, fatal: { line: startLine, message: 'unterminated quoted field' } };
        line += countLf(value);
        i = p;
        if (i < n && text.charCodeAt(i) !== COMMA && lineEndAt(i) === 0) {
          syntaxError ??= 'unexpected text after a closing quote';
          while (i < n && text.charCodeAt(i) !== COMMA && lineEndAt(i) === 0) i++;
        }
        fields.push(value);
      } else {
        const start = i;
        while (i < n && text.charCodeAt(i) !== COMMA && lineEndAt(i) === 0) i++;
        const value = text.slice(start, i);
        if (value.includes('"')) {
          syntaxError ??=
            'quote character inside an unquoted field (quote the whole field and double the quote)';
        }
        fields.push(value);
      }

      if (i >= n) break;
      if (text.charCodeAt(i) === COMMA) {
        i++;
        continue; // a comma at the very end still opens one more (empty) field
      }
      i += lineEndAt(i);
      line++;
      break;
    }

    records.push(
      syntaxError === undefined ? { line: startLine, fields } : { line: startLine, fields, syntaxError },
    );
  }
  return { records };
}

function countLf(s: string): number {
  let count = 0;
  for (let p = s.indexOf('\n'); p !== -1; p = s.indexOf('\n', p + 1)) count++;
  return count;
}
