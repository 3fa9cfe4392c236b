/**
 * Normalising a mapped record: trim, Unicode NFC, collapse inner horizontal whitespace,
 * lower-case e-mail. Line breaks are kept on purpose: they are almost always a broken export
 * (a misquoted row swallowing the next) and the validator rejects them with the row's place.
 * Pure, and cheap on the common case (plain ASCII needs no work).
 */
import type { IdentityRecord, SourceRecord } from '../core/types.js';

const HORIZONTAL_SPACE = /[^\S\r\n]+/g;

export function normalizeText(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  if (isNormal(value)) return value;
  return value.normalize('NFC').replace(HORIZONTAL_SPACE, ' ').trim();
}

/**
 * Printable ASCII with single inner spaces only: nothing to do. A char loop, as this runs for
 * every field of every record (a regex test cost several times as much).
 */
function isNormal(s: string): boolean {
  const n = s.length;
  if (s.charCodeAt(0) === 32 || s.charCodeAt(n - 1) === 32) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || (c === 32 && s.charCodeAt(i + 1) === 32)) return false;
  }
  return true;
}

export function normalizeEmail(value: string | undefined): string {
  const v = normalizeText(value);
  return mayHaveUpper(v) ? v.toLowerCase() : v;
}

/** An ASCII capital or any non-ASCII character (which may have a lower case). */
function mayHaveUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 0x7f) return true;
  }
  return false;
}

/**
 * The normalised record with its place; missing fields become ''. When normalising changes nothing (the common case), the
 * source's own object already is a valid IdentityRecord and is returned as is: no allocation, which
 * matters at a million people.
 */
export function normalizeToIdentity(record: SourceRecord): IdentityRecord {
  const firstName = normalizeText(record.firstName);
  const lastName = normalizeText(record.lastName);
  const email = normalizeEmail(record.email);
  const id = normalizeText(record.id);
  const syncId = normalizeText(record.syncId);
  if (
    firstName === record.firstName &&
    lastName === record.lastName &&
    email === record.email &&
    id === record.id &&
    syncId === record.syncId &&
    record.notes === undefined
  ) {
    return record as IdentityRecord;
  }
  return { firstName, lastName, email, id, syncId, place: record.place };
}
