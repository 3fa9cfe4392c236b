/**
 * Why a search found nobody: the likely causes in words an admin can act on, for `check`'s
 * warnings and for the hard stop of a run whose source came back empty. Only reads; a cause
 * names the key to change (filter, baseDns, groups, groupMethod, preset).
 */
import { AbortedError, errorText } from '../../core/errors.js';
import { PRESETS } from './config.js';
import type { LdapConnection } from './connection.js';
import { MATCHING_RULE_IN_CHAIN, present } from './filters.js';
import { type GroupScope, readMembers } from './groups.js';
import { readEntry } from './search.js';
import type { LdapSettings } from './settings.js';

/** AD's root DSE capability "this is Active Directory" (LDAP_CAP_ACTIVE_DIRECTORY_OID). */
const AD_CAPABILITY = '1.2.840.113556.1.4.800';

export interface ProbeContext {
  readonly conn: LdapConnection;
  readonly signal: AbortSignal;
  readonly deadline: number;
}

/**
 * True when the root DSE says Active Directory (Samba AD included): `forestFunctionality` or the
 * AD capability. OpenLDAP and other servers have neither.
 */
export async function isActiveDirectory(p: ProbeContext): Promise<boolean> {
  const root = await readEntry(
    p.conn,
    '',
    ['forestFunctionality', 'supportedCapabilities'],
    p.signal,
    p.deadline,
    present('objectClass'),
  );
  if (!root) return false;
  for (const a of root.attributes) {
    const type = a.type.toLowerCase();
    if (type === 'forestfunctionality' && a.values.length > 0) return true;
    if (type === 'supportedcapabilities' && a.values.some((v) => String(v) === AD_CAPABILITY)) return true;
  }
  return false;
}

/** `member: 3 values, memberUid: 1 value`; empty when the group lists nobody. */
function memberCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([attr, n]) => `${attr}: ${n} ${n === 1 ? 'value' : 'values'}`)
    .join(', ');
}

/**
 * Why one group puts nobody in scope: what it lists (by member attribute) and what the group
 * method made of it. `ad` says whether the server is Active Directory (undefined = not asked).
 */
export async function emptyGroupDetail(
  s: Pick<LdapSettings, 'groupMethod'>,
  p: ProbeContext,
  dn: string,
  ad: boolean | undefined,
): Promise<string> {
  const m = await readMembers(p.conn, dn, p.signal, { deadline: p.deadline });
  const listed = m ? memberCounts(m.counts) : '';
  if (!listed) return `${dn} has no members (read member, uniqueMember and memberUid)`;
  const held = `${dn} lists ${listed}`;
  switch (s.groupMethod) {
    case 'walk':
      return `${held}, but none of them is a person the filter matches under baseDns`;
    case 'memberof':
      return `${held}, but no person the filter matches has memberOf set to it (the memberof overlay sets memberOf only for members added while it was on, and only through its one member attribute, member by default): use groupMethod: walk`;
    case 'in-chain':
      return ad === false
        ? `${held}, but groupMethod in-chain needs Active Directory: use groupMethod: walk`
        : `${held}, but none of them is a person the filter matches under baseDns`;
  }
}

export interface EmptyInput {
  readonly settings: LdapSettings;
  readonly probe: ProbeContext;
  readonly scope: GroupScope | undefined;
  /** Accounts the filter and scope matched but disabledFilter / accountExpires left out. */
  readonly leftOut: number;
  /** People the filter alone matches under baseDns (no groups, no exclusions). */
  countFilterOnly(): Promise<number>;
}

/** The non-AD causes: the ad preset's filter and the in-chain rule work on Active Directory only. */
function notAdCauses(s: LdapSettings, url: string): string[] {
  const out: string[] = [];
  if (s.preset === 'ad' && s.filterText === PRESETS.ad.filter) {
    out.push(
      `${url} is not Active Directory (its root DSE has no forestFunctionality), so the ad preset's filter ${s.filterText} finds nobody there: set preset: openldap, or write your own filter`,
    );
  }
  if (s.groupMethod === 'in-chain' && s.groups.length > 0) {
    out.push(
      `${url} is not Active Directory, so groupMethod in-chain (AD's matching rule ${MATCHING_RULE_IN_CHAIN}${s.preset === 'ad' ? ', the ad preset default' : ''}) matches nobody there: set groupMethod: walk`,
    );
  }
  return out;
}

/**
 * The likely causes of an empty result, most telling first. A lookup that fails is reported as
 * such rather than thrown: the result is empty either way, and the run stops on that.
 */
export async function whyNobody(input: EmptyInput): Promise<string[]> {
  const s = input.settings;
  const causes: string[] = [];
  try {
    let ad: boolean | undefined;
    if (s.preset === 'ad' || (s.groupMethod === 'in-chain' && s.groups.length > 0)) {
      ad = await isActiveDirectory(input.probe);
      if (!ad) causes.push(...notAdCauses(s, input.probe.conn.url));
    }
    const matched = await input.countFilterOnly();
    if (matched === 0) {
      // Already said: the ad preset's own filter on a server that is not AD.
      if (ad === false && s.preset === 'ad' && s.filterText === PRESETS.ad.filter) return causes;
      causes.push(
        `the filter ${s.filterText} matches no entry under baseDns ${s.baseDns.join('; ')} (scope ${s.scope}): check filter and baseDns`,
      );
      return causes;
    }
    if (input.scope) {
      for (const g of s.groups) causes.push(`group ${await emptyGroupDetail(s, input.probe, g, ad)}`);
    }
    if (input.leftOut > 0 && causes.length === 0) {
      causes.push(
        `all ${input.leftOut} accounts in scope are left out as disabled or expired (disabledFilter, excludeExpired)`,
      );
    }
  } catch (e) {
    if (e instanceof AbortedError) throw e;
    causes.push(`the causes could not be looked up: ${errorText(e)}`);
  }
  return causes;
}
