/** MIM as a Sink: the contract's outcome reading agrees with MIM's, and `check` prints what it did. */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MimConfig } from '../../config/schema.js';
import { failedPushOutcome } from '../../core/sink.js';
import {
  MimAbortedError,
  MimAuthError,
  MimConfigError,
  MimOutcomeUnknownError,
  MimRejectedError,
  MimUnavailableError,
  uploadOutcomeOf,
} from './errors.js';
import { createMimSink } from './sink.js';

let server: http.Server;
let url: string;
const received: Buffer[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST') received.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

function config(over: Partial<MimConfig> = {}): MimConfig {
  return {
    baseUrl: url,
    project: 'Office',
    token: 'test-token',
    tokenFile: '',
    contentType: 'text/csv; charset=utf-8',
    connectTimeoutMs: 5000,
    requestTimeoutMs: 5000,
    retries: { max: 0, baseDelayMs: 5, maxDelayMs: 100 },
    successResponse: 'not-html',
    dialect: { header: false, delimiter: ',', encoding: 'utf-8', lineEnding: 'crlf', includeSyncId: true },
    ...over,
  };
}

const ada = { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', id: '1001', syncId: 'E1' };
const signal = new AbortController().signal;

describe('the MIM sink', () => {
  it('reads every MIM error the way uploadOutcomeOf does', () => {
    const attempts = { attempts: [], fix: 'f' };
    const errors: unknown[] = [
      new MimAuthError('m', { ...attempts, status: 401 }),
      new MimRejectedError('m', { ...attempts, status: 422, body: '' }),
      new MimConfigError('m', attempts),
      new MimUnavailableError('m', attempts),
      new MimOutcomeUnknownError('m', {
        ...attempts,
        lastAnswer: { kind: 'network', phase: 'after-send', reason: 'reset' },
        why: 'w',
      }),
      new MimAbortedError('unknown', []),
      new MimAbortedError('not-applied', []),
      new Error('a bug'),
      undefined,
    ];
    for (const e of errors) expect(failedPushOutcome(e)).toBe(uploadOutcomeOf(e));
  });

  it("encodes with the job's dialect and pushes through the client", async () => {
    const sink = createMimSink(config(), { tokenPlace: 'jobs[main].mim.token' });
    try {
      expect(sink.description).toBe('MIM project Office');
      const payload = sink.encode([ada]);
      expect(payload.toString('utf8')).toBe('Ada,Lovelace,ada@example.com,1001,E1\r\n');
      await expect(sink.push(payload, signal)).resolves.toMatchObject({
        outcome: 'applied',
        status: 200,
        attempts: 1,
      });
      expect(received.at(-1)).toEqual(payload);
    } finally {
      await sink.close();
    }
  });

  it('checks the token and that the base URL answers, sending nothing', async () => {
    const before = received.length;
    const sink = createMimSink(config(), { tokenPlace: 'jobs[main].mim.token' });
    expect(await sink.check(signal)).toEqual({
      ok: true,
      lines: [
        'token configured (MIM offers no read-only call to verify it; the first sync does)',
        `${url} reachable (HTTP 200); uploads go to ${url}/api/projects/Office/sync`,
      ],
    });
    const none = createMimSink(config({ token: '' }), { tokenPlace: 'jobs[main].mim.token' });
    const r = await none.check(signal);
    expect(r.ok).toBe(false);
    expect(r.lines[0]).toBe('no token configured (mim.token / mim.tokenFile) — uploads would fail');
    expect(received.length).toBe(before);
    await Promise.all([sink.close(), none.close()]);
  });

  it('says which address is not reachable and what to check', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const sink = createMimSink(config({ baseUrl: `http://127.0.0.1:${port}` }), { tokenPlace: 't' });
    const r = await sink.check(signal);
    expect(r.ok).toBe(false);
    expect(r.lines[1]).toMatch(
      new RegExp(
        `^http://127\\.0\\.0\\.1:${port} NOT reachable: .* — check mim.baseUrl, DNS, proxy and firewall$`,
      ),
    );
  });

  it('gives up on an address that accepts the connection and never answers (a black-holing proxy)', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const sink = createMimSink(config({ baseUrl: `http://127.0.0.1:${port}`, connectTimeoutMs: 300 }), {
        tokenPlace: 't',
      });
      // Not after undici's 300 s default: the test's own timeout would end it first.
      const r = await sink.check(signal);
      expect(r.ok).toBe(false);
      expect(r.lines[1]).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port} NOT reachable: .*300 ms`));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
