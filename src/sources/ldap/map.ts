/**
 * Directory entry → SourceRecord. Pure: no I/O, no clock. Only picks values and takes the
 * documented fallbacks (each reported as a note); trimming, NFC and validation are the
 * pipeline's job.
 */
import type { FieldOrigins } from '../../core/source.js';
import type { SourceRecord } from '../../core/types.js';
import type { Lookup, Mapping } from '../../mapping/index.js';
import {
  compileField,
  emptyBecause,
  expressionInputs,
  type FieldExpressions,
  templateToExpression,
} from '../field-map.js';

/** An attribute as ldapts parses it: text values (Buffer when not valid UTF-8) and the raw bytes. */
export interface RawAttribute {
  readonly type: string;
  readonly values: readonly (string | Buffer)[];
  readonly parsedBuffers: readonly Buffer[];
}

export interface RawEntry {
  readonly dn: string;
  readonly attributes: readonly RawAttribute[];
}

export interface TemplatePart {
  readonly attribute: string;
  /** Zero-pad to this many characters; 0 = as is. */
  readonly width: number;
}

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9-]*)(?::(\d{1,3}))?\}/g;

/** An ID template as literal text and placeholders: "E-{employeeNumber:8}" → ['E-', {employeeNumber, 8}]. */
export function parseTemplate(template: string): (string | TemplatePart)[] {
  const out: (string | TemplatePart)[] = [];
  let at = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m.index > at) out.push(template.slice(at, m.index));
    out.push({ attribute: m[1] ?? '', width: Number(m[2] ?? 0) });
    at = m.index + m[0].length;
  }
  if (at < template.length) out.push(template.slice(at));
  return out;
}

/** Why a template is unusable, or undefined when it is fine ('' is fine: no template). */
export function templateProblem(template: string): string | undefined {
  if (template === '') return undefined;
  const parts = parseTemplate(template);
  if (!parts.some((p) => typeof p !== 'string')) return 'has no {attribute} placeholder';
  if (parts.some((p) => typeof p === 'string' && /[{}]/.test(p))) {
    return 'has a malformed placeholder (write {attribute} or {attribute:width})';
  }
  return undefined;
}

/** Attribute names per field; undefined = not used. Built by config.ts from a preset and overrides. */
export interface AttributeMapping {
  readonly firstName: string | undefined;
  readonly lastName: string | undefined;
  readonly email: string | undefined;
  readonly emailFallback: string | undefined;
  readonly id: string | undefined;
  /** E.g. "{employeeNumber:8}"; when set, `id` is not used. */
  readonly idTemplate: string | undefined;
  readonly syncId: string;
  readonly syncIdFormat: 'guid' | 'text';
  readonly displayName: string | undefined;
  readonly commonName: string | undefined;
  /** `map.*` expressions; each replaces its field's attribute (and the ID template). */
  readonly expressions?: FieldExpressions | undefined;
}

/** The ID's expression: `map.id`, else the ID template translated into the language. */
function idExpression(m: AttributeMapping): Mapping | undefined {
  if (m.expressions?.id) return m.expressions.id;
  const text = m.idTemplate ? templateToExpression(m.idTemplate) : undefined;
  return text ? compileField(text, 'idTemplate') : undefined;
}

/** Where each field comes from and the key that chooses it, for rejection hints. */
export function fieldOrigins(m: AttributeMapping): FieldOrigins {
  const x = m.expressions ?? {};
  const pick = (field: 'firstName' | 'lastName' | 'email' | 'id', attribute: string | undefined) => {
    const e = x[field];
    if (e) return { from: `the expression ${e.text}`, key: `map.${field}` };
    return attribute
      ? { from: `attribute ${attribute}`, key: `attributes.${field} or map.${field}` }
      : undefined;
  };
  const id =
    !x.id && m.idTemplate
      ? { from: `the ID template ${m.idTemplate}`, key: 'idTemplate or map.id' }
      : pick('id', m.id);
  return {
    ...optional('firstName', pick('firstName', m.firstName)),
    ...optional('lastName', pick('lastName', m.lastName)),
    ...optional('email', pick('email', m.email)),
    ...optional('id', id),
    syncId: { from: `attribute ${m.syncId}`, key: 'attributes.syncId' },
  };
}

function optional<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}

/** The attributes a search must request for this mapping (and nothing more, for speed). */
export function mappedAttributes(m: AttributeMapping): string[] {
  const x = m.expressions ?? {};
  const id = idExpression(m);
  const names = [
    x.firstName ? undefined : m.firstName,
    x.lastName ? undefined : m.lastName,
    x.email ? undefined : m.email,
    m.emailFallback,
    id ? undefined : m.id,
    m.syncId,
    m.displayName,
    m.commonName,
    ...expressionInputs({ ...x, id }),
  ];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const n of names) {
    if (n && !seen.has(n.toLowerCase())) {
      seen.add(n.toLowerCase());
      out.push(n);
    }
  }
  return out;
}

/**
 * AD's objectGUID bytes → the canonical string. The first three groups are stored
 * little-endian (Windows GUID struct: Data1 u32, Data2 u16, Data3 u16), the last two as is.
 */
export function guidToString(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 16) return undefined;
  const h = (i: number): string => (bytes[i] ?? 0).toString(16).padStart(2, '0');
  const group = (idx: readonly number[]): string => idx.map(h).join('');
  return [
    group([3, 2, 1, 0]),
    group([5, 4]),
    group([7, 6]),
    group([8, 9]),
    group([10, 11, 12, 13, 14, 15]),
  ].join('-');
}

