/**
 * Normalising a mapped record: trim, Unicode NFC, collapse inner horizontal whitespace,
 * lower-case e-mail. Line breaks are kept on purpose: they are almost always a broken export
 * (a misquoted row swallowing the next) and the validator rejects them with the row's place.
 * Pure, and cheap on the common case (plain ASCII needs no work).
 */
import type { IdentityRecord, SourceRecord } from '../core/types.js';

// Anything but printable ASCII, or whitespace that needs work (leading, trailing, doubled, tabs).
const NEEDS_WORK = /[^\x21-\x7e ]|^ | $| {2}/;
const HORIZONTAL_SPACE = /[^\S\r\n]+/g;

export function normalizeText(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  if (!NEEDS_WORK.test(value)) return value;
  return value.normalize('NFC').replace(HORIZONTAL_SPACE, ' ').trim();
}

const HAS_UPPER = /[A-Z]|[^\x00-\x7f]/;

export function normalizeEmail(value: string | undefined): string {
  const v = normalizeText(value);
  return HAS_UPPER.test(v) ? v.toLowerCase() : v;
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
