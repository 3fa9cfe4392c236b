/**
 * Group scope: the (nested) members of some groups, `/groups/{id}/transitiveMembers` per group,
 * always a full read (users/delta cannot be scoped to a group; groups/delta is direct-members
 * only), keeping only users. Groups are configured by Object ID or by display name; a name is
 * resolved once per source and must name exactly one group.
 */
import { ConfigError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import type { GraphReader } from './graph.js';
import type { GraphUser } from './map.js';
import { collect, filterParams, hasId, isUser, type OnUser, type ReadResult } from './users.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ResolvedGroup {
  readonly id: string;
  readonly label: string;
}

export interface GroupScopeConfig {
  /** As configured: Object IDs or display names. */
  readonly groups: readonly string[];
  readonly filter: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly select: readonly string[];
  /** The config place of the `groups` key. */
  readonly place: string;
}

export class GroupScope {
  private resolved: readonly ResolvedGroup[] | undefined;

  constructor(private readonly c: GroupScopeConfig) {}

  get configured(): boolean {
    return this.c.groups.length > 0;
  }

  /** The configured groups by id; a display name that names no group or several is a ConfigError. */
  async resolve(reader: GraphReader, signal: AbortSignal): Promise<readonly ResolvedGroup[]> {
    if (this.resolved) return this.resolved;
    const out: ResolvedGroup[] = [];
    for (const entry of this.c.groups) {
      const g = entry.trim();
      if (GUID.test(g)) {
        out.push({ id: g.toLowerCase(), label: g });
        continue;
      }
      const url = reader.url('groups', {
        $filter: `displayName eq '${g.replaceAll("'", "''")}'`,
        $select: 'id,displayName',
        $top: '999',
      });
      const found = [
        ...(await collect(reader, url, { signal, what: `groups named "${g}"` }, hasId)).values(),
      ];
      const place = this.c.place;
      if (found.length === 0) {
        throw new ConfigError(`No group is named "${g}" in tenant ${this.c.tenantId}`, {
          place,
          fix: "Check the spelling (the whole display name), or configure the group's Object ID from Entra admin center › Groups.",
        });
      }
      if (found.length > 1) {
        throw new ConfigError(
          `${found.length} groups are named "${g}" (${found.map((f) => f.id).join(', ')})`,
          {
            place,
            fix: 'Display names are not unique in Entra ID: put the Object ID of the group you mean into groups.',
          },
        );
      }
      out.push({ id: found[0]!.id, label: `"${g}" (${found[0]!.id})` });
    }
    this.resolved = out;
    return out;
  }

  membersUrl(
    reader: GraphReader,
    group: ResolvedGroup,
    top: string,
  ): { url: string; headers: Record<string, string> } {
    const { params, headers } = filterParams(this.c.filter);
    const url = reader.url(`groups/${encodeURIComponent(group.id)}/transitiveMembers`, {
      $select: this.c.select.join(','),
      $top: top,
      ...params,
    });
    return { url, headers };
  }

  /** Every user in any of the groups, nested groups included, once each (each handed to `onUser` once). */
  async read(reader: GraphReader, signal: AbortSignal, onUser?: OnUser): Promise<ReadResult> {
    const groups = await this.resolve(reader, signal);
    const users = new Map<string, GraphUser>();
    for (const group of groups) {
      const { url, headers } = this.membersUrl(reader, group, '999');
      await collect(reader, url, { headers, signal, what: `group ${group.label}` }, isUser, users, onUser);
    }
    const all = [...users.values()];
    // Without User.Read.All, Graph returns members with their id only (graph.md §0.5).
    if (all.length > 0 && all.every((u) => typeof u.userPrincipalName !== 'string')) {
      throw new ConfigError(`App ${this.c.clientId} may read group members but not their properties`, {
        place: this.c.place,
        fix: 'Add the Microsoft Graph Application permission User.Read.All and grant admin consent.',
      });
    }
    return {
      users: all,
      mode: `members of ${plural(groups.length, 'group')}, nested included`,
      notices: [],
      streamed: onUser !== undefined,
    };
  }
}
