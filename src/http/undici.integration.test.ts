/**
 * undici's parts loaded from their own files (undici.ts) are undici's own, and `request` sends what
 * the index's `request` sends: checked here against undici's index and a real local server, so an
 * undici upgrade that moves or changes those files fails here rather than in a push.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undiciIndex from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, errors, request } from './undici.js';

describe('undici parts loaded without its index', () => {
  it('are the very classes undici exports', () => {
    expect(Agent).toBe(undiciIndex.Agent);
    expect(errors).toBe(undiciIndex.errors);
    for (const name of ['ConnectTimeoutError', 'HeadersTimeoutError', 'BodyTimeoutError'] as const)
      expect(errors[name]).toBe(undiciIndex.errors[name]);
  });

  describe('request', () => {
    let server: http.Server;
    let base: string;
    const seen: { method?: string; url?: string; body: string; headers: http.IncomingHttpHeaders }[] = [];

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => {
          body += c.toString();
        });
        req.on('end', () => {
          seen.push({ method: req.method, url: req.url, body, headers: req.headers });
          if (req.url === '/moved') {
            res.writeHead(302, { location: '/elsewhere' }).end();
            return;
          }
          res.writeHead(201, { 'content-type': 'text/plain' }).end(`got ${req.url}`);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('sends the method, path with query, headers and body through the given dispatcher', async () => {
      const agent = new Agent();
      try {
        const res = await request(`${base}/api/projects/a%20b/sync?x=1`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'text/csv', 'x-test': 'yes' },
          body: 'Ada,Lovelace\r\n',
        });
        expect(res.statusCode).toBe(201);
        expect(await res.body.text()).toBe('got /api/projects/a%20b/sync?x=1');
        expect(seen.at(-1)).toMatchObject({
          method: 'POST',
          url: '/api/projects/a%20b/sync?x=1',
          body: 'Ada,Lovelace\r\n',
          headers: { 'content-type': 'text/csv', 'x-test': 'yes' },
        });
      } finally {
        await agent.close();
      }
    });

    it('takes a URL object and does not follow a redirect', async () => {
      const agent = new Agent();
      try {
        const res = await request(new URL('/moved', base), { method: 'GET', dispatcher: agent });
        expect(res.statusCode).toBe(302);
        expect(res.headers.location).toBe('/elsewhere');
        await res.body.dump();
        expect(seen.at(-1)?.url).toBe('/moved');
      } finally {
        await agent.close();
      }
    });

    it('fails as the index does when nothing listens (ECONNREFUSED)', async () => {
      // Port 9 on loopback: nothing listens, so the connection is refused at once.
      const agent = new Agent({ connect: { timeout: 5000 } });
      try {
        const failed = await request('http://127.0.0.1:9/', { method: 'GET', dispatcher: agent }).catch(
          (e: unknown) => e,
        );
        expect(failed).toMatchObject({ code: 'ECONNREFUSED' });
      } finally {
        await agent.close();
      }
    });
  });
});
