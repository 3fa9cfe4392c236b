/**
 * The `ldap` source: LDAP and Active Directory. One bind per run, a paged search per base,
 * entries mapped page by page into SourceRecords; any failure fails the whole read.
 */
import type { Filter, SearchEntry } from 'ldapts';
import { errorText } from '../../core/errors.js';
import { formatCount as number, plural } from '../../core/plural.js';
import type { CheckResult, PersonLookup, Source, SourceContext, SourceSnapshot } from '../../core/source.js';
import type { Notice, SourceRecord } from '../../core/types.js';
import type { LdapConfig } from './config.js';
import { connect, type LdapConnection } from './connection.js';
import { emptyGroupDetail, type ProbeContext, whyNobody } from './diagnose.js';
import { explainLdap } from './explain.js';
import { and, checkedComposition, expiredFilter, not, or } from './filters.js';
import { type GroupScope, isMember, type Membership, resolveGroupScope } from './groups.js';
import { createMapper, fieldOrigins, mappedAttributes } from './map.js';
import { normalizeDn, searchPages } from './search.js';
import { type LdapSettings, resolveSettings } from './settings.js';

interface Filters {
  readonly include: Filter;
  /** The accounts disabledFilter leaves out, within the same scope; undefined = none. */
  readonly disabled: Filter | undefined;
  /** The accounts left out because accountExpires has passed (and not disabled, so none counts twice). */
  readonly expired: Filter | undefined;
}

function buildFilters(s: LdapSettings, scope: GroupScope | undefined, now: Date): Filters {
  const expired = s.excludeExpired ? expiredFilter(now) : undefined;
  const parts = [s.disabledFilter, expired].filter((f) => f !== undefined);
  const excluded = parts.length ? or(parts) : undefined;
  const where = `sources[${s.name}].filter`;
  const within = (...extra: (Filter | undefined)[]): Filter =>
    checkedComposition(and(s.filter, scope?.clause, ...extra), where);
  return {
    include: within(excluded && not(excluded)),
    disabled: s.disabledFilter && within(s.disabledFilter),
    expired: expired && within(expired, s.disabledFilter && not(s.disabledFilter)),
  };
}

/** "2 disabled accounts left out ((employeeType=disabled)); 1 expired account left out (…)", one per cause. */
function leftOutTexts(s: LdapSettings, r: { disabled: number; expired: number }, verb: string): string[] {
  const out: string[] = [];
  if (r.disabled) out.push(`${plural(r.disabled, 'disabled account')} ${verb} (${s.disabledFilterText})`);
  if (r.expired) out.push(`${plural(r.expired, 'expired account')} ${verb} (accountExpires in the past)`);
  return out;
}

interface ReadResult {
  readonly records: SourceRecord[];
  readonly references: string[];
  readonly disabled: number;
  readonly expired: number;
  readonly scope: GroupScope | undefined;
  readonly perBase: { base: string; count: number }[];
  /** People the read found (records when mapped, else counted). */
  readonly total: number;
}

