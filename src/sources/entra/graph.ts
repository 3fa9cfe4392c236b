/**
 * Reads Graph collections page by page with @microsoft/microsoft-graph-client 3.0.7 over our own
 * transport middleware. Every page must arrive; any failure ends the read with a typed error, so
 * a caller never sees part of a collection.
 */
import { Client, ResponseType, TelemetryHandler } from '@microsoft/microsoft-graph-client';
import type { Logger } from 'pino';
import type { Agent } from 'undici';
import { AbortedError, isSyncError, SourceInvalidError, type SyncError } from '../../core/errors.js';
import { type ExplainContext, explainGraphFailure, explainNetwork } from './explain.js';
import { GraphTransport, RequestTrace, type RetryPolicy, type TokenSource, UndiciHandler } from './http.js';

export interface GraphPage {
  readonly value: readonly unknown[];
  readonly nextLink: string | undefined;
  readonly deltaLink: string | undefined;
}

export interface ReadOptions {
  /** Sent on every page, including nextLinks (ConsistencyLevel is not carried over by Graph). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  /** For messages: "users", "members of group Staff". */
  readonly what: string;
}

/** A Graph answer that stayed an error after retries; the caller decides what it means. */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly graphMessage: string,
    readonly attempts: number,
    readonly url: string,
  ) {
    super(`Graph answered ${status} ${code}`);
  }
}

export interface GraphReaderOptions {
  readonly graphBaseUrl: string;
  readonly dispatcher: Agent;
  readonly tokens: TokenSource;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly explain: ExplainContext;
}

/** `?$select=a,b&$top=999` with values percent-encoded (commas kept readable). */
export function query(params: Readonly<Record<string, string>>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ',')}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Without the query string: `$skiptoken`s are long and say nothing to an admin. */
function placeOf(url: string, page: number): string {
  const u = new URL(url);
  return `GET ${u.origin}${u.pathname}${page > 1 ? ` (page ${page})` : ''}`;
}

function parseErrorBody(body: unknown): { code: string; message: string } {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { code: '', message: body.slice(0, 200) };
    }
  }
  const obj = (parsed ?? {}) as Record<string, unknown>;
  const err = (typeof obj.error === 'object' && obj.error !== null ? obj.error : obj) as Record<
    string,
    unknown
  >;
  return {
    code: typeof err.code === 'string' ? err.code : '',
    message: typeof err.message === 'string' ? err.message : '',
  };
}

export class GraphReader {
  private readonly client: Client;
  readonly origin: string;
  readonly base: string;

  constructor(private readonly o: GraphReaderOptions) {
    this.base = o.graphBaseUrl;
    this.origin = new URL(o.graphBaseUrl).origin;
    const transport = new GraphTransport({
      origin: this.origin,
      tokens: o.tokens,
      retry: o.retry,
      timeoutMs: o.timeoutMs,
      logger: o.logger,
    });
    this.client = Client.initWithMiddleware({
      baseUrl: o.graphBaseUrl,
      defaultVersion: 'v1.0',
      customHosts: new Set([new URL(o.graphBaseUrl).hostname]),
      middleware: [transport, new TelemetryHandler(), new UndiciHandler(o.dispatcher)],
      fetchOptions: {
        // Node's fetch sends `accept-language: *`, which one Graph endpoint rejects (graph.md §7.12).
        headers: { Accept: 'application/json', 'Accept-Language': 'en-US' },
      },
    });
  }

  /** An absolute v1.0 URL. */
  url(path: string, params: Readonly<Record<string, string>> = {}): string {
    return `${this.base}/v1.0/${path}${query(params)}`;
  }

