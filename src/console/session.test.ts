import { describe, expect, it } from 'vitest';
import { ABSOLUTE_MS, IDLE_MS, SessionStore, sameSecret, sessionCookie, sessionIdFrom } from './session.js';

describe('console sessions', () => {
  it('ends a session after an hour idle, and after twelve hours however busy', () => {
    let now = 0;
    const store = new SessionStore(() => now);
    const { id } = store.open('tok-123456789');
    now = IDLE_MS - 1;
    expect(store.get(id, 'tok-123456789')).not.toBeNull();
    now += IDLE_MS - 1;
    expect(store.get(id, 'tok-123456789')).not.toBeNull();
    now += IDLE_MS;
    expect(store.get(id, 'tok-123456789')).toBeNull();

    now = 0;
    const busy = store.open('tok-123456789').id;
    for (now = 0; now < ABSOLUTE_MS - 60_000; now += 30 * 60_000)
      expect(store.get(busy, 'tok-123456789')).not.toBeNull();
    now = ABSOLUTE_MS;
    expect(store.get(busy, 'tok-123456789')).toBeNull();
  });

  it('ends every session when the token is rotated (or removed)', () => {
    const store = new SessionStore();
    const { id } = store.open('old-token-1234');
    expect(store.get(id, 'new-token-5678')).toBeNull();
    // Gone for good: going back to the old token does not revive it.
    expect(store.get(id, 'old-token-1234')).toBeNull();
    const other = store.open('old-token-1234').id;
    expect(store.get(other, '')).toBeNull();
  });

  it('gives each session its own random id and CSRF token', () => {
    const store = new SessionStore();
    const a = store.open('t0ken-abcdef');
    const b = store.open('t0ken-abcdef');
    expect(a.id).not.toBe(b.id);
    expect(a.session.csrf).not.toBe(b.session.csrf);
    expect(Buffer.from(a.id, 'base64url')).toHaveLength(32);
    expect(store.get('unknown', 't0ken-abcdef')).toBeNull();
    store.close(a.id);
    expect(store.get(a.id, 't0ken-abcdef')).toBeNull();
  });

  it('reads its cookie among others and writes it HttpOnly, SameSite=Strict', () => {
    expect(sessionIdFrom('a=1; mobileid_sync_session=abc; b=2')).toBe('abc');
    expect(sessionIdFrom('xmobileid_sync_session=abc')).toBeUndefined();
    expect(sessionCookie('abc')).toBe('mobileid_sync_session=abc; HttpOnly; SameSite=Strict; Path=/');
    expect(sameSecret('a', 'a')).toBe(true);
    expect(sameSecret('a', 'ab')).toBe(false);
  });
});
