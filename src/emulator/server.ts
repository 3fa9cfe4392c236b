/**
 * The MIM emulator (DESIGN §4): a real HTTP server that answers the sync endpoint like Mobile ID
 * Manager, plus unauthenticated /_admin endpoints for tests and rehearsals.
 *
 * For loopback rehearsal only: the admin endpoints can read every user and change any state without
 * a token, so never expose the emulator beyond 127.0.0.1 / ::1.
 *
 * This file only wires things up and routes; the behaviour lives in sync.ts (endpoint), model.ts
 * (replacing-sync semantics), validate.ts (whole-file rules), faults.ts, outbox.ts and store.ts.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConfigError } from '../core/errors.js';
import { handleAdmin } from './admin.js';
import { FaultQueue } from './faults.js';
import { sendJson, sendText } from './http.js';
import { EmulatorStore } from './store.js';
import { handleSync, type SyncContext } from './sync.js';

export interface EmulatorProject {
  name: string;
  token: string;
  /** Official contact e-mail; receives a failure notice when an upload is rejected. */
  contact?: string;
}

export interface EmulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  projects: EmulatorProject[];
  /** Default false: invited users stay 'invitation-sent' until activated through the admin endpoint. */
  autoActivate?: boolean;
  /** Persist the model as JSON after each change and load it at start. */
  dataFile?: string;
  /** One line per request (method, path, status); never the token. */
  logger?: Logger;
  /** Serve HTTPS instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Largest accepted upload; default 64 MiB. */
  maxBodyBytes?: number;
}

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const tokens = checkProjects(options.projects);
  const store = new EmulatorStore(
    options.projects.map((p) => p.name),
    options.dataFile,
  );
  const lifetime = new AbortController();
  const ctx: SyncContext = {
    store,
    faults: new FaultQueue(),
    tokens,
    autoActivate: options.autoActivate ?? false,
    lifetime: lifetime.signal,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    logRequest(options.logger, req, res);
    route(ctx, req, res).catch((err: unknown) => {
      options.logger?.error(
        { err: err instanceof Error ? err.message : String(err) },
        'emulator request failed',
      );
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : http.createServer(listener);

  const host = options.host ?? '127.0.0.1';
  await listen(server, host, options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? 'https' : 'http';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      lifetime.abort();
      server.close(() => resolve());
      server.closeAllConnections(); // hung requests (injected hang) would otherwise keep close() waiting
    });
    return closing;
  };
  return { url, port, close };
}

async function route(ctx: SyncContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const segments = pathSegments(req.url ?? '/');
  if (segments === undefined) return sendJson(res, 400, { error: 'malformed percent-encoding in path' });
  const method = req.method ?? 'GET';
  const [first, second, project, fourth] = segments;

  if (first === 'healthz' && segments.length === 1) {
    return method === 'GET' || method === 'HEAD' ? sendText(res, 200, 'ok') : notAllowed(res);
  }
  if (
    first === 'api' &&
    second === 'projects' &&
    project !== undefined &&
    fourth === 'sync' &&
    segments.length === 4
  ) {
    return method === 'POST' ? handleSync(ctx, req, res, project) : notAllowed(res);
  }
  if (first === '_admin') return handleAdmin(ctx, req, res, segments.slice(1));
  return sendJson(res, 404, { error: 'not found' });
}

/** Splits the path before decoding, so a project name may contain an encoded '/'. */
function pathSegments(rawUrl: string): string[] | undefined {
  const path = rawUrl.split('?')[0] ?? '';
  try {
    return path
      .split('/')
      .slice(1)
      .filter((s, i, all) => s !== '' || i < all.length - 1) // tolerate one trailing slash
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function notAllowed(res: ServerResponse): void {
  sendJson(res, 405, { error: 'method not allowed' });
}

/** One line per request once it ends; requests never answered (hang, reset) log status null. */
function logRequest(logger: Logger | undefined, req: IncomingMessage, res: ServerResponse): void {
  if (logger === undefined) return;
  const started = Date.now();
  const path = (req.url ?? '/').split('?')[0];
  res.once('close', () => {
    const status = res.writableFinished ? res.statusCode : null;
    logger.info({ method: req.method, path, status, ms: Date.now() - started }, 'emulator request');
  });
}

function checkProjects(projects: readonly EmulatorProject[]): Map<string, EmulatorProject> {
  const fix = 'Give every emulator project a unique, non-empty name and a non-empty token.';
  if (projects.length === 0) throw new ConfigError('The emulator needs at least one project', { fix });
  const byName = new Map<string, EmulatorProject>();
  for (const p of projects) {
    if (p.name === '') throw new ConfigError('An emulator project has an empty name', { fix });
    if (byName.has(p.name))
      throw new ConfigError('Two emulator projects have the same name', { place: p.name, fix });
    if (p.token === '')
      throw new ConfigError('An emulator project has an empty token', { place: p.name, fix });
    byName.set(p.name, p);
  }
  return byName;
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (cause: Error): void => {
      reject(
        new ConfigError('The emulator could not listen', {
          place: `${host}:${port}`,
          fix: 'Choose a free port (0 picks one) and a local address such as 127.0.0.1.',
          cause,
        }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