  /** One GET; a failure is a GraphHttpError (an HTTP answer) or an explained SyncError. */
  async get(url: string, options: ReadOptions, page = 1): Promise<GraphPage> {
    const trace = new RequestTrace();
    let res: Response;
    try {
      // RAW: the SDK hands back the Response; the body was read into the trace by UndiciHandler.
      res = await this.client
        .api(url)
        .headers({ ...options.headers })
        .option('signal', options.signal)
        .middlewareOptions([trace])
        .responseType(ResponseType.RAW)
        .get();
    } catch (e) {
      throw this.failure(e, trace, url, page);
    }
    const place = placeOf(url, page);
    const text = trace.body?.toString('utf8') ?? '';
    if (!res.ok) {
      const { code, message } = parseErrorBody(text);
      // Microsoft support asks for the request-id of a failed call.
      const requestId = res.headers.get('request-id');
      const where = requestId ? `${place} (request-id ${requestId})` : place;
      throw new GraphHttpError(res.status, code, message, trace.attempts, where);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = undefined;
    }
    if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { value?: unknown }).value)) {
      throw new SourceInvalidError(`Microsoft Graph answered ${options.what} without a "value" list`, {
        place,
        fix: 'Check that graphBaseUrl is the Graph root (e.g. https://graph.microsoft.com), not a proxy page.',
      });
    }
    const body = raw as { value: unknown[]; '@odata.nextLink'?: unknown; '@odata.deltaLink'?: unknown };
    return {
      value: body.value,
      nextLink: this.checkLink(body['@odata.nextLink'], url, page),
      deltaLink: this.checkLink(body['@odata.deltaLink'], url, page),
    };
  }

  /**
   * Pages from `url` to the last one, following @odata.nextLink verbatim. The next page is asked
   * for as soon as its link is known, before this one is handed over, so the caller's work on a
   * page overlaps Graph's answer; still one request at a time, in order. A caller that stops early
   * cancels that request, and it has ended when the loop ends.
   */
  async *pages(url: string, options: ReadOptions): AsyncGenerator<GraphPage> {
    if (options.signal.aborted) throw new AbortedError();
    const stop = new AbortController();
    const asked: ReadOptions = { ...options, signal: AbortSignal.any([options.signal, stop.signal]) };
    let next: Promise<GraphPage> | undefined = this.get(url, asked, 1);
    try {
      for (let page = 1; next !== undefined; page++) {
        const result: GraphPage = await next;
        next = undefined;
        if (result.nextLink !== undefined) {
          if (options.signal.aborted) throw new AbortedError();
          next = this.get(result.nextLink, asked, page + 1);
          // Marked handled now: a failure is rethrown by the await above on the next turn.
          next.catch(() => undefined);
          // Let the request reach the socket before the caller's synchronous work on this page.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        yield result;
      }
    } finally {
      if (next !== undefined) {
        stop.abort();
        await next.catch(() => undefined);
      }
    }
  }

  /** Only links on the configured Graph origin are followed: the token must not go elsewhere. */
  private checkLink(link: unknown, url: string, page: number): string | undefined {
    if (link === undefined || link === null) return undefined;
    if (typeof link !== 'string' || !URL.canParse(link) || new URL(link).origin !== this.origin) {
      throw new SourceInvalidError(
        `Microsoft Graph returned a paging link outside ${this.origin}; it was not followed`,
        {
          place: placeOf(url, page),
          fix: 'Set graphBaseUrl to the Graph root that issues these links (national clouds have their own).',
        },
      );
    }
    return link;
  }

  private failure(e: unknown, trace: RequestTrace, url: string, page: number): Error {
    const thrown = trace.error ?? e;
    if (thrown instanceof AbortedError || isSyncError(thrown)) return thrown as SyncError;
    return explainNetwork(placeOf(url, page), this.origin, trace.attempts, thrown);
  }

  /** Explains a GraphHttpError; anything else passes through. */
  explain(e: unknown, what: string): unknown {
    if (!(e instanceof GraphHttpError)) return e;
    return explainGraphFailure(this.o.explain, e.url, what, e.status, e.code, e.graphMessage, e.attempts);
  }
}
