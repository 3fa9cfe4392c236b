import { describe, expect, it } from 'vitest';
import {
  applySync,
  findUser,
  type SyncOptions,
  sortUsers,
  transitionUser,
  type User,
  type UserData,
} from './model.js';

const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-02T00:00:00.000Z';
const bySyncId: SyncOptions = { matchBy: 'sync-id', autoActivate: false, now: T1 };
const byEmail: SyncOptions = { matchBy: 'email', autoActivate: false, now: T1 };

const ada: UserData = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'ada@example.com',
  id: '1001',
  syncId: 's-ada',
};
const bob: UserData = {
  firstName: 'Bob',
  lastName: 'Builder',
  email: 'bob@example.com',
  id: '1002',
  syncId: 's-bob',
};

function user(data: UserData, status: User['status'], offline = false): User {
  return { ...data, status, offline, createdAt: T0, updatedAt: T0 };
}

function withoutSyncId({ syncId: _s, ...rest }: UserData): UserData {
  return rest;
}

describe('applySync', () => {
  it('adds and invites new users', () => {
    const out = applySync([], [ada, bob], bySyncId);
    expect(out.users).toEqual([
      { ...ada, status: 'invitation-sent', offline: false, createdAt: T1, updatedAt: T1 },
      { ...bob, status: 'invitation-sent', offline: false, createdAt: T1, updatedAt: T1 },
    ]);
    expect(out.messages).toEqual([
      { kind: 'invitation', to: 'ada@example.com' },
      { kind: 'invitation', to: 'bob@example.com' },
    ]);
    expect(out.counts).toEqual({ added: 2, updated: 0, deleted: 0, unchanged: 0, keptReset: 0 });
  });

  it('makes new users active at once with autoActivate, still sending the invitation', () => {
    const out = applySync([], [ada], { ...bySyncId, autoActivate: true });
    expect(out.users[0]?.status).toBe('active');
    expect(out.messages).toEqual([{ kind: 'invitation', to: 'ada@example.com' }]);
  });

  it('counts identical rows as unchanged and sends nothing', () => {
    const users = [user(ada, 'active'), user(bob, 'invitation-sent')];
    const out = applySync(users, [ada, bob], bySyncId);
    expect(out.users).toEqual(users);
    expect(out.messages).toEqual([]);
    expect(out.counts).toEqual({ added: 0, updated: 0, deleted: 0, unchanged: 2, keptReset: 0 });
  });

  it('updates an active user silently when the ID changes (the phone picks it up)', () => {
    const out = applySync([user(ada, 'active')], [{ ...ada, id: '9999' }], bySyncId);
    expect(out.users).toEqual([{ ...user(ada, 'active'), id: '9999', updatedAt: T1 }]);
    expect(out.messages).toEqual([]);
    expect(out.counts.updated).toBe(1);
  });

  it('re-sends the invitation to the new address when an invited user changes e-mail', () => {
    const out = applySync([user(ada, 'invitation-sent')], [{ ...ada, email: 'ada.l@example.com' }], bySyncId);
    expect(out.users[0]).toMatchObject({
      email: 'ada.l@example.com',
      status: 'invitation-sent',
      syncId: 's-ada',
    });
    expect(out.messages).toEqual([{ kind: 'invitation', to: 'ada.l@example.com' }]);
    expect(out.counts).toMatchObject({ updated: 1, added: 0, deleted: 0 });
  });

  it('does not re-invite an invited user whose name changed or whose e-mail changed only in case', () => {
    const out = applySync(
      [user(ada, 'invitation-sent')],
      [{ ...ada, firstName: 'Augusta', email: 'Ada@Example.com' }],
      bySyncId,
    );
    expect(out.users[0]).toMatchObject({ firstName: 'Augusta', email: 'Ada@Example.com' });
    expect(out.messages).toEqual([]);
    expect(out.counts.updated).toBe(1);
  });

  it('updates an active user whose e-mail changed under the same Sync ID without any e-mail', () => {
    const out = applySync([user(ada, 'active')], [{ ...ada, email: 'ada.l@example.com' }], bySyncId);
    expect(out.users[0]).toMatchObject({ email: 'ada.l@example.com', status: 'active' });
    expect(out.messages).toEqual([]);
  });

  it('never updates a user in status Reset, counting it as kept', () => {
    const reset = user(ada, 'reset');
    const out = applySync([reset], [{ ...ada, id: '9999' }], bySyncId);
    expect(out.users).toEqual([reset]);
    expect(out.messages).toEqual([]);
    expect(out.counts).toEqual({ added: 0, updated: 0, deleted: 0, unchanged: 0, keptReset: 1 });
  });

  it('counts an unchanged Reset user as unchanged, not kept', () => {
    const out = applySync([user(ada, 'reset')], [ada], bySyncId);
    expect(out.counts).toMatchObject({ unchanged: 1, keptReset: 0 });
  });

  it('never deletes a user in status Reset', () => {
    const reset = user(ada, 'reset');
    const out = applySync([reset], [], bySyncId);
    expect(out.users).toEqual([reset]);
    expect(out.messages).toEqual([]);
    expect(out.counts).toMatchObject({ deleted: 0, keptReset: 1 });
  });

  it('deletes a missing invited user and withdraws the invitation', () => {
    const out = applySync([user(ada, 'invitation-sent'), user(bob, 'active')], [bob], bySyncId);
    expect(out.users.map((u) => u.email)).toEqual(['bob@example.com']);
    expect(out.messages).toEqual([{ kind: 'invitation-withdrawn', to: 'ada@example.com' }]);
    expect(out.counts).toMatchObject({ deleted: 1, unchanged: 1 });
  });

  it('deletes a missing active user and sends a deletion notice', () => {
    const out = applySync([user(ada, 'active')], [], bySyncId);
    expect(out.users).toEqual([]);
    expect(out.messages).toEqual([{ kind: 'deletion-notice', to: 'ada@example.com' }]);
    expect(out.counts.deleted).toBe(1);
  });

  it('leaves a missing active user with an offline phone in Deletion pending', () => {
    const out = applySync([user(ada, 'active', true)], [], bySyncId);
    expect(out.users).toEqual([{ ...user(ada, 'deletion-pending', true), updatedAt: T1 }]);
    expect(out.messages).toEqual([{ kind: 'deletion-notice', to: 'ada@example.com' }]);
    expect(out.counts.deleted).toBe(1);
  });

  it('keeps a Deletion pending user pending when missing again, without a second notice', () => {
    const pending = user(ada, 'deletion-pending', true);
    const out = applySync([pending], [], bySyncId);
    expect(out.users).toEqual([pending]);
    expect(out.messages).toEqual([]);
    expect(out.counts).toEqual({ added: 0, updated: 0, deleted: 0, unchanged: 0, keptReset: 0 });
  });

  it('cancels a pending deletion when the user is listed again', () => {
    const out = applySync([user(ada, 'deletion-pending', true)], [ada], bySyncId);
    expect(out.users[0]).toMatchObject({ status: 'active', offline: true });
    expect(out.counts.updated).toBe(1);
  });

  it('deletes everyone for an empty upload (except Reset users)', () => {
    const out = applySync([user(ada, 'active'), user(bob, 'reset')], [], bySyncId);
    expect(out.users.map((u) => u.email)).toEqual(['bob@example.com']);
    expect(out.counts).toMatchObject({ deleted: 1, keptReset: 1 });
  });

  it('matches by e-mail, case-insensitively, when the file has no Sync ID', () => {
    const existing = user(withoutSyncId(ada), 'active');
    const out = applySync(
      [existing],
      [{ ...withoutSyncId(ada), email: 'ADA@example.com', id: '2' }],
      byEmail,
    );
    expect(out.users).toEqual([{ ...existing, email: 'ADA@example.com', id: '2', updatedAt: T1 }]);
    expect(out.counts).toMatchObject({ updated: 1, added: 0, deleted: 0 });
  });

  it('turns an e-mail change into delete + new invitation when matching by e-mail', () => {
    const out = applySync(
      [user(withoutSyncId(ada), 'active')],
      [{ ...withoutSyncId(ada), email: 'ada.l@example.com' }],
      byEmail,
    );
    expect(out.users).toEqual([
      {
        ...withoutSyncId(ada),
        email: 'ada.l@example.com',
        status: 'invitation-sent',
        offline: false,
        createdAt: T1,
        updatedAt: T1,
      },
    ]);
    expect(out.messages).toEqual([
      { kind: 'invitation', to: 'ada.l@example.com' },
      { kind: 'deletion-notice', to: 'ada@example.com' },
    ]);
    expect(out.counts).toMatchObject({ added: 1, deleted: 1 });
  });

  it('keeps an existing Sync ID when a 4-column file matches the user by e-mail', () => {
    const out = applySync([user(ada, 'active')], [withoutSyncId(ada)], byEmail);
    expect(out.users[0]?.syncId).toBe('s-ada');
    expect(out.counts.unchanged).toBe(1);
  });

  it('with Sync IDs, does not match a user holding a different Sync ID by e-mail', () => {
    const out = applySync([user(ada, 'active')], [{ ...ada, syncId: 's-other' }], bySyncId);
    expect(out.counts).toMatchObject({ added: 1, deleted: 1 });
  });

  it('lets a user without a Sync ID adopt one when first matched by e-mail', () => {
    const out = applySync([user(withoutSyncId(ada), 'active')], [ada], bySyncId);
    expect(out.users).toEqual([{ ...user(ada, 'active'), updatedAt: T1 }]);
    expect(out.counts.updated).toBe(1);
  });

  it('does not modify its input', () => {
    const users = [user(ada, 'active', true)];
    const snapshot = structuredClone(users);
    applySync(users, [], bySyncId);
    expect(users).toEqual(snapshot);
  });
});

