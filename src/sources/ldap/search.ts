/**
 * Paged search (RFC 2696), page by page, all or nothing.
 *
 * ldapts's own `searchPaginated` stops at the first page that holds no entries even when the
 * server sent a cookie for more (AD may send such pages), which would end the list early without
 * an error. So the paged-results control is driven here, on ldapts's public message classes and
 * its internal `_send` (checked at run time; ldapts is pinned to 8.x). Any non-success result, a
 * timeout or a dropped connection rejects: there is never a partial result. Search references
 * (continuation references, e.g. AD's DomainDnsZones from the domain root) are counted and
 * skipped, never chased.
 */
import {
  type Client,
  type Filter,
  MessageResponseStatus,
  PagedResultsControl,
  type SearchEntry,
  SearchRequest,
  type SearchResponse,
  StatusCodeParser,
} from 'ldapts';
import { AbortedError, SourceUnavailableError } from '../../core/errors.js';
import type { LdapConnection } from './connection.js';
import { type Stage, unavailable } from './errors.js';

interface ClientInternals {
  _send(message: SearchRequest): Promise<SearchResponse | undefined>;
  _nextMessageId(): number;
}

function internals(client: Client): ClientInternals {
  const c = client as unknown as Partial<ClientInternals>;
  if (typeof c._send !== 'function' || typeof c._nextMessageId !== 'function') {
    throw new Error('This ldapts version lacks Client._send/_nextMessageId; mobileid-sync needs ldapts 8.x');
  }
  return c as ClientInternals;
}

export interface SearchSpec {
  /** For error messages: who is reading. */
  readonly bindDn?: string | undefined;
  readonly base: string;
  readonly scope: 'base' | 'one' | 'sub';
  readonly filter: Filter;
  /** ['1.1'] asks for no attributes (DNs only). */
  readonly attributes: readonly string[];
  /** Entries per page; 0 = one unpaged request. */
  readonly pageSize: number;
  /** Absolute time (ms since epoch) by which the whole read must be done; 0 = none. */
  readonly deadline: number;
  /** For error messages: what this search was for. */
  readonly stage?: Stage;
  /** The config key `base` came from: a base that does not exist is then a ConfigError there. */
  readonly key?: string | undefined;
}

export interface SearchStats {
  readonly entries: number;
  readonly references: number;
  readonly pages: number;
}

export type PageHandler = (entries: readonly SearchEntry[], page: number) => void;

function timeLimitSeconds(deadline: number): number {
  if (!deadline) return 0;
  return Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
}

/**
 * Runs one search and hands each page's entries to `onPage` as it arrives; only one page is
 * held in memory. Resolves when the server said "no more"; rejects with SourceUnavailableError
 * (or AbortedError; ConfigError when `spec.key` names a base that does not exist) otherwise.
 */
