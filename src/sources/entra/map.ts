/**
 * Graph user objects → SourceRecords. Pure: no I/O, no clock. Fallbacks taken are written to the
 * record's notes so the report says where a value came from; the pipeline does the checking.
 */
import type { FieldOrigins } from '../../core/source.js';
import type { Place, SourceRecord } from '../../core/types.js';
import type { Lookup, Mapping } from '../../mapping/index.js';
import { compileMapping } from '../../mapping/index.js';
import { emptyBecause, expressionInputs, type FieldExpressions, templateToExpression } from '../field-map.js';

export const EMAIL_FALLBACKS = ['proxyAddresses', 'otherMails', 'userPrincipalName'] as const;
export type EmailFallback = (typeof EMAIL_FALLBACKS)[number];

/** A user as Graph returns it: `id` plus the selected properties (any may be null or missing). */
export interface GraphUser {
  readonly id: string;
  readonly [property: string]: unknown;
}

export type TemplatePart = { readonly text: string } | { readonly property: string; readonly width?: number };

/** A compiled ID template; `properties` are the property paths it reads. */
export interface IdTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
  readonly properties: readonly string[];
  /** The template in the mapping language (`"B-" + (employeeId | pad(8))`): how it is evaluated. */
  readonly mapping: Mapping;
}

/** The checked template as a mapping expression, evaluated like any `map.*` expression. */
function asMapping(template: string): Mapping | string {
  const text = templateToExpression(template) ?? template;
  const r = compileMapping(text);
  return r.ok ? r.mapping : r.error.message;
}

export interface EntraMapping {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly emailFallbacks: readonly EmailFallback[];
  readonly allowTenantUpn: boolean;
  readonly id: IdTemplate;
  /**
   * Fields written as mapping expressions (`map.id: 'employeeId | pad(8)'`); each replaces its
   * property (or template). A bare property name stays a plain read.
   */
  readonly expressions?: FieldExpressions | undefined;
}

/** Where each field comes from and the key that chooses it, for rejection hints. */
export function fieldOrigins(mapping: EntraMapping): FieldOrigins {
  const x = mapping.expressions ?? {};
  const origin = (field: 'firstName' | 'lastName' | 'email', property: string) =>
    x[field]
      ? { from: `the expression ${x[field].text}`, key: `map.${field}` }
      : { from: `property ${property}`, key: `map.${field}` };
  return {
    firstName: origin('firstName', mapping.firstName),
    lastName: origin('lastName', mapping.lastName),
    email: origin('email', mapping.email),
    id: x.id
      ? { from: `the expression ${x.id.text}`, key: 'map.id' }
      : {
          from:
            mapping.id.properties.length === 1 && mapping.id.parts.length === 1
              ? `property ${mapping.id.properties[0]}`
              : `the template ${mapping.id.source}`,
          key: 'map.id',
        },
  };
}

const PROPERTY = /^[A-Za-z_]\w*(\/[A-Za-z_]\w*)?$/;

/**
 * `employeeId` (a bare property), or a template: `{employeeId:8}`, `B-{onPremisesExtensionAttributes/extensionAttribute1}`.
 * Returns the error text for a bad template.
 */
export function compileTemplate(source: string): IdTemplate | string {
  const s = source.trim();
  if (!s.includes('{') && !s.includes('}')) {
    if (!PROPERTY.test(s)) return `"${s}" is not a property name`;
    const mapping = asMapping(s);
    return typeof mapping === 'string'
      ? mapping
      : { source, parts: [{ property: s }], properties: [s], mapping };
  }
  const parts: TemplatePart[] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index > last) parts.push({ text: s.slice(last, m.index) });
    const [property = '', width] = m[1]!.split(':');
    if (!PROPERTY.test(property)) return `"{${m[1]}}" does not name a property`;
    if (width !== undefined && !/^[1-9]\d?$/.test(width))
      return `"{${m[1]}}": the width must be a number 1-99`;
    parts.push(width === undefined ? { property } : { property, width: Number(width) });
    last = m.index + m[0].length;
  }
  if (last < s.length) parts.push({ text: s.slice(last) });
  if (parts.some((p) => 'text' in p && /[{}]/.test(p.text))) return 'unbalanced braces';
  const properties = parts.flatMap((p) => ('property' in p ? [p.property] : []));
  if (properties.length === 0) return 'the template reads no property';
  const mapping = asMapping(s);
  return typeof mapping === 'string' ? mapping : { source, parts, properties, mapping };
}

