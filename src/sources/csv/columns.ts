/**
 * Header → field mapping. Header names are compared after `normalizeHeader` (lower case, no
 * accents, no spaces or punctuation), so "E-Mail-Adresse", "e-mail adresse" and "EMAILADRESSE" are
 * one name. Names recognised (the first matching name of a field wins; a column is used once):
 *
 * | Field      | Header names                                                                     |
 * |------------|----------------------------------------------------------------------------------|
 * | First name | First name, Firstname, Given name, Forename, First, Vorname, Rufname             |
 * | Last name  | Last name, Lastname, Surname, Family name, Last, Nachname, Familienname, Zuname; |
 * |            | "Name" only when none of those is present (German exports pair Vorname/Name)     |
 * | E-mail     | E-mail, Email, E-mail address, Mail, Mail address, Work e-mail, SMTP address,    |
 * |            | E-Mail-Adresse, Mailadresse, E-Mail geschäftlich, Geschäftliche E-Mail           |
 * | ID         | ID, Badge, Badge ID/number/no, Card, Card ID/number/no, Credential (ID),          |
 * |            | Mobile ID, Access ID, Ausweis, Ausweis-Nr., Ausweisnummer, Ausweis-ID, Karte,     |
 * |            | Kartennummer, Karten-Nr., Karten-ID, Chipnummer, Transpondernummer, Zutritts-ID  |
 * | Sync ID    | Sync ID, SyncID, Sync, Employee ID/number/no, Staff ID/number, Personnel number, |
 * |            | Person ID, External ID, Unique ID, Immutable ID, Personalnummer, Personal-Nr.,   |
 * |            | Pers.-Nr., Mitarbeiternummer, Mitarbeiter-Nr., Mitarbeiter-ID                    |
 *
 * "Personalnummer" (personnel number) is the Sync ID, not the credential ID: it is the stable HR key,
 * while the ID is what the reader checks (badge / card number). Where the personnel number is also
 * the badge number, set `columns.id: "Personalnummer"`.
 *
 * Without a header, columns default to MIM's order: 1 First name, 2 Last name, 3 E-mail, 4 ID,
 * 5 Sync ID (used when the file has a fifth column).
 */
import { FIELD_LABELS, FIELDS, type Field } from '../../core/types.js';
import type { ColumnsConfig, SyncIdMode } from './config.js';

export function normalizeHeader(name: string): string {
  return name
    .toLowerCase()
    .replaceAll('ß', 'ss')
    .normalize('NFKD')
    .replace(/[^a-z0-9]/g, '');
}

const FALLBACK_LAST_NAME = 'name';

export const SYNONYMS: Readonly<Record<Field, readonly string[]>> = {
  firstName: ['firstname', 'givenname', 'forename', 'first', 'vorname', 'rufname'],
  lastName: [
    'lastname',
    'surname',
    'familyname',
    'last',
    'nachname',
    'familienname',
    'zuname',
    FALLBACK_LAST_NAME,
  ],
  email: [
    'email',
    'emailaddress',
    'mail',
    'mailaddress',
    'workemail',
    'smtpaddress',
    'emailadresse',
    'mailadresse',
    'emailgeschaftlich',
    'geschaftlicheemail',
  ],
  id: [
    'id',
    'badge',
    'badgeid',
    'badgenumber',
    'badgeno',
    'card',
    'cardid',
    'cardnumber',
    'cardno',
    'credential',
    'credentialid',
    'mobileid',
    'accessid',
    'ausweis',
    'ausweisnr',
    'ausweisnummer',
    'ausweisid',
    'karte',
    'kartennummer',
    'kartennr',
    'kartenid',
    'chipnummer',
    'transpondernummer',
    'zutrittsid',
  ],
  syncId: [
    'syncid',
    'sync',
    'employeeid',
    'employeenumber',
    'employeeno',
    'staffid',
    'staffnumber',
    'personnelnumber',
    'personid',
    'externalid',
    'uniqueid',
    'immutableid',
    'personalnummer',
    'personalnr',
    'persnr',
    'mitarbeiternummer',
    'mitarbeiternr',
    'mitarbeiterid',
  ],
};

const KNOWN = new Set(Object.values(SYNONYMS).flat());