/** The inverse of guidToString, for filters such as `(objectGUID=<bytes>)` and for tests. */
export function guidToBytes(guid: string): Buffer | undefined {
  const hex = guid.replace(/^\{|\}$/g, '').replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) return undefined;
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([
    b.subarray(0, 4).reverse(),
    b.subarray(4, 6).reverse(),
    b.subarray(6, 8).reverse(),
    b.subarray(8),
  ]);
}

/** Splits a full name. "Last, First" is honoured; otherwise the first word is the first name. */
export function splitFullName(
  full: string,
  known: { first?: string | undefined; last?: string | undefined } = {},
): { first?: string; last?: string } {
  const text = full.trim().replace(/\s+/g, ' ');
  if (!text) return {};
  const comma = text.indexOf(',');
  if (comma > 0 && comma < text.length - 1) {
    return { last: text.slice(0, comma).trim(), first: text.slice(comma + 1).trim() };
  }
  if (known.first && text.startsWith(`${known.first} `))
    return { first: known.first, last: text.slice(known.first.length + 1) };
  if (known.last && text.endsWith(` ${known.last}`))
    return { first: text.slice(0, -known.last.length - 1), last: known.last };
  const space = text.indexOf(' ');
  if (space < 0) return { first: text };
  return { first: text.slice(0, space), last: text.slice(space + 1) };
}

function firstText(attr: RawAttribute | undefined): string | undefined {
  const v = attr?.values[0];
  if (v === undefined) return undefined;
  const s = typeof v === 'string' ? v : v.toString('utf8');
  return s.trim() === '' ? undefined : s;
}

type Found = (RawAttribute | undefined)[];

function textAt(found: Found, slot: number): string | undefined {
  return slot < 0 ? undefined : firstText(found[slot]);
}

/**
 * Compiles a mapping into a function from entry to record. Attribute names are resolved to
 * slots once; the returned function runs per entry (100k times on a big directory), so it
 * allocates little: one slot array, the record, and notes only when a fallback was taken.
 */
export function createMapper(m: AttributeMapping, source: string): (entry: RawEntry) => SourceRecord {
  const names = mappedAttributes(m);
  const exact = new Map(names.map((n, i) => [n, i]));
  const lower = new Map(names.map((n, i) => [n.toLowerCase(), i]));
  const slot = (n: string | undefined): number => (n === undefined ? -1 : (lower.get(n.toLowerCase()) ?? -1));
  const at = {
    firstName: slot(m.firstName),
    lastName: slot(m.lastName),
    email: slot(m.email),
    emailFallback: slot(m.emailFallback),
    id: slot(m.id),
    syncId: slot(m.syncId),
  };
  const x = m.expressions ?? {};
  const idExpr = idExpression(m);
  const idLabel = x.id ? `map.id ${x.id.text}` : `ID template ${m.idTemplate}`;
  const label = (field: 'firstName' | 'lastName' | 'email', attribute: string | undefined, none: string) =>
    x[field]?.text ?? attribute ?? none;
  const firstLabel = label('firstName', m.firstName, 'no first-name attribute');
  const lastLabel = label('lastName', m.lastName, 'no last-name attribute');
  const emailLabel = label('email', m.email, 'no e-mail attribute');
  const anyExpression = idExpr !== undefined || x.firstName || x.lastName || x.email;
  const nameFallbacks = [
    { slot: slot(m.displayName), name: m.displayName ?? '' },
    { slot: slot(m.commonName), name: m.commonName ?? '' },
  ].filter((f) => f.slot >= 0);
  const size = names.length;

  return (entry: RawEntry): SourceRecord => {
    const found: Found = new Array(size);
    for (const a of entry.attributes) {
      // Servers usually echo the requested spelling; fall back to a case-insensitive match.
      const i = exact.get(a.type) ?? lower.get(a.type.toLowerCase());
      if (i !== undefined) found[i] = a;
    }
    let notes: string[] | undefined;
    const note = (text: string): void => {
      notes ??= [];
      notes.push(text);
    };

    // Reads by the slot table (a Map), never by a property named in the config.
    const get: Lookup | undefined = anyExpression ? (name) => textAt(found, slot(name)) : undefined;
    let firstName = x.firstName && get ? x.firstName.evaluate(get) : textAt(found, at.firstName);
    let lastName = x.lastName && get ? x.lastName.evaluate(get) : textAt(found, at.lastName);
    for (const f of nameFallbacks) {
      if (firstName && lastName) break;
      const full = textAt(found, f.slot);
      if (!full) continue;
      const split = splitFullName(full, { first: firstName, last: lastName });
      if (!firstName && split.first) {
        firstName = split.first;
        note(`first name taken from ${f.name} (${firstLabel} is empty)`);
      }
      if (!lastName && split.last) {
        lastName = split.last;
        note(`last name taken from ${f.name} (${lastLabel} is empty)`);
      }
    }

    let email = x.email && get ? x.email.evaluate(get) : textAt(found, at.email);
    if (!email && at.emailFallback >= 0) {
      email = textAt(found, at.emailFallback);
      if (email) note(`e-mail taken from ${m.emailFallback} (${emailLabel} is empty)`);
    }

    let id: string | undefined;
    if (idExpr && get) {
      id = idExpr.evaluate(get);
      if (id === undefined) note(`${idLabel}: ${emptyBecause(idExpr, get)}`);
    } else id = textAt(found, at.id);

    let syncId: string | undefined;
    if (m.syncIdFormat === 'guid') {
      const bytes = found[at.syncId]?.parsedBuffers[0];
      if (bytes) {
        syncId = guidToString(bytes);
        if (!syncId) note(`${m.syncId} is ${bytes.length} bytes, not a 16-byte GUID`);
      }
    } else syncId = textAt(found, at.syncId);

    return { place: { source, kind: 'ldap', ref: entry.dn }, firstName, lastName, email, id, syncId, notes };
  };
}
