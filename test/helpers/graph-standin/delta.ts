/**
 * `/v1.0/users/delta`: an initial round over every user, then rounds over the change log after a
 * delta token; `$deltatoken=latest` skips to now. Tokens can be expired as a 410 resync or a 400
 * syncStateNotFound.
 */
import { randomBytes } from 'node:crypto';
import type { ChangeEntry, Directory } from './directory.js';
import { graphError, Reply } from './errors.js';
import type { StandInUser } from './fixtures.js';
import type { PageNote, Pager } from './paging.js';
import { DEFAULT_SELECT, parseSelect, validUserProperty } from './query.js';

interface DeltaToken {
  readonly seq: number;
  readonly select: readonly string[];
  expired?: 'resync' | 'syncStateNotFound';
}

/** Delta refuses `$top`, `$orderby`, `$expand`, `$count`, `$search` and any `$filter` but one on ids. */
export function checkDeltaQuery(url: URL): void {
  for (const k of ['$top', '$orderby', '$expand', '$count', '$search']) {
    if (url.searchParams.has(k))
      throw graphError(
        400,
        'Request_UnsupportedQuery',
        `The query parameter '${k}' is not supported with delta.`,
      );
  }
  const filter = url.searchParams.get('$filter');
  if (filter !== null && !/^id eq '[^']+'( or id eq '[^']+')*$/.test(filter)) {
    throw graphError(400, 'Request_UnsupportedQuery', 'Delta only supports $filter on id.');
  }
}

export class DeltaFeed {
  private readonly tokens = new Map<string, DeltaToken>();

  constructor(
    private readonly directory: Directory,
    private readonly pager: Pager,
    private readonly origin: () => string,
    /** Objects per page (Graph chooses). */
    private readonly pageSize: number,
  ) {}

  /** Every delta token issued so far is rejected, as a 410 resync or a 400 syncStateNotFound. */
  expire(mode: 'resync' | 'syncStateNotFound'): void {
    for (const t of this.tokens.values()) t.expired = mode;
  }

  handle(url: URL, note: PageNote): Reply {
    checkDeltaQuery(url);
    const context = `${this.origin()}/v1.0/$metadata#users(${url.searchParams.get('$select') ?? ''})`;
    const seq = this.directory.seq;
    const dt = url.searchParams.get('$deltatoken');
    if (dt === 'latest') {
      const select = parseSelect(url, validUserProperty, 'microsoft.graph.user') ?? DEFAULT_SELECT;
      return new Reply(200, { '@odata.context': context, ...this.deltaLink(seq, select)(), value: [] });
    }
    if (dt !== null) {
      const token = this.tokens.get(dt);
      if (token?.expired === 'resync' || dt === '') {
        return graphError(
          410,
          'resyncRequired',
          'Resync required. Replace any local cached copies of the directory objects with the results of a full sync.',
          {
            location: `${this.origin()}/v1.0/users/delta?$deltatoken=`,
          },
        );
      }
      if (!token || token.expired === 'syncStateNotFound') {
        return graphError(
          400,
          'syncStateNotFound',
          'The sync state generation is not found. Please restart the sync.',
        );
      }
      const project = (c: unknown): Record<string, unknown> => {
        const change = c as ChangeEntry;
        if (change.removed) return { id: change.id, '@removed': { reason: change.removed } };
        return this.directory.projectDelta(change.user!, token.select);
      };
      return this.round(
        url,
        context,
        this.directory.changesSince(token.seq),
        project,
        this.deltaLink(seq, token.select),
        note,
      );
    }
    const select = parseSelect(url, validUserProperty, 'microsoft.graph.user') ?? DEFAULT_SELECT;
    const project = (u: unknown) => this.directory.projectDelta(u as StandInUser, select);
    return this.round(url, context, this.directory.allUsers(), project, this.deltaLink(seq, select), note);
  }

  private round(
    url: URL,
    context: string,
    items: readonly unknown[],
    project: (item: unknown) => unknown,
    last: () => Record<string, unknown>,
    note: PageNote,
  ): Reply {
    const chain = { route: 'delta' as const, items, project, pageSize: this.pageSize, advanced: false };
    return this.pager.start(url, { ...chain, context, count: undefined, last }, note);
  }

  /** The last page's deltaLink: a new token for the changes after `seq`. */
  private deltaLink(seq: number, select: readonly string[]) {
    return (): Record<string, unknown> => {
      const token = randomBytes(24).toString('base64url');
      this.tokens.set(token, { seq, select });
      return { '@odata.deltaLink': `${this.origin()}/v1.0/users/delta?$deltatoken=${token}` };
    };
  }
}
