/**
 * Fault injection: a list of faults, each for a route (or any Graph route), optionally one page
 * of a listing, a number of times; the first that matches a request is taken and replaces (or
 * delays) its answer: an error status with Retry-After, a reset connection, a half-sent body, an
 * expired token, an empty or foreign page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { graphError, Reply, STATUS_CODES, stsError } from './errors.js';
import { GRAPH_CONTENT_TYPE, send } from './http.js';
import { isGraphRoute, type Route } from './routes.js';

export type FaultAction =
  /** An error answer; `retryAfter` is sent verbatim as the Retry-After header. */
  | { readonly type: 'status'; readonly status: number; readonly retryAfter?: string; readonly code?: string }
  /** The TCP connection is destroyed before any answer. */
  | { readonly type: 'reset' }
  /** Headers and half the body are sent, then the connection is destroyed. */
  | { readonly type: 'reset-mid-body' }
  /** The answer is delayed. */
  | { readonly type: 'delay'; readonly ms: number }
  /** The caller's access token expires now; the answer is 401 InvalidAuthenticationToken. */
  | { readonly type: 'expire-token' }
  /** An empty page whose nextLink points at the same place (pages 2 and later). */
  | { readonly type: 'empty-page' }
  /** An empty page whose nextLink points at another host. */
  | { readonly type: 'foreign-link' };

export interface Fault {
  /** Route the fault applies to; 'graph' means any /v1.0 route. */
  readonly route: Route | 'graph';
  /** 1-based page of a listing (delta rounds count their own pages); omitted: every request. */
  readonly page?: number;
  /** How many matching requests get the fault (default 1; Infinity: all). */
  readonly times?: number;
  readonly action: FaultAction;
}

export class FaultList {
  private faults: { fault: Fault; hits: number }[] = [];

  set(faults: readonly Fault[]): void {
    this.faults = faults.map((fault) => ({ fault, hits: 0 }));
  }

  /** The action of the first fault that matches and has hits left, counting the hit. */
  take(route: Route, page: number | undefined): FaultAction | undefined {
    for (const f of this.faults) {
      const routeOk = f.fault.route === route || (f.fault.route === 'graph' && isGraphRoute(route));
      const pageOk = f.fault.page === undefined || f.fault.page === page;
      if (routeOk && pageOk && f.hits < (f.fault.times ?? 1)) {
        f.hits++;
        return f.fault.action;
      }
    }
    return undefined;
  }
}

/** The answer of a `status` fault: an STS error on the token route, else Graph's error body. */
export function statusFaultReply(action: Extract<FaultAction, { type: 'status' }>, route: Route): Reply {
  const headers: Record<string, string> =
    action.retryAfter !== undefined ? { 'retry-after': action.retryAfter } : {};
  const code = action.code ?? STATUS_CODES[action.status] ?? 'UnknownError';
  const message =
    action.status === 429 ? 'Please retry again later.' : 'The service is temporarily unavailable.';
  const reply =
    route === 'token'
      ? stsError(
          action.status,
          'temporarily_unavailable',
          0,
          'AADSTS50196: The server is busy. Try again later.',
        )
      : graphError(action.status, code, message, headers);
  return new Reply(reply.status, reply.body, { ...reply.headers, ...headers });
}

/** The request a fault lands on, and what the stand-in can do to it. */
export interface FaultTarget {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: Route;
  readonly clientRequestId: string | undefined;
  /** Expires the caller's access token. */
  readonly expireToken: () => void;
  /** The empty page that links to the requested page again; undefined off a listing's page 2+. */
  readonly emptyPage: () => Reply | undefined;
}

/** Acts out `action`; 'continue': the normal answer still goes out (after a delay, say). */
export async function applyFault(action: FaultAction, t: FaultTarget): Promise<'done' | 'continue'> {
  const reply = (r: Reply): 'done' => {
    send(t.res, r, t.clientRequestId);
    return 'done';
  };
  switch (action.type) {
    case 'delay':
      await new Promise((r) => setTimeout(r, action.ms));
      return 'continue';
    case 'reset':
      t.req.socket.destroy();
      return 'done';
    case 'reset-mid-body': {
      t.res.writeHead(200, { 'content-type': GRAPH_CONTENT_TYPE, 'content-length': '100000' });
      t.res.write('{"value":[{"id":"');
      setTimeout(() => t.req.socket.destroy(), 20);
      return 'done';
    }
    case 'expire-token':
      t.expireToken();
      return reply(
        graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'),
      );
    case 'empty-page': {
      const page = t.emptyPage();
      return page ? reply(page) : 'continue';
    }
    case 'foreign-link': {
      const next = 'https://graph.example.net/v1.0/users?$skiptoken=elsewhere';
      return reply(new Reply(200, { '@odata.nextLink': next, value: [] }));
    }
    case 'status':
      return reply(statusFaultReply(action, t.route));
  }
}
