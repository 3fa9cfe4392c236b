/**
 * Filters are built as ldapts filter objects, never by gluing strings: a value travels as raw
 * bytes in the request, so `*`, `(`, `)`, `\` or NUL in a group name cannot change the filter.
 * (`toString()` of these objects gives the RFC 4515 text with those characters escaped.)
 *
 * Filters an admin writes are read by our own RFC 4515 parser (`parseFilter`), not by ldapts's:
 * ldapts 8 takes `(&(a=1)(b=2)` (no final ")") and, with a ")" missing inside, lets a later
 * clause slip into an OR — a different set of people, silently. Ours refuses anything outside
 * the grammar and names the character where it went wrong; the ldapts objects are then built
 * from our tree, so what is sent is exactly what was validated.
 */
import {
  AndFilter,
  ApproximateFilter,
  BerWriter,
  EqualityFilter,
  ExtensibleFilter,
  type Filter,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
  SubstringFilter,
} from 'ldapts';
import { ConfigError } from '../../core/errors.js';
import { describeFilterProblem, type FilterNode, isUtf8, parseFilter } from './filter-parse.js';

export {
  describeFilterProblem,
  type FilterNode,
  type FilterParse,
  type FilterProblem,
  parseFilter,
  printFilter,
} from './filter-parse.js';

/** AD's transitive membership rule (LDAP_MATCHING_RULE_IN_CHAIN). */
export const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';

/** Object classes of groups on AD (group), OpenLDAP (groupOfNames, groupOfUniqueNames) and NIS (posixGroup). */
export const GROUP_CLASSES = ['group', 'groupOfNames', 'groupOfUniqueNames', 'posixGroup'] as const;

export function and(...filters: (Filter | undefined)[]): Filter {
  const list = filters.filter((f): f is Filter => f !== undefined);
  const [only] = list;
  if (list.length === 1 && only) return only;
  return new AndFilter({ filters: list });
}

export function or(filters: readonly Filter[]): Filter {
  const [only] = filters;
  if (filters.length === 1 && only) return only;
  return new OrFilter({ filters: [...filters] });
}

export function not(filter: Filter): Filter {
  return new NotFilter({ filter });
}

export function equals(attribute: string, value: string): Filter {
  return new EqualityFilter({ attribute, value });
}

export function present(attribute: string): Filter {
  return new PresenceFilter({ attribute });
}

export function groupObjectFilter(): Filter {
  return or(GROUP_CLASSES.map((c) => equals('objectClass', c)));
}

/** AD: members of any of these groups, at any depth (the server resolves nesting, cycle-safe). */
export function inChainClause(groupDns: readonly string[]): Filter {
  return or(
    groupDns.map(
      (dn) => new ExtensibleFilter({ matchType: 'memberOf', rule: MATCHING_RULE_IN_CHAIN, value: dn }),
    ),
  );
}

/** Direct members (memberOf equality) of any of these groups. */
export function memberOfClause(groupDns: readonly string[]): Filter {
  return or(groupDns.map((dn) => equals('memberOf', dn)));
}

/** Windows FILETIME: 100 ns ticks since 1601-01-01 UTC, as AD stores accountExpires. */
export function fileTime(date: Date): string {
  return ((BigInt(date.getTime()) + 11_644_473_600_000n) * 10_000n).toString();
}

/**
 * AD accounts whose expiry date has passed. accountExpires 0 and 0x7FFFFFFFFFFFFFFF both mean
 * "never"; the first is excluded by `>= 1`, the second lies far in the future.
 */
export function expiredFilter(now: Date): Filter {
  return and(
    new GreaterThanEqualsFilter({ attribute: 'accountExpires', value: '1' }),
    new LessThanEqualsFilter({ attribute: 'accountExpires', value: fileTime(now) }),
  );
}

const utf8 = (b: Buffer): string => b.toString('utf8');

/** The ldapts objects for a parsed filter: the bytes on the wire are the bytes we validated. */
export function toLdapFilter(n: FilterNode): Filter {
  switch (n.kind) {
    case 'and':
      return new AndFilter({ filters: n.children.map(toLdapFilter) });
    case 'or':
      return new OrFilter({ filters: n.children.map(toLdapFilter) });
    case 'not':
      return new NotFilter({ filter: toLdapFilter(n.child) });
    case 'present':
      return new PresenceFilter({ attribute: n.attribute });
    case 'equal':
      // Text goes as text (the same UTF-8 bytes); anything else, e.g. a GUID, as raw bytes.
      return new EqualityFilter({ attribute: n.attribute, value: isUtf8(n.value) ? utf8(n.value) : n.value });
    case 'approx':
      return new ApproximateFilter({ attribute: n.attribute, value: utf8(n.value) });
    case 'ge':
      return new GreaterThanEqualsFilter({ attribute: n.attribute, value: utf8(n.value) });
    case 'le':
      return new LessThanEqualsFilter({ attribute: n.attribute, value: utf8(n.value) });
    case 'substring':
      return new SubstringFilter({
        attribute: n.attribute,
        initial: n.initial && utf8(n.initial),
        any: n.any.map(utf8),
        final: n.final && utf8(n.final),
      });
    case 'extensible':
      return new ExtensibleFilter({
        matchType: n.attribute ?? '',
        dnAttributes: n.dnAttributes,
        rule: n.rule,
        value: utf8(n.value),
      });
  }
}

/** The BER bytes of a filter as a search request carries them. */
export function filterBytes(f: Filter): Buffer {
  const w = new BerWriter();
  f.write(w);
  return w.buffer;
}

/**
 * The filter composed for a search (user filter, group clause, exclusions) passes the same
 * grammar, and its text says exactly what is sent: re-reading its RFC 4515 text must give the
 * same bytes. Otherwise the run stops (78) rather than search with a filter nobody can read.
 */
export function checkedComposition(f: Filter, place: string): Filter {
  const text = f.toString();
  const r = parseFilter(text);
  const problem = !r.ok
    ? describeFilterProblem(text, r.error)
    : filterBytes(toLdapFilter(r.node)).equals(filterBytes(f))
      ? undefined
      : `its text ${text} does not say what would be sent`;
  if (problem === undefined) return f;
  throw new ConfigError(
    `The LDAP filter composed from filter, groups and exclusions is not valid: ${problem}`,
    {
      place,
      fix: 'Check filter, disabledFilter and the group DNs of this source for characters that cannot appear there (e.g. a lone surrogate).',
    },
  );
}
