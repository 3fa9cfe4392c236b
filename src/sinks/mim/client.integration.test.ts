/** The MIM client against the emulator over a real socket: every answer class of DESIGN §1. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/helpers/emulator.js';
import { scaled } from '../../../test/helpers/timing.js';
import type { MimConfig } from '../../config/schema.js';
import { MimClient, syncUrl } from './client.js';

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
    dialect: { header: false, delimiter: ',', encoding: 'utf-8', lineEnding: 'crlf', includeSyncId: true },
    ...over,
  };
}

const push = (c: MimConfig, seen: (number | 'network')[] = []) =>
  new MimClient(c, { tokenPlace: 'jobs[main].mim.token', onAttempt: (o) => seen.push(o) }).push(
    body,
    new AbortController().signal,
  );

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

  it('gives up after the retries with a TargetUnavailableError naming the last answer', async () => {
    await emu.fault({ type: 'status', status: 500, count: 10 });
    await expect(push(config())).rejects.toMatchObject({
      code: 'TARGET_UNAVAILABLE',
      message: expect.stringContaining('HTTP 500'),
    });
  });

  it('does not retry a refused token and never echoes it', async () => {
    const seen: (number | 'network')[] = [];
    const err = await push(config({ token: 'wrong-secret-value' }), seen).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TARGET_AUTH', status: 401 });
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
    });
  });

  it('reports an unknown project as a configuration error', async () => {
    await expect(push(config({ project: 'nope' }))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('fails fast when no token is configured', async () => {
    await expect(push(config({ token: '' }))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      place: 'jobs[main].mim.token',
    });
    expect(await emu.uploads()).toHaveLength(0);
  });
});
