/**
 * Every per-record rule MIM would reject a whole file for, checked locally so that one bad row
 * is left out (with its place and fix) instead of failing the upload for everyone.
 * MIM does not document field lengths beyond the ID, so the limits here are conservative.
 */
import {
  FIELD_LABELS,
  type Field,
  type IdentityRecord,
  type PersonFields,
  type Place,
  type Rejection,
  type SourceRecord,
} from '../core/types.js';

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

/** What a rejection is about: its `place` is read only when there is a problem (csv rows build it on read). */
interface Placed {
  readonly place: Place;
}

function reject(
  at: Placed,
  fields: PersonFields,
  code: Rejection['code'],
  field: Field,
  reason: string,
  fix: string,
): Rejection {
  return {
    place: at.place,
    code,
    field,
    reason,
    fix,
    syncId: fields.syncId || undefined,
    email: fields.email || undefined,
  };
}

function checkText(at: Placed, f: PersonFields, field: Field, out: Rejection[]): void {
  const value = f[field];
  const label = FIELD_LABELS[field];
  if (value === '') {
    out.push(reject(at, f, 'missing-field', field, `${label} is empty`, `fill in ${label} in the source`));
    return;
  }
  if (PRINTABLE_ASCII.test(value)) return;
  if (LINE_BREAK.test(value)) {
    out.push(
      reject(
        at,
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
        at,
        f,
        'bad-text',
        field,
        `${label} contains a control character`,
        `remove the invisible character`,
      ),
    );
  }
}

function checkEmail(at: Placed, f: PersonFields, out: Rejection[]): void {
  const e = f.email;
  if (e === '' || LINE_BREAK.test(e) || CONTROL.test(e)) return; // already reported
  const local = e.slice(0, e.lastIndexOf('@'));
  if (e.length > LIMITS.email || local.length > LIMITS.emailLocal) {
    out.push(
      reject(
        at,
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
        at,
        f,
        'bad-email',
        'email',
        `E-mail address "${e}" is not valid`,
        'use the form name@example.com (ASCII; IDN domains in xn-- form)',
      ),
    );
  }
}

function checkId(at: Placed, f: PersonFields, out: Rejection[]): void {
  const id = f.id;
  if (id === '' || LINE_BREAK.test(id) || CONTROL.test(id)) return;
  if (!PRINTABLE_ASCII.test(id)) {
    out.push(
      reject(
        at,
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
        at,
        f,
        'bad-id',
        'id',
        `ID is ${id.length} bytes long`,
        `keep the ID at most ${LIMITS.idBytes} bytes`,
      ),
    );
  }
}

function checkLength(at: Placed, f: PersonFields, field: Field, max: number, out: Rejection[]): void {
  if (f[field].length > max) {
    const label = FIELD_LABELS[field];
    out.push(
      reject(at, f, 'too-long', field, `${label} is longer than ${max} characters`, `shorten ${label}`),
    );
  }
}

// Reused between calls (never returned), so validating a valid record allocates nothing.
const scratch: Rejection[] = [];

/** Returned for a valid record, so the common case allocates nothing. */
export const NO_PROBLEMS: readonly Rejection[] = Object.freeze([]);

/** All problems of one normalised record; NO_PROBLEMS (empty) means valid. */
export function validateRecord(place: Place, fields: PersonFields): readonly Rejection[] {
  return validateFields(fields, { place });
}

/** `validateRecord` for a record that carries its own place, read only if the record has a problem. */
export function validateFields(fields: PersonFields, at: Placed): readonly Rejection[] {
  if (plainlyValid(fields)) return NO_PROBLEMS;
  const out = scratch;
  out.length = 0;
  checkText(at, fields, 'firstName', out);
  checkText(at, fields, 'lastName', out);
  checkText(at, fields, 'email', out);
  checkText(at, fields, 'id', out);
  checkText(at, fields, 'syncId', out);
  checkEmail(at, fields, out);
  checkId(at, fields, out);
  checkLength(at, fields, 'firstName', LIMITS.name, out);
  checkLength(at, fields, 'lastName', LIMITS.name, out);
  checkLength(at, fields, 'syncId', LIMITS.syncId, out);
  return out.length === 0 ? NO_PROBLEMS : out.slice();
}

/**
 * The common case in one pass of char loops: every field non-empty printable ASCII within its
 * limit and an e-mail of the accepted form. Then no rule above can fail (printable ASCII holds no
 * line break or control character, and an ID's length is its bytes); anything else takes the
 * full checks, which alone word the problems.
 */
function plainlyValid(f: PersonFields): boolean {
  const email = f.email;
  return (
    printableWithin(f.firstName, LIMITS.name) &&
    printableWithin(f.lastName, LIMITS.name) &&
    printableWithin(f.id, LIMITS.idBytes) &&
    printableWithin(f.syncId, LIMITS.syncId) &&
    printableWithin(email, LIMITS.email) &&
    email.lastIndexOf('@') <= LIMITS.emailLocal &&
    EMAIL.test(email)
  );
}

/** Non-empty, at most `max` characters, all printable ASCII. */
function printableWithin(s: string, max: number): boolean {
  const n = s.length;
  if (n === 0 || n > max) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/**
 * A source record that normalising would leave as it is and that is valid: the common case, in one
 * char loop per field instead of normalize's and validate's own (a third of the pipeline at a
 * million rows). Every field printable ASCII with no space at either end and no double space (so
 * `normalizeText` returns it as is), an e-mail without capitals, no notes, read in full, each
 * field within its limit and an e-mail of the accepted form. When this says no, the full
 * normalise + validate decide, and alone word the problems.
 */
export function alreadyNormalAndValid(r: SourceRecord): r is IdentityRecord {
  const email = r.email;
  return (
    r.notes === undefined &&
    r.unreadable === undefined &&
    plainWithin(r.firstName, LIMITS.name, false) &&
    plainWithin(r.lastName, LIMITS.name, false) &&
    plainWithin(r.id, LIMITS.idBytes, false) &&
    plainWithin(r.syncId, LIMITS.syncId, false) &&
    plainWithin(email, LIMITS.email, true) &&
    email.lastIndexOf('@') <= LIMITS.emailLocal &&
    EMAIL.test(email)
  );
}

/** Non-empty, at most `max`, printable ASCII, single inner spaces only; with `lower`, no capital. */
function plainWithin(s: string | undefined, max: number, lower: boolean): s is string {
  if (s === undefined) return false;
  const n = s.length;
  if (n === 0 || n > max || s.charCodeAt(0) === 32 || s.charCodeAt(n - 1) === 32) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || (c === 32 && s.charCodeAt(i + 1) === 32) || (lower && c >= 65 && c <= 90))
      return false;
  }
  return true;
}
