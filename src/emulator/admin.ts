/**
 * Test-only admin endpoints under /_admin: read users, outbox and the uploads log; simulate what
 * happens on phones (activation, app reset, offline/online); inject faults and release held uploads;
 * wipe everything.
 * Unauthenticated on purpose — the emulator is for loopback rehearsal, never for exposure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FaultQueue, parseFault } from './faults.js';
import { BodyTooLargeError, readBody, sendJson } from './http.js';
import { sortUsers, type Transition, transitionUser } from './model.js';
import type { EmulatorStore } from './store.js';

export interface AdminContext {
  readonly store: EmulatorStore;
  readonly faults: FaultQueue;
}

const TRANSITIONS: readonly Transition[] = ['activate', 'reset', 'offline', 'online'];
const MAX_ADMIN_BODY = 1024 * 1024;

/** Routes `/_admin/<rest…>`; answers 404/405 itself for anything it does not know. */
export async function handleAdmin(
  ctx: AdminContext,
  req: IncomingMessage,
  res: ServerResponse,
  rest: readonly string[],
): Promise<void> {
  const method = req.method ?? 'GET';
  const [first, project, collection, key, action] = rest;

  if (first === 'faults' && rest.length === 1) {
    if (method === 'GET') return sendJson(res, 200, { faults: ctx.faults.list() });
    if (method === 'DELETE') {
      ctx.faults.clear();
      return sendJson(res, 200, { faults: [] });
    }
    if (method === 'POST') return addFaults(ctx, req, res);
    return methodNotAllowed(res);
  }

  if (first === 'release' && rest.length === 1) {
    if (method !== 'POST') return methodNotAllowed(res);
    return sendJson(res, 200, { released: ctx.faults.release() });
  }

  if (first === 'reset' && rest.length === 1) {
    if (method !== 'POST') return methodNotAllowed(res);
    ctx.store.resetAll();
    ctx.faults.clear();
    ctx.store.save();
    return sendJson(res, 200, { ok: true });
  }

  if (first === 'projects' && project !== undefined) {
    const state = ctx.store.project(project);
    if (state === undefined) return sendJson(res, 404, { error: 'project not found' });

    if (rest.length === 3) {
      if (method !== 'GET') return methodNotAllowed(res);
      if (collection === 'users') return sendJson(res, 200, { users: sortUsers(state.users) });
      if (collection === 'outbox') return sendJson(res, 200, { messages: state.outbox });
      if (collection === 'uploads') return sendJson(res, 200, { uploads: state.uploads });
    }

    if (rest.length === 5 && collection === 'users' && key !== undefined && isTransition(action)) {
      if (method !== 'POST') return methodNotAllowed(res);
      const outcome = transitionUser(state.users, key, action, new Date().toISOString());
      if (!outcome.ok)
        return sendJson(res, outcome.reason === 'not-found' ? 404 : 409, { error: outcome.message });
      ctx.store.setUsers(state, outcome.users);
      ctx.store.save();
      return sendJson(res, 200, { user: outcome.user, removed: outcome.removed });
    }
  }

  return sendJson(res, 404, { error: 'not found' });
}

/** Accepts one fault object or an array of them; all are checked before any is queued. */
async function addFaults(ctx: AdminContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let input: unknown;
  try {
    input = JSON.parse((await readBody(req, MAX_ADMIN_BODY)).toString('utf8'));
  } catch (e) {
    const message = e instanceof BodyTooLargeError ? e.message : 'body is not valid JSON';
    return sendJson(res, 400, { error: message });
  }
  const specs = Array.isArray(input) ? input : [input];
  const parsed = specs.map(parseFault);
  const errors = parsed.flatMap((p, index) => (p.ok ? [] : [{ index, error: p.error }]));
  if (errors.length > 0) return sendJson(res, 400, { error: 'invalid fault', errors });
  for (const p of parsed) if (p.ok) ctx.faults.add(p.fault);
  return sendJson(res, 200, { faults: ctx.faults.list() });
}

function methodNotAllowed(res: ServerResponse): void {
  sendJson(res, 405, { error: 'method not allowed' });
}

function isTransition(s: string | undefined): s is Transition {
  return (TRANSITIONS as readonly (string | undefined)[]).includes(s);
}
