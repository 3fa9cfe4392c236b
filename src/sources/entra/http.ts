/**
 * Transport for the Graph SDK: one middleware that attaches the bearer token (only for the
 * configured Graph origin), retries 429/500/502/503/504 and network errors with Retry-After or
 * backoff, refreshes an expired token once, and applies a per-attempt timeout. It replaces the
 * SDK's AuthenticationHandler and RetryHandler (which skip 500/502, network errors and 401 refresh).
 * Chain: GraphTransport → SDK TelemetryHandler → UndiciHandler.
 */
import '../../http/wasm-tiering.js';
import { setTimeout as delay } from 'node:timers/promises';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { Context, Middleware, MiddlewareOptions } from '@microsoft/microsoft-graph-client';
import type { Logger } from 'pino';
import { Agent, type Dispatcher, request } from 'undici';
import { readPemFile } from '../../config/files.js';
import { deadline } from '../../core/deadline.js';
import { AbortedError, ConfigError, isSyncError, SourceInvalidError } from '../../core/errors.js';
import { backoffDelay, parseRetryAfter } from '../../core/retry-after.js';

export interface RetryPolicy {
  readonly max: number;
  readonly baseDelayMs: number;
  /** Caps our own backoff. */
  readonly maxDelayMs: number;
  /** Caps a server's Retry-After; larger than maxDelayMs because Graph asks for minutes when it throttles. */
  readonly maxRetryAfterMs: number;
}

/**
 * The wait before retry `attempt` (0-based): the server's Retry-After up to `maxRetryAfterMs`
 * (retrying before it passes only earns another 429 and uses up the retries), else exponential
 * backoff up to `maxDelayMs`.
 */
export function retryWait(
  retryAfter: string | null,
  attempt: number,
  policy: RetryPolicy,
  now: number = Date.now(),
): number {
  const hinted = parseRetryAfter(retryAfter, now);
  if (hinted !== undefined) return Math.min(hinted, policy.maxRetryAfterMs);
  return backoffDelay(attempt, policy.baseDelayMs, policy.maxDelayMs);
}

export interface TokenSource {
  /** A valid access token; `force` fetches a new one even if the cached one looks valid. */
  getToken(signal: AbortSignal | undefined, force: boolean): Promise<string>;
}

/**
 * The trust of the last `caFile` text: parsing the system roots again costs some 20 ms of CPU, and
 * a daemon makes a new source (so a new agent) every run. Keyed by the file's text, so an edited
 * file is read again.
 */
let trusted: { readonly pem: string; readonly context: SecureContext } | undefined;

function trustContext(pem: string): SecureContext {
  if (trusted?.pem === pem) return trusted.context;
  const context = createSecureContext({ ca: [...rootCertificates, pem] });
  trusted = { pem, context };
  return context;
}

/** One HTTP agent for sign-in and Graph; trusts the system roots plus `caFile`. */
export function createDispatcher(caFile: string, place: string, timeoutMs: number): Agent {
  let secureContext: SecureContext | undefined;
  if (caFile) {
    const extra = readPemFile(caFile, place, {
      key: 'caFile',
      holds: 'the CA certificate(s) to trust for the sign-in host and Graph',
    });
    try {
      // Built once: with a plain `ca` option every TLS connection would parse all system roots again.
      secureContext = trustContext(extra);
    } catch (e) {
      throw new ConfigError(`caFile ${caFile} holds no usable PEM certificate`, {
        place,
        fix: 'Put the CA certificate(s) in PEM form (-----BEGIN CERTIFICATE-----) into the file.',
        cause: e,
      });
    }
  }
  return new Agent({
    connect: { timeout: timeoutMs, ...(secureContext ? { secureContext } : {}) },
    keepAliveTimeout: 30_000,
  });
}

export function waitFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : {}).catch(() => {
    throw new AbortedError();
  });
}

const TLS_TRUST_CODES =
  /^(CERT_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;

/** The error code of a failed fetch (`ECONNRESET`, `UND_ERR_SOCKET`, `CERT_HAS_EXPIRED`, `TimeoutError`). */
export function networkCode(e: unknown): string {
  if (e instanceof Error && e.name === 'TimeoutError') return 'TimeoutError';
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = cur.cause;
  }
  return e instanceof Error ? e.message : String(e);
}

export function isTlsTrustError(e: unknown): boolean {
  return TLS_TRUST_CODES.test(networkCode(e));
}

export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Per-request bookkeeping shared between the caller and the middleware. */
export class RequestTrace implements MiddlewareOptions {
  attempts = 0;
  /** The whole body of the last answer, read by UndiciHandler. */
  body: Buffer | undefined;
  /** What the middleware threw; the SDK wraps thrown errors, so the caller reads it here. */
  error: unknown;
}

