/**
 * Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, held in memory only (a
 * restart logs everyone out). Each session is bound to the digest of the admin token it was opened
 * with, so rotating the token (a reload) ends every session; it ends after an hour idle and twelve
 * hours in any case. Each carries its own CSRF token, which every console POST must echo.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'mobileid_sync_session';
export const IDLE_MS = 60 * 60_000;
export const ABSOLUTE_MS = 12 * 60 * 60_000;
/** A cap, so repeated logins cannot grow the map without bound; the oldest session goes first. */
const MAX_SESSIONS = 64;

export interface Session {
  readonly csrf: string;
  readonly tokenDigest: Buffer;
  readonly createdAt: number;
  lastSeenAt: number;
}

export function tokenDigest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time comparison of two strings of any length. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(tokenDigest(a), tokenDigest(b));
}

function newId(): string {
  return randomBytes(32).toString('base64url');
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Opens a session for the token the user typed (already checked against the configured one). */
  open(token: string): { readonly id: string; readonly session: Session } {
    this.#sweep();
    while (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const at = this.now();
    const session: Session = {
      csrf: newId(),
      tokenDigest: tokenDigest(token),
      createdAt: at,
      lastSeenAt: at,
    };
    const id = newId();
    this.#sessions.set(id, session);
    return { id, session };
  }

  /** The live session for this id under the current token, touched; null (and forgotten) otherwise. */
  get(id: string | undefined, currentToken: string): Session | null {
    if (!id) return null;
    const s = this.#sessions.get(id);
    if (!s) return null;
    const at = this.now();
    const live =
      at - s.lastSeenAt < IDLE_MS &&
      at - s.createdAt < ABSOLUTE_MS &&
      currentToken !== '' &&
      timingSafeEqual(s.tokenDigest, tokenDigest(currentToken));
    if (!live) {
      this.#sessions.delete(id);
      return null;
    }
    s.lastSeenAt = at;
    return s;
  }

  close(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    const at = this.now();
    for (const [id, s] of this.#sessions)
      if (at - s.lastSeenAt >= IDLE_MS || at - s.createdAt >= ABSOLUTE_MS) this.#sessions.delete(id);
  }
}

/** The session id from a Cookie header, or undefined. */
export function sessionIdFrom(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`;
}

export function clearedCookie(): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}
