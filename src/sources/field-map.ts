/**
 * The `map` block every source kind shares (issue 11): one mapping-language expression per field,
 * checked when the config loads, compiled once, and the old `{attr:8}` ID templates translated
 * into the language so one evaluator serves both. No source library here: every command loads it.
 */
import { key } from '../config/define.js';
import { ConfigError } from '../core/errors.js';
import type { FieldOrigins } from '../core/source.js';
import {
  compileMapping,
  describeMappingError,
  type Lookup,
  type Mapping,
  mappingProblem,
} from '../mapping/index.js';

/** The fields a `map` block may set. */
export const MAPPED_FIELDS = ['id', 'firstName', 'lastName', 'email'] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];
export type FieldExpressions = Readonly<Partial<Record<MappedField, Mapping>>>;

/** A convict format: '' or an expression that compiles; the error carries the caret line and the fix. */
export function expressionFormat(value: unknown): void {
  if (typeof value !== 'string') throw new Error('must be a string (a mapping expression)');
  const problem = mappingProblem(value);
  if (problem) throw new Error(problem);
}

const EXAMPLES: Readonly<Record<MappedField, string>> = {
  id: `e.g. 'pager | hex2dec | pad(10)' (hex card number → decimal), 'employeeNumber | pad(8)' or '"E-" + employeeNumber'`,
  firstName: `e.g. 'first(givenName, displayName | extract("^(\\\\S+)"))'`,
  lastName: `e.g. 'sn | trim'`,
  email: `e.g. 'first(mail, userPrincipalName) | lower'`,
};

/**
 * The `map` keys of one source kind. `what` names the inputs in that kind: "attribute",
 * "column", "property"; `today` says what '' does for each field.
 */
export function mapSchema(what: string, today: Readonly<Record<MappedField, string>>) {
  const leaf = (field: MappedField, label: string) =>
    key(
      `The ${label} as a mapping expression over the ${what}s (see "Mapping expressions" in the README): ${EXAMPLES[field]}. Overrides ${today[field]}; '' = ${today[field]}.`,
      expressionFormat,
      '',
    );
  return {
    id: leaf('id', 'credential ID'),
    firstName: leaf('firstName', 'first name'),
    lastName: leaf('lastName', 'last name'),
    email: leaf('email', 'e-mail address'),
  };
}

/** Compiles one expression or throws a ConfigError at the key, with the caret line in the message. */
export function compileField(text: string, place: string): Mapping {
  const r = compileMapping(text);
  if (r.ok) return r.mapping;
  throw new ConfigError(describeMappingError(text, r.error), {
    place,
    fix: r.error.fix,
  });
}

/** Compiles every set expression of a `map` block; '' fields stay absent. */
export function compileFields(
  block: Readonly<Partial<Record<MappedField, string>>>,
  place: (key: string) => string,
  prefix = 'map',
): FieldExpressions {
  const out: Partial<Record<MappedField, Mapping>> = {};
  for (const field of MAPPED_FIELDS) {
    const text = block[field]?.trim();
    if (text) out[field] = compileField(text, place(`${prefix}.${field}`));
  }
  return out;
}

const PLACEHOLDER = /\{([^{}:]*)(?::(\d{1,3}))?\}/g;

/**
 * An old ID template in the language: "E-{employeeNumber:8}" → `"E-" + (employeeNumber | pad(8))`.
 * Names that are not plain in the language are quoted as attr("…"). Returns undefined for text
 * that has no placeholder (the caller's own check words that error).
 */
export function templateToExpression(template: string): string | undefined {
  const parts: string[] = [];
  let at = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m.index > at) parts.push(JSON.stringify(template.slice(at, m.index)));
    const name = (m[1] ?? '').trim();
    const ref = /^[A-Za-z_][A-Za-z0-9_-]*(\/[A-Za-z_][A-Za-z0-9_-]*)*$/.test(name)
      ? name
      : `attr(${JSON.stringify(name)})`;
    const width = Number(m[2] ?? 0);
    parts.push(width > 0 ? `(${ref} | pad(${width}))` : ref);
    at = m.index + m[0].length;
  }
  if (parts.length === 0) return undefined;
  if (at < template.length) parts.push(JSON.stringify(template.slice(at)));
  return parts.join(' + ');
}

/** The inputs every expression reads, once each, in field order. */
export function expressionInputs(expressions: FieldExpressions): string[] {
  return [...new Set(MAPPED_FIELDS.flatMap((f) => expressions[f]?.inputs ?? []))];
}

/** Origins for the fields an expression sets: `from` is the expression, the key `map.<field>`. */
export function expressionOrigins(expressions: FieldExpressions, prefix = 'map'): FieldOrigins {
  const out: { -readonly [K in MappedField]?: { from: string; key: string } } = {};
  for (const field of MAPPED_FIELDS) {
    const m = expressions[field];
    if (m) out[field] = { from: `the expression ${m.text}`, key: `${prefix}.${field}` };
  }
  return out;
}

/** Why an expression gave nothing, for a record's note: "employeeNumber is empty", or the step that failed. */
export function emptyBecause(mapping: Mapping, get: Lookup): string {
  const empty = mapping.inputs.filter((name) => {
    const v = get(name);
    return v === undefined || v === '';
  });
  if (empty.length > 0) return `${empty.join(', ')} ${empty.length > 1 ? 'are' : 'is'} empty`;
  const failed = mapping.trace(get).steps.find((s) => s.value === undefined);
  return failed ? `${failed.step} gave nothing` : 'the expression gave nothing';
}
