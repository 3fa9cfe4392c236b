/**
 * The MIM client against the emulator over a real socket: every answer class of DESIGN §1, and what
 * each proves about the upload (§5.9): applied, provably not applied, or unknown.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/helpers/emulator.js';
import { scaled } from '../../../test/helpers/timing.js';
import type { MimConfig } from '../../config/schema.js';
import { MimClient, syncUrl } from './client.js';
import { uploadOutcomeOf } from './errors.js';

let emu: TestEmulator;
const body = Buffer.from('Ada,Lovelace,ada@example.com,1001,E1\r\n');

function config(over: Partial<MimConfig> = {}): MimConfig {
  return {
    baseUrl: emu.url,
    project: 'Head Office/West',
    token: 'test-token',
    tokenFile: '',
    contentType: 'text/csv; charset=utf-8',
    connectTimeoutMs: scaled(2000),
    requestTimeoutMs: scaled(1500),
    retries: { max: 3, baseDelayMs: 5, maxDelayMs: 100 },
    successResponse: 'not-html',
    dialect: { header: false, delimiter: ',', encoding: 'utf-8', lineEnding: 'crlf', includeSyncId: true },
    ...over,
  };
}

const push = (c: MimConfig, seen: (number | 'network')[] = [], signal = new AbortController().signal) =>
  new MimClient(c, { tokenPlace: 'jobs[main].mim.token', onAttempt: (o) => seen.push(o) }).push(body, signal);

/** The error a push ended with, with its message, fix and outcome as one string for matching. */
async function failure(p: Promise<unknown>): Promise<Error & Record<string, unknown> & { all: string }> {
  const e = await p.then(
    () => {
      throw new Error('the push resolved, but it must fail');
    },
    (err: unknown) => err as Error & Record<string, unknown>,
  );
  return Object.assign(e, { all: `${e.message} — ${String(e.fix)}` });
}

const users = async () => (await emu.users()).map((u) => u.email);

beforeAll(async () => {
  emu = await startTestEmulator('Head Office/West');
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  await emu.resetAll();
});

describe('MimClient', () => {
  it('percent-encodes the project name into the sync URL', () => {
    expect(syncUrl(config({ baseUrl: 'https://mim.example/' }))).toBe(
      'https://mim.example/api/projects/Head%20Office%2FWest/sync',
    );
  });

  it('uploads the raw bytes with the Bearer token', async () => {
    const r = await push(config());
    expect(r).toMatchObject({ status: 200, attempts: 1 });
    expect((await emu.users()).map((u) => u.email)).toEqual(['ada@example.com']);
  });

  it('retries 429 (honouring Retry-After), 502 with an HTML body and 503', async () => {
    await emu.fault({ type: 'status', status: 429, count: 1, retryAfter: '0.01' });
    await emu.fault({
      type: 'status',
      status: 502,
      count: 1,
      body: '<html><body>Bad Gateway</body></html>',
      contentType: 'text/html',
    });
    await emu.fault({ type: 'status', status: 503, count: 1 });
    const seen: (number | 'network')[] = [];
    const r = await push(config(), seen);
    expect(seen).toEqual([429, 502, 503, 200]);
    expect(r.attempts).toBe(4);
  });

  it('retries a connection reset mid-upload and a hung connection (timeout)', async () => {
    await emu.fault({ type: 'reset', count: 1 });
    await emu.fault({ type: 'hang', count: 1 });
    const seen: (number | 'network')[] = [];
    const r = await push(config({ requestTimeoutMs: scaled(1000) }), seen);
    expect(seen).toEqual(['network', 'network', 200]);
    expect(r.status).toBe(200);
  });

  it('gives up after the retries naming the last answer; a 5xx proves nothing, so the outcome is unknown', async () => {
    await emu.fault({ type: 'status', status: 500, count: 10 });
    const e = await failure(push(config()));
    expect(e).toMatchObject({ code: 'TARGET_UNAVAILABLE', outcome: 'unknown' });
    expect(e.message).toMatch(/after 4 attempts \(last: HTTP 500.*may or may not have applied/);
    expect(uploadOutcomeOf(e)).toBe('unknown');
  });

  it('does not retry a refused token and never echoes it', async () => {
    const seen: (number | 'network')[] = [];
    const err = await push(config({ token: 'wrong-secret-value' }), seen).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TARGET_AUTH', status: 401, outcome: 'not-applied' });
    expect(String((err as Error).message) + String((err as { fix: string }).fix)).not.toContain(
      'wrong-secret-value',
    );
    expect(seen).toEqual([401]);
  });

  it('does not retry a rejected file and keeps MIM’s error list', async () => {
    const bad = new MimClient(config(), { tokenPlace: 'x' }).push(
      Buffer.from('Ada,Lovelace,not-an-email,1001,E1\r\n'),
      new AbortController().signal,
    );
    await expect(bad).rejects.toMatchObject({
      code: 'TARGET_REJECTED',
      status: 422,
      body: expect.stringContaining('line'),
      outcome: 'not-applied',
    });
  });

  it('reports an unknown project as a configuration error', async () => {
    await expect(push(config({ project: 'nope' }))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      outcome: 'not-applied',
    });
  });

  it('fails fast when no token is configured', async () => {
    await expect(push(config({ token: '' }))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      place: 'jobs[main].mim.token',
    });
    expect(await emu.uploads()).toHaveLength(0);
  });
});

