/**
 * `plan --explain` for entra: the users whose object id, mail or user principal name is the one
 * asked for (one `/users?$filter=` query, without the source's filter or groups), then each rule
 * of the run checked for them: guest, disabled, not in the groups, filter. Reads only.
 * (explain.ts, by its older name, turns Graph failures into plain words.)
 */
import type { FieldOrigin, PersonFinding, PersonLookup } from '../../core/source.js';
import type { MappedField } from '../field-map.js';
import type { ResolvedEntraConfig } from './config.js';
import type { GraphReader } from './graph.js';
import { type GraphUser, isDisabled, isGuest, mapUser, userLookup } from './map.js';
import type { GroupScope } from './scope.js';
import { collect, filterParams, hasId } from './users.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const literal = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** `id eq '…' or mail eq '…' or userPrincipalName eq '…'` (id only for a GUID: Graph refuses others). */
function keyFilter(r: ResolvedEntraConfig, key: string): string {
  const parts = [`mail eq ${literal(key)}`, `userPrincipalName eq ${literal(key)}`];
  if (r.mapping.email !== 'mail' && !r.mapping.email.includes('/'))
    parts.push(`${r.mapping.email} eq ${literal(key)}`);
  if (GUID.test(key)) parts.unshift(`id eq ${literal(key.toLowerCase())}`);
  return parts.join(' or ');
}

interface Ask {
  readonly reader: GraphReader;
  readonly signal: AbortSignal;
}

/** Whether the configured filter keeps this user: the same filter, narrowed to the user's id. */
async function filterKeeps(ask: Ask, filter: string, id: string): Promise<boolean> {
  const { params, headers } = filterParams(`id eq ${literal(id)} and (${filter})`);
  const url = ask.reader.url('users', { $select: 'id', ...params });
  const found = await collect(ask.reader, url, { headers, signal: ask.signal, what: 'users' }, hasId);
  return found.has(id);
}

/** The groups (of the configured ones) this user is a member of, nested included. */
async function memberOf(ask: Ask, scope: GroupScope, id: string): Promise<boolean> {
  for (const group of await scope.resolve(ask.reader, ask.signal)) {
    const url = ask.reader.url(`groups/${encodeURIComponent(group.id)}/transitiveMembers`, {
      $select: 'id',
      $top: '999',
    });
    const members = await collect(
      ask.reader,
      url,
      { signal: ask.signal, what: `group ${group.label}` },
      hasId,
    );
    if (members.has(id)) return true;
  }
  return false;
}

async function exclusions(
  ask: Ask,
  r: ResolvedEntraConfig,
  scope: GroupScope,
  user: GraphUser,
): Promise<string[]> {
  const { config } = r;
  const out: string[] = [];
  if (!config.includeGuests && isGuest(user)) out.push('guest account (includeGuests is off)');
  if (!config.includeDisabled && isDisabled(user))
    out.push('disabled (accountEnabled is false; includeDisabled is off)');
  if (scope.configured && !(await memberOf(ask, scope, user.id)))
    out.push(`not a member of ${config.groups.join(' or ')} (direct or nested)`);
  if (config.filter.trim() && !(await filterKeeps(ask, config.filter, user.id)))
    out.push(`filter ${config.filter} does not match`);
  return out;
}

function origins(r: ResolvedEntraConfig, user: GraphUser): FieldOrigin[] {
  const record = mapUser(user, r.mapping, '');
  const m = r.mapping;
  const x = m.expressions ?? {};
  const get = userLookup(user);
  const fallback = (what: string): string | undefined =>
    record.notes
      ?.find((n) => n.startsWith(`${what} taken from `))
      ?.slice(`${what} taken from `.length)
      .split(' ')[0];
  const read = (field: MappedField, property: string): FieldOrigin => {
    const expr = x[field];
    return expr
      ? {
          field,
          value: record[field],
          from: `the expression ${expr.text}`,
          key: `map.${field}`,
          steps: expr.trace(get).steps,
        }
      : { field, value: record[field], from: property, key: `map.${field}`, steps: [] };
  };
  const named = (field: 'firstName' | 'lastName', what: string, property: string): FieldOrigin => {
    const from = fallback(what);
    if (!from) return read(field, property);
    return {
      field,
      value: record[field],
      from: `${from} (split; ${property} is empty)`,
      key: `map.${field}`,
      steps: [],
    };
  };
  const emailFrom = fallback('e-mail');
  return [
    named('firstName', 'first name', m.firstName),
    named('lastName', 'last name', m.lastName),
    emailFrom
      ? { field: 'email', value: record.email, from: emailFrom, key: 'map.emailFallbacks', steps: [] }
      : read('email', m.email),
    read('id', m.id.source),
    { field: 'syncId', value: record.syncId, from: 'id (object id)', key: '', steps: [] },
  ];
}

export async function explainEntra(
  reader: GraphReader,
  r: ResolvedEntraConfig,
  scope: GroupScope,
  select: readonly string[],
  key: string,
  signal: AbortSignal,
): Promise<PersonLookup> {
  const filter = keyFilter(r, key);
  const url = reader.url('users', { $select: select.join(','), $filter: filter });
  const users = [...(await collect(reader, url, { signal, what: 'users' }, hasId)).values()];
  const ask: Ask = { reader, signal };
  const findings: PersonFinding[] = [];
  for (const user of users) {
    const reasons = await exclusions(ask, r, scope, user);
    const upn = typeof user.userPrincipalName === 'string' ? ` (${user.userPrincipalName})` : '';
    findings.push({
      place: `users/${user.id}${upn}`,
      verdict: reasons.length ? 'left-out' : 'included',
      ...(reasons.length ? { reason: reasons.join('; ') } : {}),
      fields: origins(r, user),
    });
  }
  return {
    searched: `${r.graphBaseUrl}/users?$filter=${filter} (without the source's filter and groups)`,
    findings,
  };
}
