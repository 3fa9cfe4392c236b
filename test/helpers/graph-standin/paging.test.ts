/** Paging as the stand-in does it: nextLinks keep the client's query, @odata.count on page 1 only. */
import { describe, expect, it } from 'vitest';
import { Reply } from './errors.js';
import { type Chain, nextBase, Pager } from './paging.js';

const chain = (over: Partial<Chain> = {}): Omit<Chain, 'nextBase'> => ({
  route: 'users',
  items: [1, 2, 3, 4, 5],
  project: (n) => ({ n }),
  pageSize: 2,
  advanced: false,
  context: 'ctx',
  count: 5,
  last: undefined,
  ...over,
});

describe('paging', () => {
  it('keeps the query as sent, without an earlier $skiptoken', () => {
    expect(nextBase(new URL('https://h/v1.0/users'))).toBe('/v1.0/users');
    expect(nextBase(new URL('https://h/v1.0/users?$top=2&%24skiptoken=a&$filter=x%20eq%20true'))).toBe(
      '/v1.0/users?$top=2&$filter=x%20eq%20true',
    );
  });

  it('serves a chain page by page and notes each page', async () => {
    const pager = new Pager(() => 'https://o');
    const note: { page?: number } = {};
    const pages: Record<string, unknown>[] = [];
    let reply = pager.start(new URL('https://o/v1.0/users?$top=2'), chain(), note);
    for (;;) {
      const body = reply.body as Record<string, unknown>;
      pages.push(body);
      const next = body['@odata.nextLink'] as string | undefined;
      if (!next) break;
      expect(next).toMatch(/^https:\/\/o\/v1\.0\/users\?\$top=2&\$skiptoken=[\w-]+$/);
      reply = pager.resume(new URL(next).searchParams.get('$skiptoken')!, false, note);
    }
    expect(note.page).toBe(3);
    expect(pages.map((p) => p.value)).toEqual([[{ n: 1 }, { n: 2 }], [{ n: 3 }, { n: 4 }], [{ n: 5 }]]);
    expect(pages.map((p) => p['@odata.count'])).toEqual([5, undefined, undefined]);
  });

  it('puts `last` on the final page, refuses unknown tokens and advanced chains without ConsistencyLevel', () => {
    const pager = new Pager(() => 'https://o');
    const first = pager.start(
      new URL('https://o/x'),
      chain({ pageSize: 10, last: () => ({ end: true }) }),
      {},
    );
    expect(first.body).toMatchObject({
      end: true,
      value: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }],
    });
    expect(() => pager.resume('nope', true, {})).toThrow(Reply);
    const adv = pager.start(new URL('https://o/x'), chain({ advanced: true }), {});
    const token = new URL(String((adv.body as Record<string, unknown>)['@odata.nextLink'])).searchParams.get(
      '$skiptoken',
    )!;
    expect(() => pager.resume(token, false, {})).toThrow(Reply);
    expect(pager.resume(token, true, {}).status).toBe(200);
    expect(pager.emptyPage(token)?.body).toMatchObject({ value: [], '@odata.nextLink': expect.any(String) });
    expect(pager.emptyPage(null)).toBeUndefined();
  });
});