/** True when the cell is a header name this module knows. */
export function isKnownHeader(cell: string): boolean {
  return KNOWN.has(normalizeHeader(cell));
}

/** Where each field is read from: a 0-based column index, or -1 (Sync ID: derived from the e-mail). */
export interface ColumnMapping {
  readonly firstName: number;
  readonly lastName: number;
  readonly email: number;
  readonly id: number;
  readonly syncId: number;
  /** "First name ← column 1 "Vorname"", for check output and the description. */
  readonly labels: readonly string[];
  /** True when the Sync ID is derived from the e-mail. */
  readonly derivedSyncId: boolean;
}

export interface MappingProblem {
  readonly reason: string;
  readonly fix: string;
}

export interface MappingInput {
  /** The header row, or undefined for a headerless file. */
  readonly header: readonly string[] | undefined;
  /** Data rows seen so far (a few), to sanity-check the e-mail column. */
  readonly sample: readonly (readonly string[])[];
  readonly columns: ColumnsConfig;
  readonly syncId: SyncIdMode;
  /** Fields built by a `map.*` expression: they need no column of their own. */
  readonly mapped?: ReadonlySet<Field> | undefined;
}

export type MappingResult =
  | { readonly ok: true; readonly mapping: ColumnMapping }
  | { readonly ok: false; readonly problems: readonly MappingProblem[] };

const POSITION_RE = /^\d+$/;
/** Resolves every field to a column, or lists why that is impossible (one problem per field). */
export function mapColumns(input: MappingInput): MappingResult {
  const width = Math.max(input.header?.length ?? 0, ...input.sample.map((r) => r.length));
  const problems: MappingProblem[] = [];
  const chosen: Partial<Record<Field, number>> = {};
  const taken = new Set<number>();
  const normalized = input.header?.map(normalizeHeader);
  const deriving = input.syncId === 'derive';
  const mapped = input.mapped ?? new Set<Field>();

  // Explicit settings first, so auto-detection never takes a column the admin named.
  for (const field of FIELDS) {
    if ((field === 'syncId' && deriving) || mapped.has(field)) continue;
    const setting = input.columns[field].trim();
    if (!setting) continue;
    const index = explicitColumn(field, setting, normalized, width, problems);
    if (index !== undefined) {
      chosen[field] = index;
      taken.add(index);
    }
  }
  for (const field of FIELDS) {
    if (
      chosen[field] !== undefined ||
      input.columns[field].trim() ||
      (field === 'syncId' && deriving) ||
      mapped.has(field)
    )
      continue;
    // The Sync ID may share a column with the ID (a personnel number that is also the badge number).
    const index = normalized
      ? bySynonym(field, normalized, field === 'syncId' ? new Set() : taken)
      : defaultPosition(field, width);
    if (index !== undefined) {
      chosen[field] = index;
      taken.add(index);
    } else if (field !== 'syncId') problems.push(missing(field, input.header, width));
  }
  if (problems.length === 0 && !mapped.has('email'))
    problems.push(...emailColumnProblems(chosen.email, input.sample));
  if (problems.length > 0) return { ok: false, problems };

  const derivedSyncId = chosen.syncId === undefined;
  const indices = {
    firstName: chosen.firstName ?? -1,
    lastName: chosen.lastName ?? -1,
    email: chosen.email ?? -1,
    id: chosen.id ?? -1,
    syncId: chosen.syncId ?? -1,
  };
  const labels = FIELDS.map((field) => {
    const i = indices[field];
    if (mapped.has(field)) return `${FIELD_LABELS[field]} ← map.${field}`;
    if (i < 0) return `${FIELD_LABELS[field]} ← derived from the e-mail (lower-cased)`;
    const name = input.header?.[i];
    return `${FIELD_LABELS[field]} ← column ${i + 1}${name !== undefined ? ` "${name}"` : ''}`;
  });
  return { ok: true, mapping: { ...indices, labels, derivedSyncId } };
}

