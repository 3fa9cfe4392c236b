/**
 * The sync endpoint, `POST /api/projects/{project}/sync`: injected faults first (they stand for the
 * network and proxies in front of MIM), then project, Bearer token, whole-file validation and the
 * replacing sync. Every request that names a configured project is logged in its uploads, whatever
 * the outcome, so tests can tell "rejected" from "never sent".
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { TLSSocket } from 'node:tls';
import type { FaultQueue, FaultSpec } from './faults.js';
import { BodyTooLargeError, readBody, sendJson, sendText } from './http.js';
import { applySync } from './model.js';
import type { EmulatorStore, ProjectState, UploadRecord } from './store.js';
import { validateUpload } from './validate.js';

export interface SyncContext {
  readonly store: EmulatorStore;
  readonly faults: FaultQueue;
  readonly tokens: ReadonlyMap<string, { token: string; contact?: string | undefined }>;
  readonly autoActivate: boolean;
  /** Aborted when the emulator closes, so pending delays stop. */
  readonly lifetime: AbortSignal;
  readonly maxBodyBytes: number;
}

type Answer = { status: number; body: unknown };
type Outcome = Omit<UploadRecord, 'seq' | 'at' | 'bytes' | 'sha256' | 'fault'>;

export async function handleSync(
  ctx: SyncContext,
  req: IncomingMessage,
  res: ServerResponse,
  project: string,
): Promise<void> {
  const fault = ctx.faults.take();
  let body: Buffer;
  try {
    body = await readBody(req, ctx.maxBodyBytes);
  } catch (e) {
    if (!(e instanceof BodyTooLargeError)) throw e;
    sendJson(res, 413, { error: `upload larger than ${e.limit} bytes` }, { connection: 'close' });
    const state = ctx.store.project(project);
    if (state) {
      // Only the first `limit` bytes were read, so there is no hash of the whole upload.
      record(ctx, state, { status: 413, note: 'upload too large' }, { bytes: e.limit, sha256: '' }, fault);
    }
    return;
  }
  const state = ctx.store.project(project);
  let clientGone = false;
  res.once('close', () => {
    clientGone = !res.writableFinished;
  });
  const meta = { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
  const log = (outcome: Outcome): void => {
    if (state) record(ctx, state, outcome, meta, fault);
  };

  switch (fault?.type) {
    case 'status':
      answerWithFault(res, fault);
      log({ status: fault.status, note: 'injected status' });
      return;
    case 'echo-auth':
      sendText(
        res,
        fault.status,
        `{"error":"unexpected request","request":{"authorization":${JSON.stringify(req.headers.authorization ?? '')}}}\nAuthorization: ${req.headers.authorization ?? ''}`,
        'application/json',
      );
      log({ status: fault.status, note: 'injected echo-auth: the token echoed in the body' });
      return;
    case 'hang':
      log({ status: null, note: 'injected hang: no answer' });
      return; // the socket stays open until the client gives up or the emulator closes
    case 'reset':
      log({ status: null, note: 'injected reset: connection dropped' });
      dropConnection(req);
      return;
    case 'html-200':
      sendText(res, 200, fault.body ?? LOGIN_PAGE, 'text/html; charset=utf-8');
      log({ status: 200, note: 'injected html-200: a login page, not applied' });
      return;
    case 'redirect-302':
      sendText(res, 302, 'Found', 'text/plain; charset=utf-8', {
        location: fault.location ?? '/login?next=%2Fapi',
      });
      log({ status: 302, note: 'injected redirect-302: not applied' });
      return;
    case 'delay':
    case 'hold':
      try {
        if (fault.type === 'delay') await sleep(fault.ms, undefined, { signal: ctx.lifetime });
        else await ctx.faults.held(ctx.lifetime);
      } catch {
        return; // emulator closing
      }
      if (clientGone || req.socket.destroyed) {
        log({ status: null, note: `client disconnected during injected ${fault.type}: not applied` });
        return;
      }
      break;
    default:
      break;
  }

  if (state === undefined) {
    sendJson(res, 404, { error: 'project not found' });
    return;
  }
  const { answer, outcome } = authorizeAndApply(ctx, project, state, req.headers.authorization, body);
  if (fault?.type === 'apply-then-hang') {
    log({ ...outcome, status: null, note: 'injected apply-then-hang: processed, no answer' });
    return;
  }
  if (fault?.type === 'apply-then-reset') {
    log({ ...outcome, status: null, note: 'injected apply-then-reset: processed, connection dropped' });
    dropConnection(req);
    return;
  }
  if (fault?.type === 'apply-then-status') {
    log({
      ...outcome,
      status: fault.status,
      note: `injected apply-then-status: processed, answered ${fault.status}`,
    });
    answerWithFault(res, { ...fault, type: 'status' });
    return;
  }
  log(outcome);
  sendJson(res, answer.status, answer.body);
}

/** Auth, validation and the sync itself; pure apart from updating the store. */
function authorizeAndApply(
  ctx: SyncContext,
  project: string,
  state: ProjectState,
  authorization: string | undefined,
  body: Buffer,
): { answer: Answer; outcome: Outcome } {
  const config = ctx.tokens.get(project);
  if (config === undefined || !tokenMatches(authorization, config.token)) {
    return {
      answer: { status: 401, body: { error: 'invalid token' } },
      outcome: { status: 401, note: 'invalid token' },
    };
  }
  const at = new Date().toISOString();
  const validation = validateUpload(body);
  if (!validation.ok) {
    if (config.contact) {
      ctx.store.appendMessages(state, [{ kind: 'failure-notice', to: config.contact }], {
        project,
        at,
        errorCount: validation.errors.length,
      });
    }
    const errors = validation.errors;
    return {
      answer: { status: 422, body: { result: 'rejected', errors } },
      outcome: { status: 422, errors },
    };
  }
  const outcome = applySync(state.users, validation.rows, {
    matchBy: validation.withSyncId ? 'sync-id' : 'email',
    autoActivate: ctx.autoActivate,
    now: at,
  });
  ctx.store.setUsers(state, outcome.users);
  ctx.store.appendMessages(state, outcome.messages, { project, at });
  return {
    answer: { status: 200, body: { result: 'applied', ...outcome.counts } },
    outcome: { status: 200, result: outcome.counts },
  };
}

function record(
  ctx: SyncContext,
  state: ProjectState,
  outcome: Outcome,
  meta: { bytes: number; sha256: string },
  fault: FaultSpec | undefined,
): void {
  ctx.store.recordUpload(state, {
    at: new Date().toISOString(),
    ...meta,
    ...(fault ? { fault: fault.type } : {}),
    ...outcome,
  });
  ctx.store.save();
}

function answerWithFault(res: ServerResponse, fault: Extract<FaultSpec, { type: 'status' }>): void {
  const headers: Record<string, string> =
    fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
  if (fault.body === undefined) {
    sendJson(res, fault.status, { error: 'injected fault', status: fault.status }, headers);
  } else {
    sendText(res, fault.status, fault.body, fault.contentType ?? 'text/plain; charset=utf-8', headers);
  }
}

/** What a reverse proxy's single sign-on shows when its session has expired. */
const LOGIN_PAGE = `<!DOCTYPE html>
<html lang="en"><head><title>Sign in</title></head>
<body><h1>Your session has expired</h1><p>Please sign in again to continue.</p>
<form method="post" action="/login"><input name="user"><input name="password" type="password">
<button>Sign in</button></form></body></html>
`;

/** Constant-time comparison: hashing first makes both sides the same length. */
function tokenMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(.+)$/i.exec(authorization ?? '');
  const given = match?.[1]?.trim() ?? '';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

/** A TCP reset where possible; TLS sockets cannot send one, so they are simply destroyed. */
function dropConnection(req: IncomingMessage): void {
  if (req.socket instanceof TLSSocket) req.socket.destroy();
  else req.socket.resetAndDestroy();
}
