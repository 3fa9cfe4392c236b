import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pause, scaled } from '../../test/helpers/timing.js';
import type { User } from './model.js';
import type { OutboxMessage } from './outbox.js';
import { type RunningEmulator, startEmulator } from './server.js';
import type { UploadRecord } from './store.js';

const TOKEN = 'tok/secret-123';
const PROJECT = 'Site A/Main';
const CSV = 'Ada,Lovelace,ada@example.com,1001,s-ada\r\nBob,Builder,bob@example.com,1002,s-bob\r\n';

const logLines: string[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
);
// A private pool, so closing it at the end does not disturb other suites.
const dispatcher = new Agent({ keepAliveTimeout: 1000 });
let emu: RunningEmulator;

const syncUrl = (project = PROJECT): string => `${emu.url}/api/projects/${encodeURIComponent(project)}/sync`;
const adminUrl = (path: string): string =>
  `${emu.url}/_admin/projects/${encodeURIComponent(PROJECT)}/${path}`;

async function sync(body: string, options: { token?: string; project?: string; timeout?: number } = {}) {
  const res = await request(syncUrl(options.project), {
    dispatcher,
    method: 'POST',
    headers: { authorization: `Bearer ${options.token ?? TOKEN}`, 'content-type': 'text/csv' },
    body,
    // undici's own timeouts tick coarsely; an AbortSignal gives the client a precise deadline.
    signal: AbortSignal.timeout(options.timeout ?? scaled(5000)),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await request(url, { dispatcher });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as T;
}

async function post(url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await request(url, {
    dispatcher,
    method: 'POST',
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.statusCode, json: await res.body.json() };
}

const users = async (): Promise<User[]> => (await getJson<{ users: User[] }>(adminUrl('users'))).users;
const outbox = async (): Promise<OutboxMessage[]> =>
  (await getJson<{ messages: OutboxMessage[] }>(adminUrl('outbox'))).messages;
const uploads = async (): Promise<UploadRecord[]> =>
  (await getJson<{ uploads: UploadRecord[] }>(adminUrl('uploads'))).uploads;
const addFault = async (fault: unknown): Promise<void> => {
  expect((await post(`${emu.url}/_admin/faults`, fault)).status).toBe(200);
};

beforeAll(async () => {
  emu = await startEmulator({
    projects: [
      { name: PROJECT, token: TOKEN, contact: 'it@example.com' },
      { name: 'other', token: 'other-token' },
    ],
    logger,
  });
});

afterEach(async () => {
  await post(`${emu.url}/_admin/reset`);
});

afterAll(async () => {
  await emu.close();
  await dispatcher.close();
});

describe('emulator basics', () => {
  it('serves /healthz and a loopback URL', async () => {
    expect(emu.url).toBe(`http://127.0.0.1:${emu.port}`);
    const res = await request(`${emu.url}/healthz`, { dispatcher });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
  });

  it('answers 404 for an unknown project and 401 for a missing or wrong token', async () => {
    expect(await sync(CSV, { project: 'nope' })).toMatchObject({
      status: 404,
      text: '{"error":"project not found"}\n',
    });
    expect(await sync(CSV, { token: 'wrong' })).toMatchObject({
      status: 401,
      text: '{"error":"invalid token"}\n',
    });
    expect(await sync(CSV, { token: 'other-token' })).toMatchObject({ status: 401 });
    const res = await request(syncUrl(), { dispatcher, method: 'POST', body: CSV });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
    expect((await uploads()).map((u) => u.status)).toEqual([401, 401, 401]);
    expect(await users()).toEqual([]);
  });

  it('rejects other methods on the sync endpoint and unknown paths', async () => {
    const get = await request(syncUrl(), { dispatcher });
    expect(get.statusCode).toBe(405);
    await get.body.dump();
    const missing = await request(`${emu.url}/nothing`, { dispatcher });
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
  });

  it('logs one line per request and never the token', async () => {
    await sync(CSV);
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        method: 'POST',
        path: `/api/projects/${encodeURIComponent(PROJECT)}/sync`,
        status: 200,
      }),
    );
    expect(logLines.join('')).not.toContain(TOKEN);
    expect(logLines.join('')).not.toContain('secret-123');
  });
});

