/**
 * Row scope of the csv-folder source: `scope.include` / `scope.exclude`, each a list of
 * `{ column, equals | matches }`. A row is kept when it satisfies every include rule and no
 * exclude rule; a row left out is not a record at all (so never a rejection, whatever its other
 * fields hold) and is counted in one notice per file. People pushed before whose row is now out of
 * scope are planned as deletes like anyone missing from the file, and the guard judges them.
 *
 * Three steps: `resolveScope` checks the config (a bad pattern is a ConfigError naming the key),
 * `bindScope` ties the rules to one file's columns when its header is known (an unknown column is
 * a ConfigError naming the column and the header found), `leftOutBy` judges one row. Pure; plan
 * --explain re-reads a file with the same functions to say why a person is out of scope.
 */

import { ConfigError } from '../../core/errors.js';
import { formatCount, plural } from '../../core/plural.js';
import { NESTED_QUANTIFIER_FIX, nestedQuantifierAt } from '../../core/regex-safety.js';

/** One rule as written in the config. */
export interface ScopeRuleConfig {
  readonly column: string;
  readonly equals?: string;
  readonly matches?: string;
}

export interface ScopeConfig {
  readonly include: readonly ScopeRuleConfig[];
  readonly exclude: readonly ScopeRuleConfig[];
}

/** A checked rule, not yet tied to a file. */
export interface ScopeRule {
  readonly kind: 'include' | 'exclude';
  /** As configured: a header name or a 1-based position ("3"). */
  readonly column: string;
  readonly test: (value: string) => boolean;
  /** Why a row this rule leaves out is out: `Mobile ID is not "ja"`, `Status matches /x/i`. */
  readonly reason: string;
  /** The rule's config key, e.g. `jobs[main].sources[hr].scope.include[0]`. */
  readonly place: string;
}

/** The resolved scope; include rules come first. */
export interface CsvScope {
  readonly rules: readonly ScopeRule[];
}

/** A scope tied to one file: the 0-based column of each rule. */
export interface BoundScope {
  readonly rules: readonly ScopeRule[];
  readonly columns: readonly number[];
}

const POSITION_RE = /^\d+$/;
const LITERAL_RE = /^\/(.*)\/([a-z]*)$/s;
/** Stateless flags only: `g` and `y` would make `test` remember where it stopped. */
const ALLOWED_FLAGS = /^[imsu]*$/;

/** convict format of `scope.include` / `scope.exclude`: a list of `{ column, equals | matches }`. */
export function scopeRuleList(value: unknown): void {
  if (!Array.isArray(value)) throw new Error('must be a list of { column, equals } or { column, matches }');
  value.forEach((rule: unknown, i) => {
    const at = `item ${i + 1}`;
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
      throw new Error(`${at} must be an object such as { column: "Mobile ID", equals: "ja" }`);
    }
    const r = rule as Record<string, unknown>;
    const unknown = Object.keys(r).filter((k) => !['column', 'equals', 'matches'].includes(k));
    if (unknown.length > 0) throw new Error(`${at} has unknown key(s) ${unknown.join(', ')}`);
    if (typeof r.column !== 'string' || r.column.trim() === '') {
      throw new Error(`${at} needs column: a header name or a 1-based column number`);
    }
    if ('equals' in r === 'matches' in r) throw new Error(`${at} needs exactly one of equals and matches`);
    const operand = 'equals' in r ? r.equals : r.matches;
    if (typeof operand !== 'string')
      throw new Error(`${at}: ${'equals' in r ? 'equals' : 'matches'} must be text`);
  });
}

/** `/re/flags` or a bare pattern, compiled; a ConfigError naming `place` when it is not valid. */
function compilePattern(text: string, place: string): RegExp {
  const literal = LITERAL_RE.exec(text);
  const [source, flags] = literal ? [literal[1]!, literal[2]!] : [text, ''];
  if (!ALLOWED_FLAGS.test(flags)) {
    throw new ConfigError(`matches has flags "${flags}"; only i, m, s and u are allowed`, {
      place,
      fix: 'Write the pattern as /…/i for case-insensitive matching, or without slashes.',
    });
  }
  const nested = nestedQuantifierAt(source);
  if (nested !== undefined) {
    throw new ConfigError(
      `matches repeats a group that itself repeats, at character ${nested + 1} of the pattern`,
      { place, fix: `Rewrite it: ${NESTED_QUANTIFIER_FIX}.` },
    );
  }
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new ConfigError(`matches is not a valid regular expression: ${(e as Error).message}`, {
      place,
      fix: 'Write a JavaScript regular expression, e.g. "/^(inaktiv|ausgeschieden)$/i"; escape a literal ( or . with a backslash.',
    });
  }
}

