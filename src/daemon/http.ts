/**
 * The admin listener: /healthz, /readyz, /metrics, /status, POST /jobs/{name}/run and POST /reload.
 *
 * Exposure rules: loopback by default; a non-loopback address needs `admin.token` (checked at
 * start-up, in admin-address.ts), and with a token every endpoint but /healthz wants
 * `Authorization: Bearer <token>`. Without a token (loopback only) the Host header must name the
 * loopback too, so a web page cannot read /status through DNS rebinding; and a POST carrying a
 * browser's Origin header is refused, so a web page cannot start runs (CSRF).
 * `/` and `/console/…` are the web console (console/routes.ts, loaded on first use), which has its
 * own login and CSRF rules.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Console } from '../console/routes.js';
import type { ConsoleData } from '../console/types.js';
import { ConfigError } from '../core/errors.js';
import { scrubbedJson, scrubSecrets } from '../core/secrets.js';
import type { Logger } from '../telemetry/logger.js';
import { isLoopback, LISTEN_PLACE, type ListenAddress } from './admin-address.js';
import type { TriggerResult } from './job-runner.js';
import type { ReloadRecord } from './reload.js';

export interface Readiness {
  readonly ready: boolean;
  /** Active/standby (see leader.ts). */
  readonly role?: 'active' | 'standby' | undefined;
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly detail?: string }[];
}

export interface AdminHandlers {
  readiness(): Promise<Readiness>;
  metrics(): Promise<{ readonly body: string; readonly contentType: string }>;
  status(): Promise<unknown>;
  runNow(job: string): TriggerResult | 'unknown-job';
  /** Re-reads the config file (as SIGHUP does); a refused one leaves the daemon on the old one. */
  reload(): Promise<ReloadRecord>;
  /** The web console's data and actions (`/` and `/console/…`); without it those paths are 404. */
  readonly console?: ConsoleData | undefined;
}

export interface AdminServer {
  /** e.g. http://127.0.0.1:9464 (the bound port when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function bearerMatches(header: string | undefined, expected: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1] !== undefined && timingSafeEqual(digest(m[1]), digest(expected));
}

/** Host header is a loopback name (with or without port). */
function hostIsLoopback(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.startsWith('[')
    ? hostHeader.slice(1, hostHeader.indexOf(']'))
    : hostHeader.split(':')[0];
  return host !== undefined && isLoopback(host);
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  // Every body passes the secret scrubber: /status carries error texts that may quote MIM's answer.
  const text = typeof body === 'string' ? scrubSecrets(body) : `${scrubbedJson(body, 2)}\n`;
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const RUN_PATH = /^\/jobs\/([^/]+)\/run$/;
const RUN_STATUS: Record<TriggerResult, number> = {
  started: 202,
  queued: 202,
  'already-queued': 202,
  stopping: 503,
  standby: 503,
};

/** `/` and `/console/…` (the same test as console/routes.ts's isConsolePath, without loading it). */
function isConsolePath(pathname: string): boolean {
  return pathname === '/' || pathname === '/console' || pathname.startsWith('/console/');
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  handlers: AdminHandlers,
  token: string,
  openConsole: () => Promise<Console> | null,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';
  if (url.pathname === '/healthz') {
    if (!read) return send(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
    return send(res, 200, { status: 'ok' });
  }
  // The console checks its own credentials (a session cookie or the Bearer token); the DNS-rebinding
  // Host rule below applies to it too.
  const consolePages = isConsolePath(url.pathname) ? openConsole() : null;
  if (consolePages) {
    if (!token && !hostIsLoopback(req.headers.host)) {
      return send(res, 421, { error: 'this listener answers requests to a loopback host name only' });
    }
    return (await consolePages).serve(req, res, url, token);
  }
  if (token && !bearerMatches(req.headers.authorization, token)) {
    return send(
      res,
      401,
      { error: 'a valid Authorization: Bearer token is required' },
      {
        'www-authenticate': 'Bearer realm="mobileid-sync"',
      },
    );
  }
  if (!token && !hostIsLoopback(req.headers.host)) {
    return send(res, 421, { error: 'this listener answers requests to a loopback host name only' });
  }

  const runMatch = RUN_PATH.exec(url.pathname);
  if (runMatch?.[1] !== undefined || url.pathname === '/reload') {
    if (method !== 'POST') return send(res, 405, { error: 'method not allowed' }, { allow: 'POST' });
    if (req.headers.origin) return send(res, 403, { error: 'requests from web pages are refused' });
  }
  if (url.pathname === '/reload') {
    const record = await handlers.reload();
    // 422: the file was read but refused; the daemon goes on with the config it had.
    return send(res, record.outcome === 'applied' ? 200 : 422, record);
  }
  if (runMatch?.[1] !== undefined) {
    const job = decodeURIComponent(runMatch[1]);
    const result = handlers.runNow(job);
    if (result === 'unknown-job') return send(res, 404, { error: `no job named "${job}"` });
    return send(res, RUN_STATUS[result], { job, result });
  }

  if (!read) return send(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
  switch (url.pathname) {
    case '/readyz': {
      const r = await handlers.readiness();
      return send(res, r.ready ? 200 : 503, r);
    }
    case '/metrics': {
      const m = await handlers.metrics();
      res.writeHead(200, { 'content-type': m.contentType, 'cache-control': 'no-store' });
      res.end(scrubSecrets(m.body));
      return;
    }
    case '/status':
      return send(res, 200, await handlers.status());
    default:
      return send(res, 404, { error: 'not found' });
  }
}

function isAddressInfo(a: string | AddressInfo | null): a is AddressInfo {
  return typeof a === 'object' && a !== null;
}

/** `token()` is asked on every request, so a reload can rotate it without a restart. */
export async function startAdminServer(
  address: ListenAddress,
  token: () => string,
  handlers: AdminHandlers,
  log: Logger,
): Promise<AdminServer> {
  // The console's code is loaded on its first request: a daemon nobody browses never holds it.
  let consolePages: Promise<Console> | null = null;
  const consoleData = handlers.console;
  const openConsole = (): Promise<Console> | null => {
    if (!consoleData) return null;
    consolePages ??= import('../console/routes.js').then((m) => m.createConsole(consoleData, log));
    return consolePages;
  };
  const server = http.createServer((req, res) => {
    route(req, res, handlers, token(), openConsole).catch((e: unknown) => {
      log.error({ err: e instanceof Error ? e.message : String(e), path: req.url }, 'Admin request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(
        new ConfigError(`Cannot listen on ${address.host || '*'}:${address.port}: ${e.code ?? e.message}`, {
          place: LISTEN_PLACE,
          fix:
            e.code === 'EADDRINUSE'
              ? 'Another process uses that port: pick another one in admin.listen, or stop the other daemon.'
              : 'Check the address in admin.listen (it must be one of this host), or leave it empty to turn the listener off.',
          cause: e,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host: address.host || undefined, port: address.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address();
  if (!isAddressInfo(bound)) throw new Error('the admin listener has no TCP address');
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
