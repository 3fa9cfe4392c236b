/**
 * Whole-file validation as MIM does it: any error rejects the entire upload, and every error is listed
 * with its line. Deliberately conservative (field rules beyond the ID are undocumented), and limited to
 * the rules in DESIGN §1 so the connector's own validator can promise "MIM would accept this".
 * Pure: no I/O.
 */
import { COLUMN_LABELS } from '../core/types.js';
import { type CsvRecord, parseCsv } from './csv.js';
import type { UserData } from './model.js';

export interface ValidationError {
  readonly line: number;
  readonly message: string;
}

export interface ValidRow extends UserData {
  readonly line: number;
}

export type ValidationResult =
  | { readonly ok: true; readonly rows: ValidRow[]; readonly withSyncId: boolean }
  | { readonly ok: false; readonly errors: ValidationError[] };

const MAX_ID_BYTES = 255;
/** local@domain.tld: no spaces, one '@', a dotted domain without empty labels. */
const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const HEADER_EMAIL = /^\s*e-?mail/i;

/** Validates an upload body; on success returns the rows to apply, else every error found. */
export function validateUpload(body: Uint8Array): ValidationResult {
  const decoded = decodeUtf8(body);
  if (!decoded.ok) return { ok: false, errors: decoded.errors };

  const parsed = parseCsv(decoded.text);
  const errors: ValidationError[] = [];
  const rows: ValidRow[] = [];
  const expected = parsed.records.find((r) => r.fields.length === 4 || r.fields.length === 5);
  const seenEmails = new Map<string, number>();
  const seenSyncIds = new Map<string, number>();

  for (const [index, record] of parsed.records.entries()) {
    const { line } = record;
    const shapeError = checkShape(record, index, expected);
    if (shapeError !== undefined) {
      errors.push({ line, message: shapeError });
      continue;
    }
    const [firstName = '', lastName = '', email = '', id = '', syncId] = record.fields;
    const messages = checkFields(record.fields);
    const emailLine = seenEmails.get(email.toLowerCase());
    if (email.trim() !== '') {
      if (emailLine === undefined) seenEmails.set(email.toLowerCase(), line);
      else messages.push(`duplicate E-mail address "${email}" (also on line ${emailLine})`);
    }
    if (syncId !== undefined && syncId.trim() !== '') {
      const syncLine = seenSyncIds.get(syncId);
      if (syncLine === undefined) seenSyncIds.set(syncId, line);
      else messages.push(`duplicate Sync ID "${syncId}" (also on line ${syncLine})`);
    }

    if (messages.length > 0) errors.push(...messages.map((message) => ({ line, message })));
    else if (syncId === undefined) rows.push({ line, firstName, lastName, email, id });
    else rows.push({ line, firstName, lastName, email, id, syncId });
  }
  if (parsed.fatal !== undefined) errors.push(parsed.fatal);

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, rows, withSyncId: expected?.fields.length === 5 };
}

/** Problems that make a record unreadable as a user: syntax, empty line, field count, header. */
function checkShape(record: CsvRecord, index: number, expected: CsvRecord | undefined): string | undefined {
  const { fields } = record;
  if (record.syntaxError !== undefined) return record.syntaxError;
  if (fields.length === 1 && fields[0] === '') return 'empty line';
  if (fields.length !== 4 && fields.length !== 5) {
    return `expected 4 fields (First name, Last name, E-mail address, ID) or 5 (plus Sync ID), found ${fields.length}`;
  }
  if (expected !== undefined && fields.length !== expected.fields.length) {
    return (
      `found ${fields.length} fields but line ${expected.line} has ${expected.fields.length}; ` +
      'every line must have the same number of fields'
    );
  }
  const email = fields[2] ?? '';
  if (index === 0 && !email.includes('@') && HEADER_EMAIL.test(email)) return 'header row not allowed';
  return undefined;
}

/** Per-field rules; a field already reported as empty or broken across lines gets no further complaint. */
function checkFields(fields: readonly string[]): string[] {
  const messages: string[] = [];
  for (const [column, value] of fields.entries()) {
    const name = COLUMN_LABELS[column] ?? `field ${column + 1}`;
    if (/[\r\n]/.test(value)) messages.push(`${name} contains a line break`);
    else if (value.trim() === '') messages.push(`${name} is empty`);
  }
  const usable = (value: string): boolean => value.trim() !== '' && !/[\r\n]/.test(value);
  const [, , email = '', id = ''] = fields;
  if (usable(email) && !EMAIL.test(email)) messages.push(`E-mail address "${email}" is not a valid address`);
  if (usable(id) && !PRINTABLE_ASCII.test(id)) {
    messages.push('ID contains a character outside printable ASCII (0x20-0x7E)');
  } else if (usable(id) && id.length > MAX_ID_BYTES) {
    messages.push(`ID is ${id.length} bytes long; at most ${MAX_ID_BYTES} are allowed`);
  }
  return messages;
}

type Decoded = { ok: true; text: string } | { ok: false; errors: ValidationError[] };

/**
 * Strict UTF-8 decoding; a leading BOM is dropped. On failure every offending line is named: LF never
 * occurs inside a multi-byte sequence, so decoding line by line pinpoints the bad bytes.
 */
function decodeUtf8(body: Uint8Array): Decoded {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(body) };
  } catch {
    const errors: ValidationError[] = [];
    let start = 0;
    for (let line = 1; start <= body.length; line++) {
      const lf = body.indexOf(0x0a, start);
      const end = lf === -1 ? body.length : lf;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(start, end));
      } catch {
        errors.push({ line, message: 'not valid UTF-8 (save the file as UTF-8)' });
      }
      start = end + 1;
    }
    return { ok: false, errors };
  }
}
