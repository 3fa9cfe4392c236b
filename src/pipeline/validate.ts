/**
 * Every per-record rule MIM would reject a whole file for, checked locally so that one bad row
 * is left out (with its place and fix) instead of failing the upload for everyone.
 * MIM does not document field lengths beyond the ID, so the limits here are conservative.
 */
import { FIELD_LABELS, type Field, type PersonFields, type Place, type Rejection } from '../core/types.js';

export const LIMITS = {
  /** Card readers read the ID as ASCII with a one-byte length. */
  idBytes: 255,
  name: 100,
  email: 254,
  emailLocal: 64,
  syncId: 255,
} as const;

// Conservative: ASCII local part without quoting, a dotted domain with a letter TLD (punycode allowed).
const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const LINE_BREAK = /[\r\n\u2028\u2029\u0085]/;
// C0/C1 controls other than line breaks (those get their own message).
const CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f]/;

function reject(
  place: Place,
  fields: PersonFields,
  code: Rejection['code'],
  field: Field,
  reason: string,
  fix: string,
): Rejection {
  return {
    place,
    code,
    field,
    reason,
    fix,
    syncId: fields.syncId || undefined,
    email: fields.email || undefined,
  };
}

function checkText(place: Place, f: PersonFields, field: Field, out: Rejection[]): void {
  const value = f[field];
  const label = FIELD_LABELS[field];
  if (value === '') {
    out.push(reject(place, f, 'missing-field', field, `${label} is empty`, `fill in ${label} in the source`));
    return;
  }
  if (PRINTABLE_ASCII.test(value)) return;
  if (LINE_BREAK.test(value)) {
    out.push(
      reject(
        place,
        f,
        'bad-text',
        field,
        `${label} contains a line break`,
        `remove the line break (often a misplaced quote in the export)`,
      ),
    );
  } else if (CONTROL.test(value)) {
    out.push(
      reject(
        place,
        f,
        'bad-text',
        field,
        `${label} contains a control character`,
        `remove the invisible character`,
      ),
    );
  }
}

function checkEmail(place: Place, f: PersonFields, out: Rejection[]): void {
  const e = f.email;
  if (e === '' || LINE_BREAK.test(e) || CONTROL.test(e)) return; // already reported
  const local = e.slice(0, e.lastIndexOf('@'));
  if (e.length > LIMITS.email || local.length > LIMITS.emailLocal) {
    out.push(
      reject(
        place,
        f,
        'too-long',
        'email',
        `E-mail address is longer than ${LIMITS.email} characters`,
        'use a shorter address',
      ),
    );
  } else if (!EMAIL.test(e)) {
    out.push(
      reject(
        place,
        f,
        'bad-email',
        'email',
        `E-mail address "${e}" is not valid`,
        'use the form name@example.com (ASCII; IDN domains in xn-- form)',
      ),
    );
  }
}

function checkId(place: Place, f: PersonFields, out: Rejection[]): void {
  const id = f.id;
  if (id === '' || LINE_BREAK.test(id) || CONTROL.test(id)) return;
  if (!PRINTABLE_ASCII.test(id)) {
    out.push(
      reject(
        place,
        f,
        'bad-id',
        'id',
        `ID "${id}" has characters outside printable ASCII`,
        'card readers read the ID as ASCII: use only letters A-Z, digits and punctuation',
      ),
    );
  } else if (id.length > LIMITS.idBytes) {
    out.push(
      reject(
        place,
        f,
        'bad-id',
        'id',
        `ID is ${id.length} bytes long`,
        `keep the ID at most ${LIMITS.idBytes} bytes`,
      ),
    );
  }
}

function checkLength(place: Place, f: PersonFields, field: Field, max: number, out: Rejection[]): void {
  if (f[field].length > max) {
    const label = FIELD_LABELS[field];
    out.push(
      reject(place, f, 'too-long', field, `${label} is longer than ${max} characters`, `shorten ${label}`),
    );
  }
}

// Reused between calls (never returned), so validating a valid record allocates nothing.
const scratch: Rejection[] = [];

/** Returned for a valid record, so the common case allocates nothing. */
export const NO_PROBLEMS: readonly Rejection[] = Object.freeze([]);

/** All problems of one normalised record; NO_PROBLEMS (empty) means valid. */
export function validateRecord(place: Place, fields: PersonFields): readonly Rejection[] {
  const out = scratch;
  out.length = 0;
  checkText(place, fields, 'firstName', out);
  checkText(place, fields, 'lastName', out);
  checkText(place, fields, 'email', out);
  checkText(place, fields, 'id', out);
  checkText(place, fields, 'syncId', out);
  checkEmail(place, fields, out);
  checkId(place, fields, out);
  checkLength(place, fields, 'firstName', LIMITS.name, out);
  checkLength(place, fields, 'lastName', LIMITS.name, out);
  checkLength(place, fields, 'syncId', LIMITS.syncId, out);
  return out.length === 0 ? NO_PROBLEMS : out.slice();
}