describe('replacing sync over HTTP', () => {
  it('applies a full sync, then updates, deletes and keeps Reset users', async () => {
    const first = await sync(CSV);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toEqual({
      result: 'applied',
      added: 2,
      updated: 0,
      deleted: 0,
      unchanged: 0,
      keptReset: 0,
    });
    expect((await users()).map((u) => [u.email, u.status])).toEqual([
      ['ada@example.com', 'invitation-sent'],
      ['bob@example.com', 'invitation-sent'],
    ]);
    expect((await outbox()).map((m) => [m.seq, m.kind, m.to, m.project])).toEqual([
      [1, 'invitation', 'ada@example.com', PROJECT],
      [2, 'invitation', 'bob@example.com', PROJECT],
    ]);

    const activated = await post(adminUrl('users/s-ada/activate'));
    expect(activated).toMatchObject({
      status: 200,
      json: { user: { email: 'ada@example.com', status: 'active' } },
    });
    expect((await post(adminUrl(`users/${encodeURIComponent('BOB@example.com')}/reset`))).status).toBe(200);
    expect((await post(adminUrl('users/nobody/activate'))).status).toBe(404);

    // Ada's ID changes, Bob (Reset) would be deleted, Cy is new.
    const second = await sync('Ada,Lovelace,ada@example.com,2001,s-ada\nCy,Young,cy@example.com,1003,s-cy\n');
    expect(JSON.parse(second.text)).toEqual({
      result: 'applied',
      added: 1,
      updated: 1,
      deleted: 0,
      unchanged: 0,
      keptReset: 1,
    });
    expect((await users()).map((u) => [u.email, u.status, u.id])).toEqual([
      ['ada@example.com', 'active', '2001'],
      ['bob@example.com', 'reset', '1002'],
      ['cy@example.com', 'invitation-sent', '1003'],
    ]);

    // Ada's phone is offline when she is removed: Deletion pending until it comes online.
    await post(adminUrl('users/s-ada/offline'));
    const third = await sync('Cy,Young,cy@example.com,1003,s-cy\n');
    expect(JSON.parse(third.text)).toMatchObject({ deleted: 1, unchanged: 1, keptReset: 1 });
    expect((await users()).find((u) => u.syncId === 's-ada')?.status).toBe('deletion-pending');
    const online = await post(adminUrl('users/s-ada/online'));
    expect(online).toMatchObject({ status: 200, json: { removed: true } });
    expect((await users()).map((u) => u.syncId)).toEqual(['s-bob', 's-cy']);

    expect((await outbox()).slice(2).map((m) => [m.kind, m.to])).toEqual([
      ['invitation', 'cy@example.com'],
      ['deletion-notice', 'ada@example.com'],
    ]);
    const log = await uploads();
    expect(log.map((u) => [u.seq, u.status])).toEqual([
      [1, 200],
      [2, 200],
      [3, 200],
    ]);
    expect(log[0]).toMatchObject({ bytes: Buffer.byteLength(CSV), result: { added: 2 } });
    expect(log[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects a bad file as a whole, lists the errors and notifies the contact', async () => {
    await sync(CSV);
    const before = await users();
    const res = await sync(
      'Ada,Lovelace,ada@example.com,1001,s-ada\nBob,Builder,not-an-email,1002,s-bob\n,X,x@example.com,3,s-x\n',
    );
    expect(res.status).toBe(422);
    expect(JSON.parse(res.text)).toEqual({
      result: 'rejected',
      errors: [
        { line: 2, message: expect.stringContaining('not a valid address') },
        { line: 3, message: 'First name is empty' },
      ],
    });
    expect(await users()).toEqual(before);
    expect((await outbox()).at(-1)).toMatchObject({ kind: 'failure-notice', to: 'it@example.com' });
    expect((await uploads()).at(-1)).toMatchObject({ status: 422, errors: [{ line: 2 }, { line: 3 }] });
  });

  it('accepts an empty body and deletes everyone', async () => {
    await sync(CSV);
    const res = await sync('');
    expect(JSON.parse(res.text)).toMatchObject({ result: 'applied', deleted: 2 });
    expect(await users()).toEqual([]);
  });

  it('keeps projects apart', async () => {
    await sync(CSV);
    const other = await getJson<{ users: User[] }>(`${emu.url}/_admin/projects/other/users`);
    expect(other.users).toEqual([]);
  });
});

describe('injected faults', () => {
  it('answers with an injected status, Retry-After and body, then recovers', async () => {
    await addFault({ type: 'status', status: 429, retryAfter: '1' });
    await addFault({
      type: 'status',
      status: 502,
      body: '<html>Bad Gateway</html>',
      contentType: 'text/html',
      count: 2,
    });
    const listed = await getJson<{ faults: unknown[] }>(`${emu.url}/_admin/faults`);
    expect(listed.faults).toEqual([
      { type: 'status', status: 429, retryAfter: '1', count: 1 },
      { type: 'status', status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html', count: 2 },
    ]);

    const r1 = await sync(CSV);
    expect(r1).toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
    const r2 = await sync(CSV);
    expect(r2).toMatchObject({ status: 502, text: '<html>Bad Gateway</html>' });
    expect(r2.headers['content-type']).toBe('text/html');
    expect((await sync(CSV)).status).toBe(502);
    expect((await sync(CSV)).status).toBe(200);
    expect((await uploads()).map((u) => [u.status, u.fault])).toEqual([
      [429, 'status'],
      [502, 'status'],
      [502, 'status'],
      [200, undefined],
    ]);
  });

  it('validates faults and clears them', async () => {
    expect((await post(`${emu.url}/_admin/faults`, { type: 'explode' })).status).toBe(400);
    expect((await post(`${emu.url}/_admin/faults`, { type: 'delay', ms: 5, colour: 'red' })).status).toBe(
      400,
    );
    await addFault([{ type: 'hang' }, { type: 'reset', count: 3 }]);
    const del = await request(`${emu.url}/_admin/faults`, { dispatcher, method: 'DELETE' });
    expect(del.statusCode).toBe(200);
    await del.body.dump();
    expect((await getJson<{ faults: unknown[] }>(`${emu.url}/_admin/faults`)).faults).toEqual([]);
  });

  it('delays an answer, applying the upload normally', async () => {
    await addFault({ type: 'delay', ms: 150 });
    const started = Date.now();
    const res = await sync(CSV);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
    expect((await uploads())[0]).toMatchObject({ status: 200, fault: 'delay' });
  });

  it('does not apply a delayed upload whose client gave up', async () => {
    await addFault({ type: 'delay', ms: 300 });
    await expect(sync(CSV, { timeout: 100 })).rejects.toMatchObject({ name: 'TimeoutError' });
    await pause(400);
    expect(await users()).toEqual([]);
    expect((await uploads())[0]).toMatchObject({ status: null, fault: 'delay' });
  });

  it('holds an upload until it is released, then applies it normally', async () => {
    await addFault({ type: 'hold' });
    let answered = false;
    const answer = sync(CSV).then((r) => {
      answered = true;
      return r;
    });
    await pause(200);
    expect(answered).toBe(false);
    expect(await users()).toEqual([]);
    expect(await post(`${emu.url}/_admin/release`, {})).toMatchObject({ status: 200 });
    expect((await answer).status).toBe(200);
    expect(await users()).toHaveLength(2);
    expect((await uploads())[0]).toMatchObject({ status: 200, fault: 'hold' });
  });

  it('hangs without answering until the client gives up', async () => {
    await addFault({ type: 'hang' });
    await expect(sync(CSV, { timeout: 150 })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await users()).toEqual([]);
    expect((await uploads())[0]).toMatchObject({
      status: null,
      fault: 'hang',
      bytes: Buffer.byteLength(CSV),
    });
  });

  it('drops the connection without answering', async () => {
    await addFault({ type: 'reset' });
    await expect(sync(CSV)).rejects.toThrow();
    expect(await users()).toEqual([]);
    expect((await uploads())[0]).toMatchObject({ status: null, fault: 'reset' });
    expect((await sync(CSV)).status).toBe(200);
  });

  it('applies the upload, then never answers', async () => {
    await addFault({ type: 'apply-then-hang' });
    await expect(sync(CSV, { timeout: 150 })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await users()).length).toBe(2);
    expect((await uploads())[0]).toMatchObject({
      status: null,
      fault: 'apply-then-hang',
      result: { added: 2 },
    });
    // The retry of the same file finds nothing to do.
    expect(JSON.parse((await sync(CSV)).text)).toMatchObject({ added: 0, unchanged: 2 });
  });

  it('applies the upload, then drops the connection', async () => {
    await addFault({ type: 'apply-then-reset' });
    await expect(sync(CSV)).rejects.toThrow();
    expect((await users()).length).toBe(2);
    expect((await uploads())[0]).toMatchObject({
      status: null,
      fault: 'apply-then-reset',
      result: { added: 2 },
    });
  });

  it('applies the upload, then answers like a proxy that lost MIM’s answer', async () => {
    await addFault({
      type: 'apply-then-status',
      status: 502,
      body: '<h1>Bad Gateway</h1>',
      contentType: 'text/html',
    });
    expect(await sync(CSV)).toMatchObject({ status: 502, text: '<h1>Bad Gateway</h1>' });
    expect((await users()).length).toBe(2);
    expect((await uploads())[0]).toMatchObject({
      status: 502,
      fault: 'apply-then-status',
      result: { added: 2 },
    });
  });

  it('answers 200 with an HTML login page without applying', async () => {
    await addFault({ type: 'html-200' });
    const res = await sync(CSV);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/^<!DOCTYPE html>[\s\S]*session has expired/);
    expect(await users()).toEqual([]);
    expect((await uploads())[0]).toMatchObject({ status: 200, fault: 'html-200' });
    expect((await uploads())[0]?.result).toBeUndefined();
  });

  it('redirects to a login URL without applying', async () => {
    await addFault({ type: 'redirect-302', location: 'https://sso.example/login' });
    const res = await sync(CSV);
    expect(res).toMatchObject({ status: 302, headers: { location: 'https://sso.example/login' } });
    expect(await users()).toEqual([]);
    await addFault({ type: 'redirect-302' });
    expect((await sync(CSV)).headers.location).toBe('/login?next=%2Fapi');
  });

  it('echoes the Authorization header in an error body without applying', async () => {
    await addFault({ type: 'echo-auth' });
    await addFault({ type: 'echo-auth', status: 401 });
    expect(await sync(CSV)).toMatchObject({ status: 500, text: expect.stringContaining(`Bearer ${TOKEN}`) });
    expect((await sync(CSV)).status).toBe(401);
    expect(await users()).toEqual([]);
    expect((await post(`${emu.url}/_admin/faults`, { type: 'echo-auth', status: 200 })).status).toBe(400);
    expect((await post(`${emu.url}/_admin/faults`, { type: 'html-200', body: 5 })).status).toBe(400);
    expect((await post(`${emu.url}/_admin/faults`, { type: 'apply-then-status' })).status).toBe(400);
  });
});

describe('lifecycle', () => {
  it('close() ends hung connections promptly', async () => {
    const local = await startEmulator({ projects: [{ name: 'p', token: 't' }] });
    await post(`${local.url}/_admin/faults`, { type: 'hang' });
    const pending = request(`${local.url}/api/projects/p/sync`, {
      dispatcher,
      method: 'POST',
      headers: { authorization: 'Bearer t' },
      body: CSV,
    }).catch((e: unknown) => e);
    await pause(50);
    const started = Date.now();
    await local.close();
    expect(Date.now() - started).toBeLessThan(scaled(1000));
    expect(await pending).toBeInstanceOf(Error);
  });

  it('persists to the data file and loads it again; autoActivate makes new users active', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mim-emu-'));
    try {
      const dataFile = join(dir, 'state.json');
      const options = { projects: [{ name: 'p', token: 't' }], dataFile, autoActivate: true };
      const a = await startEmulator(options);
      const res = await request(`${a.url}/api/projects/p/sync`, {
        dispatcher,
        method: 'POST',
        headers: { authorization: 'Bearer t' },
        body: CSV,
      });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      await a.close();
      expect(JSON.parse(await readFile(dataFile, 'utf8'))).toMatchObject({ version: 1 });

      const b = await startEmulator(options);
      try {
        const listed = await getJson<{ users: User[] }>(`${b.url}/_admin/projects/p/users`);
        expect(listed.users.map((u) => [u.email, u.status])).toEqual([
          ['ada@example.com', 'active'],
          ['bob@example.com', 'active'],
        ]);
      } finally {
        await b.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 413 for an upload over maxBodyBytes and logs it', async () => {
    const local = await startEmulator({ projects: [{ name: 'p', token: 't' }], maxBodyBytes: 64 });
    try {
      const res = await request(`${local.url}/api/projects/p/sync`, {
        dispatcher,
        method: 'POST',
        headers: { authorization: 'Bearer t' },
        body: CSV.repeat(4),
      });
      expect(res.statusCode).toBe(413);
      await res.body.dump();
      const log = await getJson<{ uploads: UploadRecord[] }>(`${local.url}/_admin/projects/p/uploads`);
      expect(log.uploads).toMatchObject([{ status: 413 }]);
      const unknown = await request(`${local.url}/_admin/projects/nope/users`, { dispatcher });
      expect(unknown.statusCode).toBe(404);
      await unknown.body.dump();
    } finally {
      await local.close();
    }
  });

  it('refuses bad options', async () => {
    await expect(startEmulator({ projects: [] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(
      startEmulator({
        projects: [
          { name: 'p', token: 'a' },
          { name: 'p', token: 'b' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
