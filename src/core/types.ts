/**
 * The data that flows through the pipeline. Every record carries a Place so that any later
 * error can say where the bad data lives (file:line, DN, Graph id).
 */

/** A source kind's name ('csv-folder', 'ldap', 'entra', …), as registered in `sources/index.ts`. */
export type SourceKind = string;

/** The four MIM columns plus the Sync ID, in MIM's column order. */
export const FIELDS = ['firstName', 'lastName', 'email', 'id', 'syncId'] as const;
export type Field = (typeof FIELDS)[number];

export const FIELD_LABELS: Readonly<Record<Field, string>> = {
  firstName: 'First name',
  lastName: 'Last name',
  email: 'E-mail address',
  id: 'ID',
  syncId: 'Sync ID',
};

/** MIM's column headings in column order: the upload's header row and the emulator's messages. */
export const COLUMN_LABELS: readonly string[] = FIELDS.map((f) => FIELD_LABELS[f]);

/**
 * Whether two people carry the same values in all of MIM's columns: MIM updates a user whose data
 * changed (DESIGN §1), and two records that agree here are one person's data twice. The emulator (as
 * MIM) and the merge (for its notices) both read "same" this way.
 */
export function sameFields(
  a: Readonly<Partial<Record<Field, string>>>,
  b: Readonly<Partial<Record<Field, string>>>,
): boolean {
  return (
    a.firstName === b.firstName &&
    a.lastName === b.lastName &&
    a.email === b.email &&
    a.id === b.id &&
    a.syncId === b.syncId
  );
}

/** Where a record came from. `ref` is what an admin searches for: `staff.csv:12`, a DN, `users/<graph id>`. */
export interface Place {
  readonly source: string;
  readonly kind: SourceKind;
  readonly ref: string;
}

export function formatPlace(place: Place): string {
  return `${place.source}: ${place.ref}`;
}

/** A person as a source mapped them, before normalising and checking. Any field may be missing. */
export interface SourceRecord {
  readonly place: Place;
  readonly firstName?: string | undefined;
  readonly lastName?: string | undefined;
  readonly email?: string | undefined;
  readonly id?: string | undefined;
  readonly syncId?: string | undefined;
  /** Fallbacks the mapping took (e.g. "last name from displayName"), reported but not errors. */
  readonly notes?: readonly string[] | undefined;
  /**
   * The source could read this record only in part (a CSV row with too few fields): it is rejected
   * with this reason instead of one "empty" per missing field, and its keys still count for carry.
   */
  readonly unreadable?: { readonly reason: string; readonly fix: string } | undefined;
}

/** The five values MIM receives. */
export interface PersonFields {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly id: string;
  readonly syncId: string;
}

/** A normalised, valid person. */
export interface IdentityRecord extends PersonFields {
  readonly place: Place;
}

/** A person as last accepted by MIM (stored in the state). */
export interface PushedRecord extends PersonFields {
  /** Set while the person is carried forward with old data because their new record is invalid. */
  readonly carriedSince?: string | undefined;
}

export type RejectionCode =
  | 'missing-field'
  | 'bad-email'
  | 'bad-id'
  | 'bad-text'
  | 'too-long'
  | 'duplicate-email'
  | 'duplicate-sync-id'
  | 'merge-conflict'
  | 'unreadable-row';

/** A record left out of the upload, with where it is and how to fix it. A value, never a throw. */
export interface Rejection {
  readonly place: Place;
  readonly code: RejectionCode;
  readonly field?: Field | undefined;
  readonly reason: string;
  readonly fix: string;
  /** The other row(s) involved, for duplicates and conflicts. */
  readonly related?: readonly Place[] | undefined;
  /** Identity keys the rejected record had, so a previously pushed person can be carried forward. */
  readonly syncId?: string | undefined;
  readonly email?: string | undefined;
}

/** Something worth telling the admin that is not an error (a fallback taken, an account skipped). */
export interface Notice {
  readonly place?: Place | undefined;
  readonly message: string;
}

export function formatRejection(r: Rejection): string {
  const also = r.related?.length ? ` [also: ${r.related.map((p) => p.ref).join(', ')}]` : '';
  return `${formatPlace(r.place)}: ${r.reason} (${r.fix})${also}`;
}

/** What carry-forward needs of a rejected record. A Rejection is one. */
export interface RejectedKey {
  readonly place: Place;
  readonly syncId?: string | undefined;
  readonly email?: string | undefined;
}

/** One source's records after normalise + validate. */
export interface CollectedRecords {
  readonly source: string;
  readonly kind: SourceKind;
  /** Records read (valid + rejected + unreadable). */
  readonly total: number;
  readonly valid: readonly IdentityRecord[];
  /** The first rejections in full (at most the cap). */
  readonly listed: readonly Rejection[];
  /** Every rejection, listed or not. */
  readonly rejections: number;
  /** Notes the records carried (fallbacks a mapping took). */
  readonly notices: readonly Notice[];
  /** Every rejected record's keys and place, in source order. */
  rejectedKeys(): Iterable<RejectedKey>;
}

/** A run's plan as counts (history, /status, metrics), never the people. */
export interface PlanCounts {
  readonly id: string;
  readonly adds: number;
  readonly updates: number;
  readonly deletes: number;
  readonly unchanged: number;
  readonly carried: number;
}