const topLevel = (path: string): string => path.split('/')[0]!;

/** The `$select` list: only what the mapping and the scope rules read. */
export function selectProperties(mapping: EntraMapping): string[] {
  const wanted = [
    'id',
    'userPrincipalName',
    'displayName',
    'userType',
    'accountEnabled',
    mapping.firstName,
    mapping.lastName,
    mapping.email,
    ...mapping.emailFallbacks,
    ...(mapping.expressions?.id ? [] : mapping.id.properties),
    ...expressionInputs(mapping.expressions ?? {}),
  ];
  return [...new Set(wanted.map(topLevel))];
}

/** A property path's value; only the object's own properties (a name like `constructor` reads nothing). */
function read(user: GraphUser, path: string): unknown {
  if (!path.includes('/')) return Object.hasOwn(user, path) ? user[path] : undefined;
  let cur: unknown = user;
  for (const part of path.split('/')) {
    cur =
      typeof cur === 'object' && cur !== null && Object.hasOwn(cur, part)
        ? (cur as Record<string, unknown>)[part]
        : undefined;
  }
  return cur;
}

/** A usable scalar as text, or undefined for null, missing, blank or non-scalar values. */
function text(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return value;
}

export function isGuest(user: GraphUser): boolean {
  const upn = user.userPrincipalName;
  return user.userType === 'Guest' || (typeof upn === 'string' && upn.includes('#EXT#'));
}

export function isDisabled(user: GraphUser): boolean {
  return user.accountEnabled === false;
}

/** A tenant-only sign-in name that is not a mailbox: #EXT# guests and *.onmicrosoft.com. */
export function isTenantOnlyName(upn: string): boolean {
  return upn.includes('#EXT#') || /\.onmicrosoft\.[a-z]+$|\.onmschina\.cn$/i.test(upn);
}

export function placeOf(source: string, user: GraphUser): Place {
  return entraPlace(source, user.id, text(user.userPrincipalName));
}

function entraPlace(source: string, id: string, upn: string | undefined): Place {
  return { source, kind: 'entra', ref: upn ? `users/${id} (${upn})` : `users/${id}` };
}

/**
 * One user's record. Its place (`users/<id> (<upn>)`) is built when read: a valid record is never
 * named, and a place object with its ref string per user is that much more for the garbage
 * collector to copy at 100k users. Each read of `place` returns a new plain object: compare
 * places by their fields, never by identity.
 */
class UserRecord implements SourceRecord {
  // Private, so spreads, JSON and equality see only the record's fields.
  readonly #source: string;
  readonly #upn: string | undefined;

  constructor(
    source: string,
    upn: string | undefined,
    readonly firstName: string | undefined,
    readonly lastName: string | undefined,
    readonly email: string | undefined,
    readonly id: string | undefined,
    readonly syncId: string,
    readonly notes: readonly string[] | undefined,
  ) {
    this.#source = source;
    this.#upn = upn;
  }

