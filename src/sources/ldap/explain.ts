/**
 * `plan --explain` for ldap: the entries whose e-mail or Sync ID is the one asked for, searched
 * WITHOUT the user filter, the group scope and the disabled / expired exclusion, then each of
 * those rules checked on the entry (a base-scope search per rule, so the server judges exactly as
 * in the run), so the answer can say which rule left the person out. Reads only.
 */
import { EqualityFilter, type Filter, type SearchEntry } from 'ldapts';
import type { FieldOrigin, PersonFinding, PersonLookup } from '../../core/source.js';
import type { SourceRecord } from '../../core/types.js';
import type { Lookup, Mapping } from '../../mapping/index.js';
import { compileField, type MappedField, templateToExpression } from '../field-map.js';
import type { LdapConnection } from './connection.js';
import { equals, expiredFilter, or } from './filters.js';
import { type GroupScope, isMember, resolveGroupScope } from './groups.js';
import { createMapper, guidToBytes, mappedAttributes } from './map.js';
import { normalizeDn, readEntry, searchPages } from './search.js';
import type { LdapSettings } from './settings.js';

/** Shown with the reason when present (AD, or a directory that mimics it). */
const STATUS_ATTRIBUTES = ['userAccountControl', 'accountExpires'];

/** `(|(mail=key)(entryUUID=key))`; a GUID Sync ID is compared as AD stores it, in bytes. */
function keyFilter(s: LdapSettings, key: string): Filter {
  const m = s.mapping;
  const parts: Filter[] = [];
  for (const attr of [m.email, m.emailFallback]) if (attr) parts.push(equals(attr, key));
  if (m.syncIdFormat === 'guid') {
    const bytes = guidToBytes(key);
    if (bytes) parts.push(new EqualityFilter({ attribute: m.syncId, value: bytes }));
  } else parts.push(equals(m.syncId, key));
  return or(parts);
}

function firstValue(e: SearchEntry, name: string): string | undefined {
  const a = e.attributes.find((x) => x.type.toLowerCase() === name.toLowerCase());
  const v = a?.values[0];
  return v === undefined ? undefined : typeof v === 'string' ? v : v.toString('utf8');
}

/** FILETIME (100 ns since 1601) → ISO date, for the reason text. */
function fileTimeDate(value: string | undefined): string {
  if (!value || !/^\d+$/.test(value)) return 'unknown';
  const ms = Number(BigInt(value) / 10_000n - 11_644_473_600_000n);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : 'unknown';
}

interface Judge {
  readonly conn: LdapConnection;
  readonly s: LdapSettings;
  readonly scope: GroupScope | undefined;
  readonly now: Date;
  readonly signal: AbortSignal;
  readonly deadline: number;
}

/** Whether the server matches `filter` against this one entry. */
async function matches(j: Judge, dn: string, filter: Filter): Promise<boolean> {
  return (await readEntry(j.conn, dn, ['1.1'], j.signal, j.deadline, filter)) !== undefined;
}

/** Every rule of the run that leaves this entry out, in the order the admin would check them. */
async function exclusions(j: Judge, e: SearchEntry): Promise<string[]> {
  const { s, scope } = j;
  const out: string[] = [];
  if (!(await matches(j, e.name, s.filter))) out.push(`filter ${s.filterText} does not match`);
  if (scope) {
    const member = scope.membership
      ? isMember(e, scope.membership)
      : scope.clause
        ? await matches(j, e.name, scope.clause)
        : true;
    if (!member) out.push(`not a member of ${s.groups.join(' or ')} (direct or nested)`);
  }
  if (s.disabledFilter && (await matches(j, e.name, s.disabledFilter))) {
    const uac = firstValue(e, 'userAccountControl');
    out.push(`disabled (${s.disabledFilterText}${uac ? `; userAccountControl ${uac}` : ''})`);
  }
  if (s.excludeExpired && (await matches(j, e.name, expiredFilter(j.now)))) {
    out.push(`accountExpires in the past (${fileTimeDate(firstValue(e, 'accountExpires'))})`);
  }
  return out;
}

/** Which attribute a fallback note says a field came from, else the configured one. */
function noted(r: SourceRecord, what: string, configured: string | undefined): string | undefined {
  const note = r.notes?.find((n) => n.startsWith(`${what} taken from `));
  return note ? note.slice(`${what} taken from `.length).split(' ')[0] : configured;
}