describe('transitionUser', () => {
  it('activates an invited user found by Sync ID', () => {
    const out = transitionUser([user(ada, 'invitation-sent')], 's-ada', 'activate', T1);
    expect(out).toMatchObject({ ok: true, removed: false, user: { status: 'active', updatedAt: T1 } });
  });

  it('resets a user found by e-mail, case-insensitively', () => {
    const out = transitionUser([user(ada, 'active')], 'ADA@example.com', 'reset', T1);
    expect(out).toMatchObject({ ok: true, user: { status: 'reset' } });
  });

  it('answers not-found for an unknown key and conflict for activating a pending deletion', () => {
    expect(transitionUser([], 'x', 'activate', T1)).toMatchObject({ ok: false, reason: 'not-found' });
    expect(transitionUser([user(ada, 'deletion-pending')], 's-ada', 'activate', T1)).toMatchObject({
      ok: false,
      reason: 'conflict',
    });
  });

  it('toggles offline and finishes a pending deletion when the phone comes online', () => {
    const off = transitionUser([user(ada, 'active'), user(bob, 'active')], 's-ada', 'offline', T1);
    expect(off.ok && off.users[0]?.offline).toBe(true);
    const pending = transitionUser([user(ada, 'deletion-pending', true)], 's-ada', 'online', T1);
    expect(pending).toMatchObject({ ok: true, removed: true, users: [] });
  });
});

describe('findUser / sortUsers', () => {
  it('prefers an exact Sync ID over an e-mail match', () => {
    const tricky = user({ ...bob, syncId: 'ada@example.com' }, 'active');
    expect(findUser([user(ada, 'active'), tricky], 'ada@example.com')).toBe(tricky);
  });

  it('sorts by e-mail, case-insensitively', () => {
    const users = [user(bob, 'active'), user({ ...ada, email: 'Ada@example.com' }, 'active')];
    expect(sortUsers(users).map((u) => u.email)).toEqual(['Ada@example.com', 'bob@example.com']);
  });
});