function resolveRule(rule: ScopeRuleConfig, kind: ScopeRule['kind'], place: string): ScopeRule {
  const column = rule.column.trim();
  if (POSITION_RE.test(column) && Number(column) < 1) {
    throw new ConfigError(`Column positions start at 1 (got "${column}")`, {
      place: `${place}.column`,
      fix: 'Use 1 for the first column, or a header name.',
    });
  }
  const name = POSITION_RE.test(column) ? `column ${column}` : column;
  if (rule.matches !== undefined) {
    const re = compilePattern(rule.matches, `${place}.matches`);
    const shown = `/${re.source}/${re.flags}`;
    return {
      kind,
      column,
      place,
      test: (v) => re.test(v),
      reason: kind === 'include' ? `${name} does not match ${shown}` : `${name} matches ${shown}`,
    };
  }
  const wanted = (rule.equals ?? '').trim().toLowerCase();
  const shown = JSON.stringify((rule.equals ?? '').trim());
  return {
    kind,
    column,
    place,
    // Trimmed and case-insensitive: flag columns arrive as "ja", "Ja" and "JA " from the same HR tool.
    test: (v) => v.toLowerCase() === wanted,
    reason: kind === 'include' ? `${name} is not ${shown}` : `${name} is ${shown}`,
  };
}

/** Checks the configured rules; undefined when there are none (the reader's fast path). */
export function resolveScope(config: ScopeConfig, place: string): CsvScope | undefined {
  const rules = [
    ...config.include.map((r, i) => resolveRule(r, 'include', `${place}.include[${i}]`)),
    ...config.exclude.map((r, i) => resolveRule(r, 'exclude', `${place}.exclude[${i}]`)),
  ];
  return rules.length > 0 ? { rules } : undefined;
}

/**
 * Ties the rules to a file's columns: a header name (compared like `columns.*`: ignoring case,
 * accents, spaces and punctuation) or a position. A column the file lacks is a ConfigError.
 */
export function bindScope(
  scope: CsvScope,
  header: readonly string[] | undefined,
  width: number,
  fileName: string,
  /** columns.ts's normalizeHeader (passed in: columns.ts reads config.ts, which reads this file). */
  normalizeHeader: (name: string) => string,
): BoundScope {
  const normalized = header?.map(normalizeHeader);
  const columns = scope.rules.map((rule) => {
    const place = `${rule.place}.column`;
    if (POSITION_RE.test(rule.column)) {
      const position = Number(rule.column);
      if (position <= width) return position - 1;
      throw new ConfigError(`scope column ${position} is beyond the ${width} column(s) of ${fileName}`, {
        place,
        fix: 'Check the delimiter and the column number, or name the column by its header.',
      });
    }
    if (!header || !normalized) {
      throw new ConfigError(`scope names the column "${rule.column}", but ${fileName} has no header row`, {
        place,
        fix: 'Use the column number instead (1 for the first column), or export the file with its header row.',
      });
    }
    const index = normalized.indexOf(normalizeHeader(rule.column));
    if (index >= 0) return index;
    const found = header.map((h) => `"${h}"`).join(', ');
    throw new ConfigError(
      `scope names the column "${rule.column}", but the header of ${fileName} has none: ${found}`,
      {
        place,
        fix: 'Set column to one of those header names (case, spaces and punctuation do not matter) or to a column number.',
      },
    );
  });
  return { rules: scope.rules, columns };
}

/** The index of the rule that leaves this row out, or -1 when the row is in scope. */
export function leftOutBy(bound: BoundScope, fields: readonly string[]): number {
  const { rules, columns } = bound;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const value = (fields[columns[i]!] ?? '').trim();
    if (rule.test(value) !== (rule.kind === 'include')) return i;
  }
  return -1;
}

/** "12 rows left out by scope (Mobile ID is not "ja")", with a count per rule when several left rows out. */
export function scopeNoticeText(bound: BoundScope, counts: readonly number[]): string | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const used = bound.rules.flatMap((rule, i) => ((counts[i] ?? 0) > 0 ? [{ rule, n: counts[i]! }] : []));
  const why =
    used.length === 1
      ? used[0]!.rule.reason
      : used.map(({ rule, n }) => `${rule.reason}: ${formatCount(n)}`).join('; ');
  return `${plural(total, 'row')} left out by scope (${why})`;
}
