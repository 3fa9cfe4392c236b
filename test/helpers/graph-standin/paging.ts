/**
 * Server-side paging: a listing is a chain of pages, each but the last with an
 * `@odata.nextLink` that carries an opaque `$skiptoken` naming where the next page starts.
 */
import { randomBytes } from 'node:crypto';
import { advancedMissing, graphError, Reply } from './errors.js';
import type { Route } from './routes.js';

export interface Chain {
  readonly route: Route;
  readonly items: readonly unknown[];
  readonly project: (item: unknown) => unknown;
  readonly pageSize: number;
  /** Path + query of the first request, without $skiptoken, for nextLinks. */
  readonly nextBase: string;
  readonly advanced: boolean;
  readonly context: string;
  readonly count: number | undefined;
  /** Extra members of the last page (the deltaLink). */
  readonly last: (() => Record<string, unknown>) | undefined;
}

interface Cursor {
  readonly chain: Chain;
  readonly offset: number;
  readonly page: number;
}

/** Where the page a request was answered with is noted (the request log). */
export interface PageNote {
  page?: number;
}

/** The first request's path and query without its $skiptoken, as the client sent them (graph.md §2). */
export function nextBase(url: URL): string {
  const query = url.search
    .slice(1)
    .split('&')
    .filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p))
    .join('&');
  return query ? `${url.pathname}?${query}` : url.pathname;
}

/** The body of one page: `@odata.context`, `@odata.count` on page 1, then nextLink or `last`. */
export function pageBody(cursor: Cursor, nextLink: () => string): Record<string, unknown> {
  const { chain, offset, page } = cursor;
  const end = Math.min(offset + chain.pageSize, chain.items.length);
  const value: unknown[] = [];
  for (let i = offset; i < end; i++) value.push(chain.project(chain.items[i]));
  const body: Record<string, unknown> = { '@odata.context': chain.context };
  if (page === 1 && chain.count !== undefined) body['@odata.count'] = chain.count;
  if (end < chain.items.length) body['@odata.nextLink'] = nextLink();
  else if (chain.last) Object.assign(body, chain.last());
  body.value = value;
  return body;
}

export class Pager {
  private readonly cursors = new Map<string, Cursor>();

  /** `origin`: the server's https://host:port, known once it listens. */
  constructor(private readonly origin: () => string) {}

  /** Page 1 of a new listing. */
  start(url: URL, chain: Omit<Chain, 'nextBase'>, note: PageNote): Reply {
    return this.serve({ chain: { ...chain, nextBase: nextBase(url) }, offset: 0, page: 1 }, note);
  }

  /** The page a `$skiptoken` names; an unknown token has expired. */
  resume(skip: string, eventual: boolean, note: PageNote): Reply {
    const cursor = this.cursors.get(skip);
    if (!cursor) {
      throw graphError(
        400,
        'Directory_ExpiredPageToken',
        'The specified page token value has expired and can no longer be included in your request.',
      );
    }
    if (cursor.chain.advanced && !eventual) throw advancedMissing('ConsistencyLevel');
    return this.serve(cursor, note);
  }

  /** An empty page whose nextLink names the same page again (a fault); undefined off a chain. */
  emptyPage(skip: string | null): Reply | undefined {
    const cursor = skip ? this.cursors.get(skip) : undefined;
    if (!cursor) return undefined;
    const next = this.nextLink(cursor);
    return new Reply(200, { '@odata.context': cursor.chain.context, '@odata.nextLink': next, value: [] });
  }

  private serve(cursor: Cursor, note: PageNote): Reply {
    note.page = cursor.page;
    const end = cursor.offset + cursor.chain.pageSize;
    const next = (): string => this.nextLink({ chain: cursor.chain, offset: end, page: cursor.page + 1 });
    return new Reply(200, pageBody(cursor, next));
  }

  /** A link to `cursor` under a fresh token. */
  private nextLink(cursor: Cursor): string {
    const token = randomBytes(18).toString('base64url');
    this.cursors.set(token, cursor);
    const { nextBase } = cursor.chain;
    return `${this.origin()}${nextBase}${nextBase.includes('?') ? '&' : '?'}$skiptoken=${token}`;
  }
}
