/**
 * The OData query options a listing takes — `$select`, `$top`, `$filter` — with Graph's split
 * between default and advanced queries, and the projection of an object onto a `$select`.
 * Pure: a URL in, the parsed option out, or a thrown Graph error `Reply`.
 */
import { advancedMessage, graphError } from './errors.js';
import { compileFilter, FilterError } from './filter.js';
import type { FilterResource } from './filter-support.js';
import type { StandInUser } from './fixtures.js';

/** A user's properties when no `$select` is given. */
export const DEFAULT_SELECT = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
const COLLECTIONS = new Set(['businessPhones', 'otherMails', 'proxyAddresses']);
const USER_PROPERTIES = new Set([
  ...DEFAULT_SELECT,
  'accountEnabled',
  'employeeId',
  'employeeType',
  'userType',
  'otherMails',
  'proxyAddresses',
  'onPremisesImmutableId',
  'onPremisesExtensionAttributes',
  'onPremisesSamAccountName',
  'department',
  'companyName',
  'createdDateTime',
]);

export function validUserProperty(p: string): boolean {
  return USER_PROPERTIES.has(p) || p.startsWith('extension_');
}

/** The `$select` list, or undefined without one; an unknown property is a 400. */
export function parseSelect(url: URL, valid: (p: string) => boolean, type: string): string[] | undefined {
  const raw = url.searchParams.get('$select');
  if (raw === null) return undefined;
  const props = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of props) {
    if (!valid(p))
      throw graphError(
        400,
        'Request_BadRequest',
        `Could not find a property named '${p}' on type '${type}'.`,
      );
  }
  return props;
}

/** The page size: `$top` (1–999) or Graph's default of 100. */
export function parseTop(url: URL): number {
  const raw = url.searchParams.get('$top');
  if (raw === null) return 100;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 999) {
    throw graphError(
      400,
      'Request_UnsupportedQuery',
      `Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`,
    );
  }
  return n;
}

export interface QueryFilter {
  readonly test: (o: Record<string, unknown>) => boolean;
  /** The listing needs ConsistencyLevel on every later page too. */
  readonly advanced: boolean;
}

/**
 * The `$filter` on `resource`, or undefined without one. A filter Microsoft's table serves only
 * as an advanced query (or any filter on members, when `alwaysAdvanced`) needs `ConsistencyLevel:
 * eventual` and `$count=true`; one the table does not list is a 400 whatever the headers.
 */
export function parseFilter(
  url: URL,
  eventual: boolean,
  alwaysAdvanced: boolean,
  resource: FilterResource = 'user',
): QueryFilter | undefined {
  const raw = url.searchParams.get('$filter');
  if (raw === null) return undefined;
  let compiled: ReturnType<typeof compileFilter>;
  try {
    compiled = compileFilter(raw, resource);
  } catch (e) {
    const message =
      e instanceof FilterError
        ? (e.graphMessage ?? `Unsupported or invalid query filter clause specified: ${e.message}.`)
        : String(e);
    throw graphError(400, 'Request_UnsupportedQuery', message);
  }
  const needs = compiled.advanced ?? (alwaysAdvanced ? advancedMessage('filter on members') : undefined);
  const count = url.searchParams.get('$count') === 'true';
  if (needs && !(eventual && count)) throw graphError(400, 'Request_UnsupportedQuery', needs);
  return { test: compiled.test, advanced: needs !== undefined };
}

/** `$count=true` with ConsistencyLevel: eventual asks for `@odata.count`. */
export function wantsCount(url: URL, eventual: boolean): boolean {
  return eventual && url.searchParams.get('$count') === 'true';
}

/** A user as Graph shows it for `select`: unset properties are null, unset collections []. */
export function projectUser(user: StandInUser, select: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: user.id };
  for (const p of select) {
    if (p === 'id') continue;
    const v = user[p];
    out[p] = v === undefined ? (COLLECTIONS.has(p) ? [] : null) : v;
  }
  return out;
}

/** Any other object for `select`: its id, then each selected property or null. */
export function pick(obj: Record<string, unknown>, select: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: obj.id };
  for (const p of select) out[p] = obj[p] ?? null;
  return out;
}