function traceOf(context: Context): RequestTrace {
  const found = context.middlewareControl?.getMiddlewareOptions(RequestTrace);
  if (found instanceof RequestTrace) return found;
  throw new Error('Graph requests must carry a RequestTrace middleware option');
}

export interface TransportOptions {
  readonly origin: string;
  readonly tokens: TokenSource;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

function setHeader(options: RequestInit, name: string, value: string): void {
  if (options.headers instanceof Headers) options.headers.set(name, value);
  else if (Array.isArray(options.headers)) options.headers.push([name, value]);
  else options.headers = { ...options.headers, [name]: value };
}

function plainHeaders(headers: RequestInit['headers']): Record<string, string> {
  if (headers === undefined) return {};
  if (headers instanceof Headers || Array.isArray(headers)) return Object.fromEntries(headers);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = typeof v === 'string' ? v : v.join(', ');
  return out;
}

function isExpiredToken(body: Buffer | undefined): boolean {
  try {
    const parsed = JSON.parse(body?.toString('utf8') ?? '') as { error?: { code?: unknown } };
    return parsed.error?.code === 'InvalidAuthenticationToken';
  } catch {
    return false;
  }
}

/**
 * The last hop: undici's `request` with our dispatcher (CA, keep-alive), reading the whole body
 * into the trace. It replaces the SDK's HTTPMessageHandler (global fetch): no web-stream
 * overhead, one JSON parse by the caller, and a connection lost mid-body fails here, inside the
 * retry loop. The Response handed back carries status and headers only.
 */
export class UndiciHandler implements Middleware {
  constructor(private readonly dispatcher: Dispatcher) {}

  async execute(context: Context): Promise<void> {
    const trace = traceOf(context);
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const options = context.options ?? {};
    trace.body = undefined;
    const res = await request(url, {
      method: (options.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: plainHeaders(options.headers),
      signal: options.signal ?? undefined,
      dispatcher: this.dispatcher,
    });
    trace.body = Buffer.from(await res.body.arrayBuffer());
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    context.response = new Response(null, { status: res.statusCode, headers });
  }
}

export class GraphTransport implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly o: TransportOptions) {}

  private backoff(attempt: number): number {
    return backoffDelay(attempt, this.o.retry.baseDelayMs, this.o.retry.maxDelayMs);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const trace = traceOf(context);
    try {
      await this.run(context, trace);
    } catch (e) {
      trace.error = e;
      throw e;
    }
  }

  private async run(context: Context, trace: RequestTrace): Promise<void> {
    const next = this.next;
    if (!next) throw new Error('GraphTransport needs a next middleware');
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    // The token goes only to the configured Graph origin, never to a host a response named.
    if (new URL(url).origin !== this.o.origin) {
      throw new SourceInvalidError(`Refused to send the Graph token to ${new URL(url).origin}`, {
        place: url.split('?')[0],
        fix: 'Set graphBaseUrl to the Graph root that issued this link.',
      });
    }
    const options: RequestInit = context.options ?? {};
    context.options = options;
    const outer = options.signal ?? undefined;
    let forceToken = false;
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      if (outer?.aborted) throw new AbortedError();
      trace.attempts = attempt + 1;
      setHeader(options, 'Authorization', `Bearer ${await this.o.tokens.getToken(outer, forceToken)}`);
      forceToken = false;
      const limit = deadline(this.o.timeoutMs, outer);
      options.signal = limit.signal;
      let wait: number;
      let why: string;
      let requestId: string | null = null;
      try {
        await next.execute(context);
        const res = context.response;
        if (!res) throw new Error('no response');
        if (res.status === 401 && !refreshed && isExpiredToken(trace.body)) {
          refreshed = true;
          forceToken = true;
          this.o.logger.debug({ path: new URL(url).pathname }, 'Graph token rejected; fetching a new one');
          continue;
        }
        if (!RETRY_STATUSES.has(res.status) || attempt >= this.o.retry.max) return;
        requestId = res.headers.get('request-id');
        wait = retryWait(res.headers.get('retry-after'), attempt, this.o.retry);
        why = `HTTP ${res.status}`;
      } catch (e) {
        if (outer?.aborted) throw new AbortedError();
        if (isSyncError(e) || isTlsTrustError(e) || attempt >= this.o.retry.max) throw e;
        wait = this.backoff(attempt);
        why = networkCode(e);
      } finally {
        limit.clear();
        options.signal = outer ?? null;
      }
      this.o.logger.warn(
        { path: new URL(url).pathname, attempt: attempt + 1, reason: why, waitMs: wait, requestId },
        'Graph request failed; retrying',
      );
      await waitFor(wait, outer);
    }
  }
}