export async function searchPages(
  conn: LdapConnection,
  spec: SearchSpec,
  signal: AbortSignal,
  onPage: PageHandler,
): Promise<SearchStats> {
  const client = internals(conn.client);
  const stage = spec.stage ?? 'search';
  const paged = spec.pageSize > 0;
  let entries = 0;
  let references = 0;
  let pages = 0;
  const fail = (e: unknown): Error =>
    signal.aborted
      ? new AbortedError()
      : unavailable(e, {
          url: conn.url,
          stage,
          dn: spec.base,
          entriesSoFar: entries,
          bindDn: spec.bindDn,
          key: spec.key,
        });
  const sendPage = async (cookie: Buffer | undefined): Promise<SearchResponse | undefined> => {
    if (signal.aborted) throw new AbortedError();
    if (spec.deadline && Date.now() > spec.deadline) {
      throw new SourceUnavailableError(
        `Reading ${spec.base} from ${conn.url} took longer than searchTimeoutMs (after ${entries} entries); a partial list is never used`,
        { place: `${conn.url} ${spec.base}`, fix: 'Raise searchTimeoutMs, or narrow baseDns / filter.' },
      );
    }
    const controls = paged
      ? [new PagedResultsControl({ value: { size: spec.pageSize, cookie: cookie ?? Buffer.alloc(0) } })]
      : [];
    const request = new SearchRequest({
      messageId: client._nextMessageId(),
      baseDN: spec.base,
      scope: spec.scope,
      filter: spec.filter,
      attributes: [...spec.attributes],
      derefAliases: 'never',
      sizeLimit: 0,
      timeLimit: timeLimitSeconds(spec.deadline),
      returnAttributeValues: true,
      controls,
    });
    try {
      return await client._send(request);
    } catch (e) {
      throw fail(e);
    }
  };

  const onAbort = (): void => void conn.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    let next: Promise<SearchResponse | undefined> | undefined = sendPage(undefined);
    while (next) {
      let response: SearchResponse | undefined = await next;
      if (response?.status !== MessageResponseStatus.Success) throw fail(StatusCodeParser.parse(response));
      pages++;
      entries += response.searchEntries.length;
      references += response.searchReferences.length;
      // No control back: the server ignored paging and answered in full (a limit would have been an error).
      const cookie: Buffer | undefined = paged
        ? response.controls?.find((c): c is PagedResultsControl => c instanceof PagedResultsControl)?.value
            ?.cookie
        : undefined;
      // Ask for the next page before mapping this one, so the server works while we do.
      next = cookie?.length ? sendPage(cookie) : undefined;
      // Handled when awaited above; this only keeps a failure during onPage from being "unhandled".
      next?.catch(() => {});
      onPage(response.searchEntries, pages);
      // Let go of the page's raw messages before waiting for the next one: otherwise they stay
      // reachable through this frame, survive the garbage collections of the next page and cost
      // more than the records themselves.
      response = undefined;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return { entries, references, pages };
}

/** Reads exactly one entry (or none) with a base-scope search. */
export async function readEntry(
  conn: LdapConnection,
  dn: string,
  attributes: readonly string[],
  signal: AbortSignal,
  deadline: number,
  filter: Filter,
): Promise<SearchEntry | undefined> {
  let found: SearchEntry | undefined;
  await searchPages(
    conn,
    { base: dn, scope: 'base', filter, attributes, pageSize: 0, deadline, stage: 'groups' },
    signal,
    (entries) => {
      found = entries[0] ?? found;
    },
  );
  return found;
}

/**
 * Range retrieval (AD returns at most MaxValRange, usually 1500, values of a big attribute per
 * request, named e.g. `member;range=0-1499`). Given the attribute names a response held, returns
 * the next request (`member;range=1500-*`), or undefined when the values are complete.
 * Throws on a range that does not make sense rather than stop early.
 */
export function nextRangeRequest(returnedTypes: readonly string[], attribute: string): string | undefined {
  const want = attribute.toLowerCase();
  for (const t of returnedTypes) {
    const [base, ...options] = t.split(';');
    if (base?.toLowerCase() !== want) continue;
    const range = options.find((o) => o.toLowerCase().startsWith('range='));
    if (!range) continue;
    const m = /^range=(\d+)-(\d+|\*)$/i.exec(range);
    if (!m?.[1] || !m[2]) throw new Error(`Malformed range option in attribute "${t}"`);
    if (m[2] === '*') return undefined;
    const start = Number(m[1]);
    const end = Number(m[2]);
    if (end < start) throw new Error(`Range ends before it starts in attribute "${t}"`);
    return `${attribute};range=${end + 1}-*`;
  }
  return undefined;
}

/** The attribute name without options: `member;range=0-1499` → `member`. */
export function baseType(type: string): string {
  const i = type.indexOf(';');
  return (i < 0 ? type : type.slice(0, i)).toLowerCase();
}

/**
 * A DN in a form that compares equal however the server or an admin wrote it: attribute types
 * and values lower-cased, escapes decoded, spaces around separators dropped.
 */
export function normalizeDn(text: string): string {
  const dn = Array.from(text);
  const rdns: string[] = [];
  let bytes: number[] = [];
  let type = '';
  let inValue = false;
  let parts: string[] = [];
  let pendingSpaces = 0;
  const flushValue = (): string => {
    const v = Buffer.from(bytes).toString('utf8').toLowerCase();
    bytes = [];
    pendingSpaces = 0;
    return v;
  };
  const endAva = (): void => {
    const value = flushValue();
    parts.push(`${type.trim().toLowerCase()}=${value.replace(/[\\,+=]/g, (c) => `\\${c}`)}`);
    type = '';
    inValue = false;
  };
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i] ?? '';
    if (!inValue) {
      if (c === '=') {
        inValue = true;
        // skip spaces after '='
        while (dn[i + 1] === ' ') i++;
      } else type += c;
      continue;
    }
    if (c === '\\') {
      const hex = dn.slice(i + 1, i + 3).join('');
      if (/^[0-9a-f]{2}$/i.test(hex)) {
        for (; pendingSpaces > 0; pendingSpaces--) bytes.push(0x20);
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else if (i + 1 < dn.length) {
        for (; pendingSpaces > 0; pendingSpaces--) bytes.push(0x20);
        bytes.push(...Buffer.from(dn[i + 1] ?? '', 'utf8'));
        i += 1;
      }
      continue;
    }
    if (c === ',' || c === ';' || c === '+') {
      endAva();
      if (c !== '+') {
        rdns.push(parts.sort().join('+'));
        parts = [];
      }
      while (dn[i + 1] === ' ') i++;
      continue;
    }
    if (c === ' ') {
      pendingSpaces++;
      continue;
    }
    for (; pendingSpaces > 0; pendingSpaces--) bytes.push(0x20);
    bytes.push(...Buffer.from(c, 'utf8'));
  }
  if (inValue || type.trim()) {
    endAva();
    rdns.push(parts.sort().join('+'));
  }
  return rdns.join(',');
}
