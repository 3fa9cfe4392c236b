/**
 * Filters are built as ldapts filter objects, never by gluing strings: a value travels as raw
 * bytes in the request, so `*`, `(`, `)`, `\` or NUL in a group name cannot change the filter.
 * (`toString()` of these objects gives the RFC 4515 text with those characters escaped.)
 */
import {
  AndFilter,
  EqualityFilter,
  ExtensibleFilter,
  type Filter,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
} from 'ldapts';
import { MATCHING_RULE_IN_CHAIN } from './config.js';

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
