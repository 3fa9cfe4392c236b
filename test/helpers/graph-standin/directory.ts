/**
 * The tenant's directory: users, groups and other objects, and the change log that delta rounds
 * read (every add, update and removal, numbered in order).
 */
import type { StandInGroup, StandInObject, StandInUser } from './fixtures.js';
import { projectUser } from './query.js';

export interface ChangeEntry {
  readonly seq: number;
  readonly id: string;
  readonly user?: StandInUser;
  readonly removed?: 'changed' | 'deleted';
}

/** A group member as a listing shows it: its OData type and its properties. */
export interface TypedObject {
  readonly type: string;
  readonly obj: Record<string, unknown>;
}

export const USER_TYPE = '#microsoft.graph.user';

export class Directory {
  private readonly users = new Map<string, StandInUser>();
  /** Properties each user ever had set by an update (delta shows those even when null). */
  private readonly everSet = new Map<string, Set<string>>();
  private groups = new Map<string, StandInGroup>();
  private readonly objects = new Map<string, StandInObject>();
  private readonly changes: ChangeEntry[] = [];
  private seq_ = 0;

  constructor(
    users: readonly StandInUser[],
    groups: readonly StandInGroup[],
    objects: readonly StandInObject[],
  ) {
    for (const u of users) this.users.set(u.id, u);
    this.setGroups(groups);
    for (const o of objects) this.objects.set(o.id, o);
  }

  /** Number of the latest change (0: none yet). */
  get seq(): number {
    return this.seq_;
  }

  allUsers(): StandInUser[] {
    return [...this.users.values()];
  }

  addUser(user: StandInUser): void {
    this.users.set(user.id, user);
    this.record({ id: user.id, user });
  }

  updateUser(id: string, patch: Partial<StandInUser>): StandInUser {
    const old = this.users.get(id);
    if (!old) throw new Error(`no user ${id}`);
    const user = { ...old, ...patch } as StandInUser;
    this.users.set(id, user);
    const set = this.everSet.get(id) ?? new Set<string>();
    for (const k of Object.keys(patch)) set.add(k);
    this.everSet.set(id, set);
    this.record({ id, user });
    return user;
  }

  /** `changed`: soft-deleted (restorable); `deleted`: permanently deleted. */
  removeUser(id: string, reason: 'changed' | 'deleted' = 'changed'): void {
    if (!this.users.delete(id)) throw new Error(`no user ${id}`);
    this.record({ id, removed: reason });
  }

  /** Changes after `seq`, oldest first. */
  changesSince(seq: number): ChangeEntry[] {
    return this.changes.filter((c) => c.seq > seq);
  }

  setGroups(groups: readonly StandInGroup[]): void {
    this.groups = new Map(groups.map((g) => [g.id, g]));
  }

  group(id: string): StandInGroup | undefined {
    return this.groups.get(id);
  }

  allGroups(): StandInGroup[] {
    return [...this.groups.values()];
  }

  /** Every object reachable from `root` through nested groups, each once; cycles are fine. */
  transitive(root: StandInGroup): string[] {
    const seen = new Set<string>([root.id]);
    const out: string[] = [];
    const queue = [...root.members];
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(id);
      const nested = this.groups.get(id);
      if (nested) queue.push(...nested.members);
    }
    return out;
  }

  /** The objects `ids` name, typed; only users when `usersOnly` (the user cast); unknown ids skipped. */
  typed(ids: readonly string[], usersOnly: boolean): TypedObject[] {
    const objects: TypedObject[] = [];
    for (const id of ids) {
      const user = this.users.get(id);
      const g = this.groups.get(id);
      const o = this.objects.get(id);
      if (user) objects.push({ type: USER_TYPE, obj: user });
      else if (usersOnly) continue;
      else if (g)
        objects.push({
          type: '#microsoft.graph.group',
          obj: { id: g.id, displayName: g.displayName, mail: null },
        });
      else if (o) objects.push({ type: o['@odata.type'], obj: { ...o } });
    }
    return objects;
  }

  /** Delta leaves out properties that were never set (graph.md §4). */
  projectDelta(user: StandInUser, select: readonly string[]): Record<string, unknown> {
    const out = projectUser(user, select);
    const set = this.everSet.get(user.id);
    for (const [k, v] of Object.entries(out)) if (v === null && !set?.has(k)) delete out[k];
    return out;
  }

  private record(entry: Omit<ChangeEntry, 'seq'>): void {
    this.seq_++;
    this.changes.push({ seq: this.seq_, ...entry });
  }
}
