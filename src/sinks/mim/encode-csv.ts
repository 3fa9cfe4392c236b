/**
 * Serialising the upload in MIM's positional column order. Deterministic: the same people give
 * the same bytes, which is what lets a run skip an unchanged upload (every upload may e-mail people).
 */
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';
import type { CsvDialect } from '../../config/schema.js';
import { ConfigError } from '../../core/errors.js';
import { COLUMN_LABELS, formatPlace, type PersonFields, type Place } from '../../core/types.js';

function row(r: PersonFields, withSyncId: boolean): string[] {
  return withSyncId
    ? [r.firstName, r.lastName, r.email, r.id, r.syncId]
    : [r.firstName, r.lastName, r.email, r.id];
}

export function encodeText(records: readonly PersonFields[], dialect: CsvDialect): string {
  const rows = records.map((r) => row(r, dialect.includeSyncId));
  if (dialect.header) rows.unshift(COLUMN_LABELS.slice(0, dialect.includeSyncId ? 5 : 4));
  if (rows.length === 0) return '';
  return stringify(rows, {
    delimiter: dialect.delimiter,
    record_delimiter: dialect.lineEnding === 'crlf' ? '\r\n' : '\n',
    // Quote any field with a line break or edge space (csv-stringify leaves a bare LF unquoted when
    // record_delimiter is CRLF); the validator rejects line breaks anyway, this keeps the file sound.
    quoted_match: /[\r\n]|^\s|\s$/,
  });
}

/** The upload bytes. Throws ConfigError if the chosen encoding cannot carry someone's name. */
export function encodePayload(
  records: readonly (PersonFields & { place?: Place })[],
  dialect: CsvDialect,
): Buffer {
  const text = encodeText(records, dialect);
  switch (dialect.encoding) {
    case 'utf-8':
      return Buffer.from(text, 'utf8');
    case 'utf-8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf-16le-bom':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'windows-1252': {
      const bytes = iconv.encode(text, 'windows-1252');
      if (iconv.decode(bytes, 'windows-1252') !== text) {
        const bad = records.find((r) => {
          const t = encodeText([r], { ...dialect, header: false });
          return iconv.decode(iconv.encode(t, 'windows-1252'), 'windows-1252') !== t;
        });
        throw new ConfigError('The upload encoding windows-1252 cannot represent every name', {
          place: bad?.place ? formatPlace(bad.place) : 'mim.dialect.encoding',
          fix: 'Set mim.dialect.encoding to "utf-8" (the default), which carries every character.',
        });
      }
      return bytes;
    }
  }
}
