/**
 * The `ldap` source: LDAP and Active Directory. One bind per run, a paged search per base,
 * entries mapped page by page into SourceRecords; any failure fails the whole read.
 */
import type { Filter, SearchEntry } from 'ldapts';
import { errorText } from '../../core/errors.js';
import type { CheckResult, PersonLookup, Source, SourceContext, SourceSnapshot } from '../../core/source.js';
import type { Notice, SourceRecord } from '../../core/types.js';
import type { LdapConfig } from './config.js';
import { connect, type LdapConnection } from './connection.js';
import { explainLdap } from './explain.js';
import { and, checkedComposition, expiredFilter, not, or } from './filters.js';
import { type GroupScope, isMember, resolveGroupScope } from './groups.js';
import { createMapper, fieldOrigins, mappedAttributes } from './map.js';
import { normalizeDn, searchPages } from './search.js';
import { type LdapSettings, resolveSettings } from './settings.js';

const number = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`): string => `${number(n)} ${n === 1 ? one : many}`;

interface Filters {
  readonly include: Filter;
  /** Matches the accounts left out (disabled, expired) within the same scope; undefined = none. */
  readonly excluded: Filter | undefined;
}

function buildFilters(s: LdapSettings, scope: GroupScope | undefined, now: Date): Filters {
  const parts = [s.disabledFilter, s.excludeExpired ? expiredFilter(now) : undefined].filter(
    (f) => f !== undefined,
  );
  const excludedClause = parts.length ? or(parts) : undefined;
  const where = `sources[${s.name}].filter`;
  return {
    include: checkedComposition(and(s.filter, scope?.clause, excludedClause && not(excludedClause)), where),
    excluded: excludedClause && checkedComposition(and(s.filter, scope?.clause, excludedClause), where),
  };
}

function exclusionText(s: LdapSettings): string {
  return [s.disabledFilter ? s.disabledFilterText : '', s.excludeExpired ? 'accountExpires in the past' : '']
    .filter(Boolean)
    .join(' or ');
}

interface ReadResult {
  readonly records: SourceRecord[];
  readonly references: string[];
  readonly excluded: number;
  readonly scope: GroupScope | undefined;
  readonly perBase: { base: string; count: number }[];
}

export class LdapSource implements Source {
  readonly kind = 'ldap' as const;
  readonly name: string;
  private readonly open = new Set<LdapConnection>();

  constructor(
    private readonly settings: LdapSettings,
    private readonly ctx: SourceContext,
  ) {
    this.name = settings.name;
  }

  private async withConnection<T>(
    signal: AbortSignal,
    use: (conn: LdapConnection) => Promise<T>,
  ): Promise<T> {
    const conn = await connect(this.settings, signal, this.ctx.logger);
    this.open.add(conn);
    try {
      return await use(conn);
    } finally {
      this.open.delete(conn);
      await conn.close();
    }
  }

  /**
   * Reads every base. With `map` off only DNs are fetched (for check's counts). Entries are
   * filtered (walked group membership, duplicates across bases) and mapped page by page.
   */
  private async read(conn: LdapConnection, signal: AbortSignal, map: boolean): Promise<ReadResult> {
    const s = this.settings;
    const log = this.ctx.logger;
    const deadline = s.searchTimeoutMs ? Date.now() + s.searchTimeoutMs : 0;
    const scope = await resolveGroupScope(s, conn, signal, deadline);
    const filters = buildFilters(s, scope, this.ctx.now());
    const membership = scope?.membership;
    const needUid = membership !== undefined && membership.uids.size > 0;
    const attributes = map ? mappedAttributes(s.mapping) : [];
    if (needUid && !attributes.some((a) => a.toLowerCase() === 'uid')) attributes.push('uid');
    if (attributes.length === 0) attributes.push('1.1');
    const mapper = createMapper(s.mapping, s.name);
    const seen = s.baseDns.length > 1 ? new Set<string>() : undefined;
    const keep = (e: SearchEntry, seenSet: Set<string> | undefined): boolean => {
      if (membership && !isMember(e, membership)) return false;
      if (!seenSet) return true;
      const key = normalizeDn(e.name);
      if (seenSet.has(key)) return false;
      seenSet.add(key);
      return true;
    };

    const records: SourceRecord[] = [];
    const references: string[] = [];
    const perBase: { base: string; count: number }[] = [];
    for (const base of s.baseDns) {
      let count = 0;
      const stats = await searchPages(
        conn,
        {
          base,
          scope: s.scope,
          filter: filters.include,
          attributes,
          pageSize: s.pageSize,
          deadline,
          bindDn: s.bindDn,
        },
        signal,
        (entries, page) => {
          for (const e of entries) {
            if (!keep(e, seen)) continue;
            count++;
            if (map) records.push(mapper({ dn: e.name, attributes: e.attributes }));
          }
          log.debug({ source: s.name, base, page, entries: entries.length }, 'ldap page read');
        },
      );
      perBase.push({ base, count });
      if (stats.references) references.push(`${base}: ${plural(stats.references, 'search reference')}`);
    }

    let excluded = 0;
    if (filters.excluded) {
      const seenExcluded = s.baseDns.length > 1 ? new Set<string>() : undefined;
      const countAttrs = needUid ? ['uid'] : ['1.1'];
      for (const base of s.baseDns) {
        await searchPages(
          conn,
          {
            base,
            scope: s.scope,
            filter: filters.excluded,
            attributes: countAttrs,
            pageSize: s.pageSize,
            deadline,
            bindDn: s.bindDn,
          },
          signal,
          (entries) => {
            for (const e of entries) if (keep(e, seenExcluded)) excluded++;
          },
        );
      }
    }
    return { records, references, excluded, scope, perBase };
  }

  async fetch(signal: AbortSignal): Promise<SourceSnapshot> {
    const s = this.settings;
    return this.withConnection(signal, async (conn) => {
      const started = Date.now();
      const r = await this.read(conn, signal, true);
      const notices: Notice[] = [];
      if (r.excluded) {
        notices.push({ message: `${plural(r.excluded, 'disabled account')} left out (${exclusionText(s)})` });
      }
      if (r.references.length) {
        notices.push({
          message: `Search references to other servers or partitions were skipped, not followed (${r.references.join('; ')})`,
        });
      }
      if (!s.rejectUnauthorized && conn.tls) {
        notices.push({
          message: `TLS certificate verification is off for ${conn.url} (rejectUnauthorized: false)`,
        });
      }
      const groups = r.scope ? ` in ${plural(s.groups.length, 'group')}` : '';
      const description = `${conn.url}: ${plural(r.records.length, 'person', 'people')}${groups} from ${plural(s.baseDns.length, 'base')}${r.excluded ? ` (${number(r.excluded)} disabled left out)` : ''}`;
      this.ctx.logger.info(
        {
          source: s.name,
          url: conn.url,
          people: r.records.length,
          excluded: r.excluded,
          ms: Date.now() - started,
        },
        'ldap read complete',
      );
      return {
        source: s.name,
        kind: 'ldap',
        records: r.records,
        notices,
        description,
        fieldOrigins: fieldOrigins(s.mapping),
      };
    });
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const s = this.settings;
    const lines: string[] = [];
    try {
      return await this.withConnection(signal, async (conn) => {
        const tls = conn.tls
          ? s.rejectUnauthorized
            ? 'TLS, certificate verified'
            : 'TLS, certificate NOT verified'
          : 'no TLS';
        lines.push(`connect ${conn.url} (${tls}): OK`);
        lines.push(s.bindDn ? `bind as ${s.bindDn}: OK` : 'anonymous bind: OK');
        const r = await this.read(conn, signal, false);
        if (r.scope)
          lines.push(
            `groups: ${r.scope.groups.length} taken into account (${s.groupMethod}): ${r.scope.groups.join('; ')}`,
          );
        for (const b of r.perBase)
          lines.push(`search base ${b.base}: ${plural(b.count, 'person', 'people')} match`);
        if (r.excluded) lines.push(`${plural(r.excluded, 'disabled account')} would be left out`);
        for (const ref of r.references) lines.push(`skipped (not followed) ${ref}`);
        return { ok: true, lines };
      });
    } catch (e) {
      lines.push(`FAILED: ${errorText(e)}`);
      return { ok: false, lines };
    }
  }

  explain(key: string, signal: AbortSignal): Promise<PersonLookup> {
    return this.withConnection(signal, (conn) =>
      explainLdap(conn, this.settings, key, this.ctx.now(), signal),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.open].map((c) => c.close()));
    this.open.clear();
  }
}

/** The kind's constructor (the definition, light, is in index.ts): settings resolved, then the source. */
export function createLdapSource(config: LdapConfig, ctx: SourceContext): Source {
  return new LdapSource(resolveSettings(config), ctx);
}
