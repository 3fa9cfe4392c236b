/**
 * MIM's replacing-sync semantics (DESIGN §1) as pure functions over plain data: the upload is the new
 * user list; new people are invited, changed people updated, missing people deleted — except users in
 * status Reset, which a sync never touches. No I/O, no clock (the caller passes `now`).
 */

import { sameFields } from '../core/types.js';

export type UserStatus = 'invitation-sent' | 'active' | 'reset' | 'deletion-pending';

/** The four positional columns plus the optional Sync ID. */
export interface UserData {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly id: string;
  readonly syncId?: string;
}

export interface User extends UserData {
  readonly status: UserStatus;
  /** Simulates a phone that cannot be reached: deleting an Active user then leaves it Deletion pending. */
  readonly offline: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type MessageKind = 'invitation' | 'invitation-withdrawn' | 'deletion-notice' | 'failure-notice';

/** An e-mail MIM would send; the outbox stamps it with seq, time, project and subject. */
export interface MessageDraft {
  readonly kind: MessageKind;
  readonly to: string;
}

export interface SyncCounts {
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Users in status Reset the upload would have changed or deleted; they were kept as they are. */
  keptReset: number;
}

export interface SyncOptions {
  /** 'sync-id' when the file has the 5th column, else 'email' (case-insensitive). */
  readonly matchBy: 'sync-id' | 'email';
  /** New users become Active at once instead of waiting in Invitation sent. */
  readonly autoActivate: boolean;
  readonly now: string;
}

export interface SyncOutcome {
  readonly users: User[];
  readonly messages: MessageDraft[];
  readonly counts: SyncCounts;
}

/** Applies a validated upload (the complete desired list) to the current users. */
export function applySync(
  users: readonly User[],
  rows: readonly UserData[],
  options: SyncOptions,
): SyncOutcome {
  const counts: SyncCounts = { added: 0, updated: 0, deleted: 0, unchanged: 0, keptReset: 0 };
  const messages: MessageDraft[] = [];
  const findMatch = matcher(users, options.matchBy);
  const next = new Map<User, User | null>(); // old user → its replacement (null: removed)
  const added: User[] = [];

  for (const row of rows) {
    const existing = findMatch(row);
    if (existing === undefined || next.has(existing)) {
      added.push(newUser(row, options));
      messages.push({ kind: 'invitation', to: row.email });
      counts.added++;
      continue;
    }
    const data = mergeData(existing, row, options.matchBy);
    const changed = !sameFields(existing, data);
    if (existing.status === 'reset') {
      next.set(existing, existing);
      if (changed) counts.keptReset++;
      else counts.unchanged++;
    } else if (existing.status === 'deletion-pending') {
      // The deletion has not reached the phone yet; being listed again cancels it.
      next.set(existing, { ...existing, ...data, status: 'active', updatedAt: options.now });
      counts.updated++;
    } else if (changed) {
      next.set(existing, { ...existing, ...data, updatedAt: options.now });
      counts.updated++;
      // An invitation goes to one address; a new address needs a new invitation. An Active phone
      // just receives the new data (within 24 h), so no e-mail then.
      if (
        existing.status === 'invitation-sent' &&
        existing.email.toLowerCase() !== data.email.toLowerCase()
      ) {
        messages.push({ kind: 'invitation', to: data.email });
      }
    } else {
      next.set(existing, existing);
      counts.unchanged++;
    }
  }

  for (const user of users) {
    if (next.has(user)) continue;
    next.set(user, removeMissing(user, options.now, messages, counts));
  }

  const result: User[] = [];
  for (const user of users) {
    const replacement = next.get(user);
    if (replacement) result.push(replacement);
  }
  result.push(...added);
  return { users: result, messages, counts };
}

/** What happens to a user absent from the upload. */
function removeMissing(user: User, now: string, messages: MessageDraft[], counts: SyncCounts): User | null {
  switch (user.status) {
    case 'reset':
      counts.keptReset++;
      return user;
    case 'deletion-pending':
      return user; // already deleted and notified; waits for the phone
    case 'invitation-sent':
      messages.push({ kind: 'invitation-withdrawn', to: user.email });
      counts.deleted++;
      return null;
    case 'active':
      messages.push({ kind: 'deletion-notice', to: user.email });
      counts.deleted++;
      return user.offline ? { ...user, status: 'deletion-pending', updatedAt: now } : null;
  }
}

function matcher(
  users: readonly User[],
  matchBy: SyncOptions['matchBy'],
): (row: UserData) => User | undefined {
  const bySyncId = new Map<string, User>();
  const byEmail = new Map<string, User>();
  for (const user of users) {
    if (user.syncId !== undefined) {
      if (!bySyncId.has(user.syncId)) bySyncId.set(user.syncId, user);
    }
    // With Sync IDs, only users that never had one can be matched by e-mail (e.g. added by a manual
    // 4-column upload before the connector took over); they then adopt the Sync ID.
    if (matchBy === 'email' || user.syncId === undefined) {
      const key = user.email.toLowerCase();
      if (!byEmail.has(key)) byEmail.set(key, user);
    }
  }
  return (row) => {
    if (matchBy === 'sync-id' && row.syncId !== undefined) {
      return bySyncId.get(row.syncId) ?? byEmail.get(row.email.toLowerCase());
    }
    return byEmail.get(row.email.toLowerCase());
  };
}

/** The user's data after applying a row. A 4-column upload leaves an existing Sync ID alone. */
function mergeData(user: User, row: UserData, matchBy: SyncOptions['matchBy']): UserData {
  const syncId = matchBy === 'sync-id' ? (row.syncId ?? user.syncId) : user.syncId;
  const base = { firstName: row.firstName, lastName: row.lastName, email: row.email, id: row.id };
  return syncId === undefined ? base : { ...base, syncId };
}

function newUser(row: UserData, options: SyncOptions): User {
  const base = { firstName: row.firstName, lastName: row.lastName, email: row.email, id: row.id };
  const data: UserData = row.syncId === undefined ? base : { ...base, syncId: row.syncId };
  return {
    ...data,
    status: options.autoActivate ? 'active' : 'invitation-sent',
    offline: false,
    createdAt: options.now,
    updatedAt: options.now,
  };
}

/** Finds a user by Sync ID (exact) or, failing that, by e-mail (case-insensitive). */
export function findUser(users: readonly User[], key: string): User | undefined {
  return (
    users.find((u) => u.syncId === key) ?? users.find((u) => u.email.toLowerCase() === key.toLowerCase())
  );
}

export type Transition = 'activate' | 'reset' | 'offline' | 'online';

export type TransitionOutcome =
  | { readonly ok: true; readonly users: User[]; readonly user: User; readonly removed: boolean }
  | { readonly ok: false; readonly reason: 'not-found' | 'conflict'; readonly message: string };

/**
 * Simulates what happens on the phone side: the user activates the invitation, resets the app, or the
 * phone goes offline / online. A Deletion pending user whose phone comes online is finally removed.
 */
export function transitionUser(
  users: readonly User[],
  key: string,
  transition: Transition,
  now: string,
): TransitionOutcome {
  const user = findUser(users, key);
  if (user === undefined) return { ok: false, reason: 'not-found', message: 'user not found' };
  const replace = (updated: User, removed = false): TransitionOutcome => ({
    ok: true,
    user: updated,
    removed,
    users: removed ? users.filter((u) => u !== user) : users.map((u) => (u === user ? updated : u)),
  });

  switch (transition) {
    case 'activate':
    case 'reset':
      if (user.status === 'deletion-pending') {
        return { ok: false, reason: 'conflict', message: 'user is pending deletion' };
      }
      return replace({ ...user, status: transition === 'activate' ? 'active' : 'reset', updatedAt: now });
    case 'offline':
      return replace({ ...user, offline: true, updatedAt: now });
    case 'online':
      return replace({ ...user, offline: false, updatedAt: now }, user.status === 'deletion-pending');
  }
}

/** Users in the order the admin endpoint lists them: by e-mail, then Sync ID. */
export function sortUsers(users: readonly User[]): User[] {
  return [...users].sort(
    (a, b) =>
      compare(a.email.toLowerCase(), b.email.toLowerCase()) || compare(a.syncId ?? '', b.syncId ?? ''),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