/** A server that records every request it gets: where a followed redirect would go. */
async function startTrap(): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    res.end('trap');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, hits, close: () => new Promise((r) => server.close(() => r())) };
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('what an answer proves (issue #10 items 4, 5)', () => {
  it('applied, answer timed out, retry redirected: unknown, and the redirect is not followed', async () => {
    const trap = await startTrap();
    try {
      await emu.fault({ type: 'apply-then-hang' });
      await emu.fault({ type: 'redirect-302', location: `${trap.url}/login?session=expired` });
      const seen: (number | 'network')[] = [];
      const e = await failure(push(config({ requestTimeoutMs: 500 }), seen));
      expect(seen).toEqual(['network', 302]);
      expect(e).toMatchObject({ code: 'TARGET_UNAVAILABLE', outcome: 'unknown', status: 302 });
      expect(e.all).toMatch(
        /MIM may or may not have applied the upload: attempt 1 sent the upload and got no definite answer \(no answer in time/,
      );
      expect(e.all).toContain(
        `attempt 2 ended the push with HTTP 302 redirect to ${trap.url}/login (not followed)`,
      );
      expect(e.all).toMatch(/next run re-sends it/);
      expect(e.all).not.toMatch(/nothing was applied|session=expired/);
      expect(trap.hits).toEqual([]);
      expect(await users()).toEqual(['ada@example.com']);
    } finally {
      await trap.close();
    }
  });

  it('applied, answer timed out, retry rejected (400): unknown, MIM’s answer still reported', async () => {
    await emu.fault({ type: 'apply-then-hang' });
    await emu.fault({
      type: 'status',
      status: 400,
      contentType: 'application/json',
      body: '{"errors":["line 1"]}',
    });
    const e = await failure(push(config({ requestTimeoutMs: 500 })));
    expect(e).toMatchObject({ outcome: 'unknown', status: 400 });
    expect(e.all).toMatch(/HTTP 400: \{"errors":\["line 1"\]\}/);
    expect(e.all).not.toMatch(/nothing was applied/);
  });

  it('applied, connection reset, retry refused the token (401): unknown', async () => {
    await emu.fault({ type: 'apply-then-reset' });
    await emu.fault({ type: 'status', status: 401 });
    const seen: (number | 'network')[] = [];
    const e = await failure(push(config(), seen));
    expect(seen).toEqual(['network', 401]);
    expect(e).toMatchObject({ code: 'TARGET_UNAVAILABLE', outcome: 'unknown' });
    expect(e.all).toMatch(/mim\.token/);
    expect(await users()).toEqual(['ada@example.com']);
  });

  it('applied, a proxy answered 504, retry forbidden (403): unknown', async () => {
    await emu.fault({
      type: 'apply-then-status',
      status: 504,
      contentType: 'text/html',
      body: '<h1>Gateway Time-out</h1>',
    });
    await emu.fault({ type: 'status', status: 403 });
    const e = await failure(push(config()));
    expect(e).toMatchObject({ outcome: 'unknown', status: 403 });
    expect(e.all).toMatch(
      /attempt 1 got HTTP 504 \(Gateway Time-out\), which a proxy may send after MIM applied the upload/,
    );
  });

  it('a 200 HTML login page is not a success, is not retried, and is reported with what came back', async () => {
    await emu.fault({ type: 'html-200', count: 5 });
    const seen: (number | 'network')[] = [];
    const e = await failure(push(config(), seen));
    expect(seen).toEqual([200]);
    expect(e).toMatchObject({ code: 'TARGET_UNAVAILABLE', outcome: 'unknown', status: 200 });
    expect(e.all).toMatch(/attempt 1 got HTTP 200 text\/html: Sign in Your session has expired/);
    expect(e.all).toMatch(/not an answer from MIM's API/);
    expect(e.all).toMatch(/mim\.successResponse/);
    expect(e.all).not.toMatch(/<|nothing was applied/);
    expect(await users()).toEqual([]);
  });

  it('a 200 text/plain captive portal starting <!DOCTYPE is not a success', async () => {
    await emu.fault({
      type: 'status',
      status: 200,
      contentType: 'text/plain',
      body: '<!DOCTYPE html><html><title>Guest Wi-Fi</title><body>Accept the terms</body></html>',
    });
    const e = await failure(push(config()));
    expect(e).toMatchObject({ outcome: 'unknown' });
    expect(e.all).toMatch(/HTTP 200 text\/plain: Guest Wi-Fi Accept the terms/);
  });

  it('mim.successResponse: json requires a JSON answer; any-2xx takes a login page as applied (unsafe)', async () => {
    await expect(push(config({ successResponse: 'json' }))).resolves.toMatchObject({
      outcome: 'applied',
      status: 200,
    });
    await emu.fault({ type: 'status', status: 200, contentType: 'text/plain', body: 'OK' });
    await expect(push(config({ successResponse: 'json' }))).rejects.toMatchObject({ outcome: 'unknown' });
    await expect(push(config({ successResponse: 'not-html' }))).resolves.toMatchObject({
      outcome: 'applied',
    });
    await emu.fault({ type: 'html-200' });
    await expect(push(config({ successResponse: 'any-2xx' }))).resolves.toMatchObject({ status: 200 });
  });

  it('a redirect on the first attempt is not followed and proves nothing', async () => {
    const trap = await startTrap();
    try {
      await emu.fault({ type: 'redirect-302', location: `${trap.url}/sync` });
      const e = await failure(push(config()));
      expect(e).toMatchObject({ outcome: 'unknown', status: 302 });
      expect(e.all).toMatch(/never followed/);
      expect(trap.hits).toEqual([]);
    } finally {
      await trap.close();
    }
  });

  it('never repeats the token an error body echoes', async () => {
    await emu.fault({ type: 'echo-auth', count: 4 });
    const e = await failure(push(config({ token: 'echo-me-7c1d' })));
    expect(e.all).toMatch(/Authorization: Bearer \*\*\*/);
    expect(JSON.stringify({ ...e, message: e.message })).not.toContain('echo-me-7c1d');
  });

  it('connection refused on every attempt proves nothing was applied', async () => {
    const e = await failure(push(config({ baseUrl: `http://127.0.0.1:${await closedPort()}` })));
    expect(e).toMatchObject({ code: 'TARGET_UNAVAILABLE', outcome: 'not-applied' });
    expect(e.message).toMatch(
      /after 4 attempts \(last: ECONNREFUSED\); MIM processed none of them, so nothing was applied/,
    );
  });

  it('cancelled while waiting for an answer: unknown', async () => {
    await emu.fault({ type: 'apply-then-hang' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const e = await failure(push(config({ requestTimeoutMs: 5000 }), [], ac.signal));
    expect(e).toMatchObject({ code: 'ABORTED', outcome: 'unknown' });
  });

  it('cancelled during the backoff after a 429: nothing was applied', async () => {
    await emu.fault({ type: 'status', status: 429, retryAfter: '5' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const e = await failure(
      push(config({ retries: { max: 3, baseDelayMs: 5, maxDelayMs: 10_000 } }), [], ac.signal),
    );
    expect(e).toMatchObject({ code: 'ABORTED', outcome: 'not-applied' });
  });

  it('reads any other thrown value as unknown', () => {
    expect(uploadOutcomeOf(new Error('boom'))).toBe('unknown');
  });
});