/** One read's connection, cancellation and time budget. */
type Reading = ProbeContext;

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
   * Hands every entry matching `filter` under the bases to `onEntry` once (duplicates across
   * bases dropped, walked group membership applied), page by page. Returns the search
   * references skipped, per base. Only the read of the people logs its pages (`logPages`).
   */
  private async scan(
    rd: Reading,
    filter: Filter,
    membership: Membership | undefined,
    attributes: readonly string[],
    onEntry: (e: SearchEntry, base: string) => void,
    logPages = false,
  ): Promise<string[]> {
    const s = this.settings;
    const seen = s.baseDns.length > 1 ? new Set<string>() : undefined;
    const references: string[] = [];
    const wanted = [...attributes];
    if (membership?.uids.size && !wanted.some((a) => a.toLowerCase() === 'uid')) wanted.push('uid');
    if (wanted.length === 0) wanted.push('1.1');
    for (const base of s.baseDns) {
      const stats = await searchPages(
        rd.conn,
        {
          base,
          scope: s.scope,
          filter,
          attributes: wanted,
          pageSize: s.pageSize,
          deadline: rd.deadline,
          bindDn: s.bindDn,
          key: `sources[${s.name}].baseDns`,
        },
        rd.signal,
        (entries, page) => {
          for (const e of entries) {
            if (membership && !isMember(e, membership)) continue;
            if (seen) {
              const key = normalizeDn(e.name);
              if (seen.has(key)) continue;
              seen.add(key);
            }
            onEntry(e, base);
          }
          if (logPages)
            this.ctx.logger.debug({ source: s.name, base, page, entries: entries.length }, 'ldap page read');
        },
      );
      if (stats.references) references.push(`${base}: ${plural(stats.references, 'search reference')}`);
    }
    return references;
  }

  private async count(
    rd: Reading,
    filter: Filter | undefined,
    scope: GroupScope | undefined,
  ): Promise<number> {
    if (!filter) return 0;
    let n = 0;
    await this.scan(rd, filter, scope?.membership, [], () => {
      n++;
    });
    return n;
  }

  /**
   * Reads every base. With `map` off only DNs are fetched (for check's counts). Entries are
   * filtered (walked group membership, duplicates across bases) and mapped page by page; the
   * accounts left out are counted per cause.
   */
  private async read(rd: Reading, map: boolean): Promise<ReadResult> {
    const s = this.settings;
    const scope = await resolveGroupScope(s, rd.conn, rd.signal, rd.deadline);
    const filters = buildFilters(s, scope, this.ctx.now());
    const mapper = createMapper(s.mapping, s.name);
    const records: SourceRecord[] = [];
    const perBase = new Map(s.baseDns.map((b) => [b, 0]));
    const references = await this.scan(
      rd,
      filters.include,
      scope?.membership,
      map ? mappedAttributes(s.mapping) : [],
      (e, base) => {
        perBase.set(base, (perBase.get(base) ?? 0) + 1);
        if (map) records.push(mapper({ dn: e.name, attributes: e.attributes }));
      },
      true,
    );
    const disabled = await this.count(rd, filters.disabled, scope);
    const expired = await this.count(rd, filters.expired, scope);
    const counts = [...perBase].map(([base, count]) => ({ base, count }));
    const total = counts.reduce((n, b) => n + b.count, 0);
    return { records, references, disabled, expired, scope, perBase: counts, total };
  }

  /** The likely causes when a read found nobody (see diagnose.ts). */
  private whyNobody(rd: Reading, r: ReadResult): Promise<string[]> {
    const s = this.settings;
    return whyNobody({
      settings: s,
      probe: rd,
      scope: r.scope,
      leftOut: r.disabled + r.expired,
      countFilterOnly: () => this.count(rd, s.filter, undefined),
    });
  }

  /** check: each configured group that puts nobody in scope on its own, with what it lists. */
  private async emptyGroups(rd: Reading): Promise<string[]> {
    const s = this.settings;
    const out: string[] = [];
    for (const g of s.groups) {
      const one = { ...s, groups: [g] };
      const scope = await resolveGroupScope(one, rd.conn, rd.signal, rd.deadline);
      if ((await this.count(rd, buildFilters(one, scope, this.ctx.now()).include, scope)) > 0) continue;
      out.push(`group ${g} yields 0 people: ${await emptyGroupDetail(s, rd, g, undefined)}`);
    }
    return out;
  }

  private reading(conn: LdapConnection, signal: AbortSignal): Reading {
    const ms = this.settings.searchTimeoutMs;
    return { conn, signal, deadline: ms ? Date.now() + ms : 0 };
  }

  async fetch(signal: AbortSignal): Promise<SourceSnapshot> {
    const s = this.settings;
    return this.withConnection(signal, async (conn) => {
      const started = Date.now();
      const rd = this.reading(conn, signal);
      const r = await this.read(rd, true);
      const notices: Notice[] = leftOutTexts(s, r, 'left out').map((message) => ({ message }));
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
      const whyEmpty = r.records.length === 0 ? (await this.whyNobody(rd, r)).join('; ') : undefined;
      const groups = r.scope ? ` in ${plural(s.groups.length, 'group')}` : '';
      const leftOut = [
        r.disabled ? `${number(r.disabled)} disabled` : '',
        r.expired ? `${number(r.expired)} expired` : '',
      ]
        .filter(Boolean)
        .join(', ');
      const description = `${conn.url}: ${plural(r.records.length, 'person', 'people')}${groups} from ${plural(s.baseDns.length, 'base')}${leftOut ? ` (${leftOut} left out)` : ''}`;
      this.ctx.logger.info(
        {
          source: s.name,
          url: conn.url,
          people: r.records.length,
          disabled: r.disabled,
          expired: r.expired,
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
        ...(whyEmpty ? { whyEmpty } : {}),
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
        const rd = this.reading(conn, signal);
        const r = await this.read(rd, false);
        if (r.scope)
          lines.push(
            `groups: ${r.scope.groups.length} taken into account (${s.groupMethod}): ${r.scope.groups.join('; ')}`,
          );
        for (const b of r.perBase)
          lines.push(`search base ${b.base}: ${plural(b.count, 'person', 'people')} match`);
        lines.push(...leftOutTexts(s, r, 'would be left out'));
        for (const ref of r.references) lines.push(`skipped (not followed) ${ref}`);
        if (r.total === 0) {
          lines.push('WARNING: 0 people match, so a run would stop here. Likely causes:');
          for (const c of await this.whyNobody(rd, r)) lines.push(`  - ${c}`);
        } else if (s.groups.length > 1) {
          // With one group, "somebody matches" already says it yields people.
          for (const g of await this.emptyGroups(rd)) lines.push(`WARNING: ${g}`);
        }
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