  get place(): Place {
    return entraPlace(this.#source, this.syncId, this.#upn);
  }
}

/** "Lovelace, Ada" or "Ada King Lovelace" → first and last name. */
export function splitDisplayName(displayName: string): { first?: string; last?: string } {
  const t = displayName.trim();
  const comma = t.indexOf(',');
  if (comma > 0) {
    const last = t.slice(0, comma).trim();
    const first = t.slice(comma + 1).trim();
    return { ...(first ? { first } : {}), ...(last ? { last } : {}) };
  }
  const words = t.split(/\s+/);
  const first = words[0];
  const last = words.slice(1).join(' ');
  return { ...(first ? { first } : {}), ...(last ? { last } : {}) };
}

function emailOf(user: GraphUser, mapping: EntraMapping, notes: string[], get: Lookup): string | undefined {
  const expression = mapping.expressions?.email;
  const direct = expression ? expression.evaluate(get) : text(read(user, mapping.email));
  if (direct) return direct;
  let tenantOnly: string | undefined;
  for (const fallback of mapping.emailFallbacks) {
    let found: string | undefined;
    if (fallback === 'proxyAddresses') {
      const list = Array.isArray(user.proxyAddresses) ? user.proxyAddresses : [];
      // "SMTP:" in capitals marks the primary address; "smtp:" ones are aliases.
      const primary = list.find((a): a is string => typeof a === 'string' && a.startsWith('SMTP:'));
      found = primary ? text(primary.slice(5)) : undefined;
    } else if (fallback === 'otherMails') {
      const list = Array.isArray(user.otherMails) ? user.otherMails : [];
      found = list.map(text).find((v) => v !== undefined);
    } else {
      const upn = text(user.userPrincipalName);
      if (upn && isTenantOnlyName(upn) && !mapping.allowTenantUpn) tenantOnly = upn;
      else found = upn;
    }
    if (found) {
      notes.push(`e-mail taken from ${fallback} because ${mapping.email} is empty`);
      return found;
    }
  }
  notes.push(
    tenantOnly
      ? `no e-mail: ${mapping.email} is empty and the user principal name ${tenantOnly} is not a mailbox (map.allowTenantUpn allows it)`
      : `no e-mail: ${mapping.email} is empty${mapping.emailFallbacks.length ? ` and so are ${mapping.emailFallbacks.join(', ')}` : ''}`,
  );
  return undefined;
}

/** A user's property paths as the mapping language reads them (also for `plan --explain`'s trace). */
export function userLookup(user: GraphUser): Lookup {
  return (path) => text(read(user, path));
}

/** One user → one record; the Sync ID is the immutable object id. */
export function mapUser(user: GraphUser, mapping: EntraMapping, source: string): SourceRecord {
  const notes: string[] = [];
  const x = mapping.expressions ?? {};
  const get = userLookup(user);
  let firstName = x.firstName ? x.firstName.evaluate(get) : get(mapping.firstName);
  let lastName = x.lastName ? x.lastName.evaluate(get) : get(mapping.lastName);
  if (!firstName || !lastName) {
    const displayName = text(user.displayName);
    const split = displayName ? splitDisplayName(displayName) : {};
    if (!firstName && split.first) {
      firstName = split.first;
      notes.push(`first name taken from displayName because ${mapping.firstName} is empty`);
    }
    if (!lastName && split.last) {
      lastName = split.last;
      notes.push(`last name taken from displayName because ${mapping.lastName} is empty`);
    }
  }
  const email = emailOf(user, mapping, notes, get);
  const idMapping = x.id ?? mapping.id.mapping;
  const id = idMapping.evaluate(get);
  if (id === undefined) notes.push(`no ID: ${emptyBecause(idMapping, get)}`);
  const upn = text(user.userPrincipalName);
  return new UserRecord(
    source,
    upn,
    firstName,
    lastName,
    email,
    id,
    user.id,
    notes.length > 0 ? notes : undefined,
  );
}

export interface ScopeRules {
  readonly includeGuests: boolean;
  readonly includeDisabled: boolean;
}

export interface MappedUsers {
  readonly records: SourceRecord[];
  readonly skippedGuests: number;
  readonly skippedDisabled: number;
}

/**
 * Applies the guest/disabled rules and maps the rest, one user at a time in input order, so a
 * full read can map each page while Graph prepares the next.
 */
export class UserMapper {
  private readonly records: SourceRecord[] = [];
  private skippedGuests = 0;
  private skippedDisabled = 0;

  constructor(
    private readonly mapping: EntraMapping,
    private readonly rules: ScopeRules,
    private readonly source: string,
  ) {}

  /** Users handed to `add`, kept or not. */
  get seen(): number {
    return this.records.length + this.skippedGuests + this.skippedDisabled;
  }

  add(user: GraphUser): void {
    if (!this.rules.includeGuests && isGuest(user)) this.skippedGuests++;
    else if (!this.rules.includeDisabled && isDisabled(user)) this.skippedDisabled++;
    else this.records.push(mapUser(user, this.mapping, this.source));
  }

  done(): MappedUsers {
    return {
      records: this.records,
      skippedGuests: this.skippedGuests,
      skippedDisabled: this.skippedDisabled,
    };
  }
}

/** Applies the guest/disabled rules and maps the rest, in input order. */
export function mapUsers(
  users: Iterable<GraphUser>,
  mapping: EntraMapping,
  rules: ScopeRules,
  source: string,
): MappedUsers {
  const mapper = new UserMapper(mapping, rules, source);
  for (const user of users) mapper.add(user);
  return mapper.done();
}