function explicitColumn(
  field: Field,
  setting: string,
  normalized: readonly string[] | undefined,
  width: number,
  problems: MappingProblem[],
): number | undefined {
  const label = FIELD_LABELS[field];
  if (POSITION_RE.test(setting)) {
    const position = Number(setting);
    if (position <= width) return position - 1;
    problems.push({
      reason: `columns.${field} is ${position}, but the file has only ${width} column(s), so there is no ${label}`,
      fix: `Check the delimiter and columns.${field}, or export the missing column.`,
    });
    return undefined;
  }
  if (!normalized) {
    problems.push({
      reason: `columns.${field} names the header "${setting}", but the file has no header row`,
      fix: `Set columns.${field} to a column number, or export the file with its header row (header: 'yes').`,
    });
    return undefined;
  }
  const index = normalized.indexOf(normalizeHeader(setting));
  if (index >= 0) return index;
  problems.push({
    reason: `columns.${field} is "${setting}", but the header has no such column`,
    fix: `Set columns.${field} to one of the header names, or rename the column in the export.`,
  });
  return undefined;
}

function bySynonym(
  field: Field,
  normalized: readonly string[],
  taken: ReadonlySet<number>,
): number | undefined {
  for (const name of SYNONYMS[field]) {
    const index = normalized.findIndex((n, i) => n === name && !taken.has(i));
    if (index >= 0) return index;
  }
  return undefined;
}

function defaultPosition(field: Field, width: number): number | undefined {
  const index = FIELDS.indexOf(field);
  return index < width ? index : undefined;
}

function missing(field: Field, header: readonly string[] | undefined, width: number): MappingProblem {
  const label = FIELD_LABELS[field];
  if (header) {
    const names = header.map((h) => `"${h}"`).join(', ');
    return {
      reason: `no ${label} column: none of the header names (${names}) is recognised as ${label}`,
      fix: `Set columns.${field} to the header name or column number holding the ${label}, or rename that column to "${label}".`,
    };
  }
  return {
    reason: `no ${label} column: the file has no header and only ${width} column(s), but MIM's order puts ${label} in column ${FIELDS.indexOf(field) + 1}`,
    fix: `Export the columns in MIM's order (First name, Last name, E-mail, ID, Sync ID), add a header row, or set columns.${field}; also check the delimiter.`,
  };
}

/** Catches a column order mix-up: the e-mail column holds no address while another column always does. */
function emailColumnProblems(
  email: number | undefined,
  sample: readonly (readonly string[])[],
): readonly MappingProblem[] {
  if (email === undefined || sample.length === 0) return [];
  if (sample.some((row) => row[email]?.includes('@'))) return [];
  const width = Math.max(...sample.map((r) => r.length));
  for (let i = 0; i < width; i++) {
    if (sample.every((row) => row[i]?.includes('@'))) {
      return [
        {
          reason: `column ${email + 1} is read as the E-mail address but holds no address in the first rows, while column ${i + 1} does`,
          fix: `Set columns.email to "${i + 1}" (or the header name), or export the columns in MIM's order.`,
        },
      ];
    }
  }
  return [];
}

/**
 * The column each input of the `map.*` expressions names: the header name as written, else as
 * `normalizeHeader` compares names, else a 1-based position ("3"). One problem per unknown name.
 */
export function inputColumns(
  inputs: readonly { readonly name: string; readonly key: string }[],
  header: readonly string[] | undefined,
  width: number,
):
  | { readonly ok: true; readonly columns: ReadonlyMap<string, number> }
  | { readonly ok: false; readonly problems: readonly MappingProblem[] } {
  const columns = new Map<string, number>();
  const problems: MappingProblem[] = [];
  const normalized = header?.map(normalizeHeader);
  for (const { name, key } of inputs) {
    if (columns.has(name)) continue;
    let index = header?.indexOf(name) ?? -1;
    if (index < 0 && normalized) index = normalized.indexOf(normalizeHeader(name));
    if (index < 0 && POSITION_RE.test(name) && Number(name) >= 1 && Number(name) <= width)
      index = Number(name) - 1;
    if (index >= 0) columns.set(name, index);
    else
      problems.push({
        reason: header
          ? `${key} reads the column "${name}", but the header has no such column (it has ${header.map((h) => `"${h}"`).join(', ')})`
          : `${key} reads the column "${name}", but the file has no header row${POSITION_RE.test(name) ? ` and only ${width} column(s)` : ''}`,
        fix: header
          ? `Write the header name in ${key} exactly, as column("…") when it has spaces, or rename the column in the export.`
          : `Name columns by position in ${key}, e.g. column("3"), or export the file with its header row.`,
      });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, columns };
}