function traced(mapping: Mapping, get: Lookup): FieldOrigin['steps'] {
  return mapping.trace(get).steps;
}

function origins(s: LdapSettings, e: SearchEntry, r: SourceRecord): FieldOrigin[] {
  const m = s.mapping;
  const x = m.expressions ?? {};
  const get: Lookup = (name) => firstValue(e, name) || undefined;
  const expression = (field: MappedField, mapping: Mapping): FieldOrigin => ({
    field,
    value: r[field],
    from: `the expression ${mapping.text}`,
    key: `map.${field}`,
    steps: traced(mapping, get),
  });
  const named = (field: 'firstName' | 'lastName', what: string, attr: string | undefined): FieldOrigin => {
    const from = noted(r, what, attr);
    const expr = x[field];
    if (from === attr && expr) return expression(field, expr);
    const fallback = from !== attr;
    return {
      field,
      value: r[field],
      from: fallback ? `${from} (split; ${expr?.text ?? attr ?? 'none'} is empty)` : (attr ?? 'none'),
      key: fallback
        ? `attributes.${from === m.displayName ? 'displayName' : 'commonName'}`
        : `attributes.${field}`,
      steps: [],
    };
  };
  const emailFrom = noted(r, 'e-mail', m.email);
  const email: FieldOrigin =
    x.email && emailFrom === m.email
      ? expression('email', x.email)
      : {
          field: 'email',
          value: r.email,
          from: emailFrom ?? 'none',
          key: emailFrom !== m.email ? 'attributes.emailFallback' : 'attributes.email',
          steps: [],
        };
  const template = m.idTemplate ? templateToExpression(m.idTemplate) : undefined;
  const id: FieldOrigin = x.id
    ? expression('id', x.id)
    : template
      ? {
          field: 'id',
          value: r.id,
          from: `template ${m.idTemplate}`,
          key: 'idTemplate',
          steps: traced(compileField(template, 'idTemplate'), get),
        }
      : { field: 'id', value: r.id, from: m.id ?? 'none', key: 'attributes.id', steps: [] };
  const syncId: FieldOrigin = {
    field: 'syncId',
    value: r.syncId,
    from: m.syncIdFormat === 'guid' ? `${m.syncId} (GUID)` : m.syncId,
    key: 'attributes.syncId',
    steps: [],
  };
  return [
    named('firstName', 'first name', m.firstName),
    named('lastName', 'last name', m.lastName),
    email,
    id,
    syncId,
  ];
}

export async function explainLdap(
  conn: LdapConnection,
  s: LdapSettings,
  key: string,
  now: Date,
  signal: AbortSignal,
): Promise<PersonLookup> {
  const deadline = s.searchTimeoutMs ? Date.now() + s.searchTimeoutMs : 0;
  const filter = keyFilter(s, key);
  const attributes = [...mappedAttributes(s.mapping), 'uid', ...STATUS_ATTRIBUTES];
  const entries: SearchEntry[] = [];
  const seen = new Set<string>();
  for (const base of s.baseDns) {
    await searchPages(
      conn,
      { base, scope: s.scope, filter, attributes, pageSize: s.pageSize, deadline, bindDn: s.bindDn },
      signal,
      (page) => {
        for (const e of page) {
          const dn = normalizeDn(e.name);
          if (seen.has(dn)) continue;
          seen.add(dn);
          entries.push(e);
        }
      },
    );
  }
  const searched = `${conn.url} ${s.baseDns.join('; ')} (scope ${s.scope}) for ${filter.toString()}, without the user filter, groups and disabled rules`;
  if (entries.length === 0) return { searched, findings: [] };
  const scope = await resolveGroupScope(s, conn, signal, deadline);
  const judge: Judge = { conn, s, scope, now, signal, deadline };
  const mapper = createMapper(s.mapping, s.name);
  const findings: PersonFinding[] = [];
  for (const e of entries) {
    const reasons = await exclusions(judge, e);
    const record = mapper({ dn: e.name, attributes: e.attributes });
    findings.push({
      place: e.name,
      verdict: reasons.length ? 'left-out' : 'included',
      ...(reasons.length ? { reason: reasons.join('; ') } : {}),
      fields: origins(s, e, record),
    });
  }
  return { searched, findings };
}
