import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_DEFINITIONS } from '../sources/index.js';
import { baseUrlProblem, isLoopbackHost, tokenProblem } from './checks.js';
import { loadConfig } from './load.js';

describe('tokenProblem', () => {
  it('accepts a clean token and refuses the usual copy-paste slips', () => {
    expect(tokenProblem('eyJhbGciOi.J9-_~+/=', 'T')).toBeUndefined();
    expect(tokenProblem('Bearer abc', 'T')?.message).toMatch(/starts with "Bearer "/);
    expect(tokenProblem('bearer\tabc', 'T')?.message).toMatch(/starts with "Bearer "/);
    expect(tokenProblem('abc\ndef', 'T')?.message).toMatch(/line break/);
    expect(tokenProblem('abc def', 'T')?.message).toMatch(/whitespace/);
    expect(tokenProblem('abc\u00a0def', 'T')?.message).toMatch(/whitespace/);
    expect(tokenProblem('abcdéf', 'T')?.message).toMatch(/not printable ASCII/);
    expect(tokenProblem('abc\u0000def', 'T')?.message).toMatch(/not printable ASCII/);
  });
});

describe('baseUrlProblem', () => {
  it('refuses credentials in the URL and plain http to another host', () => {
    expect(baseUrlProblem('https://mobile-id.baltech.de', false)).toBeUndefined();
    expect(baseUrlProblem('http://127.0.0.1:8080', false)).toBeUndefined();
    expect(baseUrlProblem('http://[::1]:8080', false)).toBeUndefined();
    expect(baseUrlProblem('http://localhost:8080', false)).toBeUndefined();
    expect(baseUrlProblem('http://mim.corp.example', false)?.message).toMatch(/clear text/);
    expect(baseUrlProblem('http://10.0.0.5', false)?.message).toMatch(/clear text/);
    expect(baseUrlProblem('http://mim.corp.example', true)).toBeUndefined();
    const creds = baseUrlProblem('https://u:pw-secret@mim.example', false);
    expect(creds?.message).toMatch(/user name or password/);
    expect(JSON.stringify(creds)).not.toContain('pw-secret');
  });

  it('knows the loopback names', () => {
    for (const h of ['localhost', '127.0.0.1', '127.8.9.10', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of ['0.0.0.0', '10.0.0.1', 'example.com', '::ffff:10.0.0.1', 'localhost.example.com']) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });
});

describe('the loader refuses bad tokens and URLs with exit 78, naming the place and not the secret', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-checks-'));
  });

  async function configWith(
    mim: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.json`);
    await writeFile(
      file,
      JSON.stringify({
        ...extra,
        jobs: [
          {
            name: 'main',
            mim: { project: 'HQ', ...mim },
            sources: [{ name: 'hr', kind: 'csv-folder', folder: '/x' }],
          },
        ],
      }),
    );
    return file;
  }

  function error(file: string, env: NodeJS.ProcessEnv = {}): { message: string; place: string; fix: string } {
    try {
      loadConfig(file, { registry: SOURCE_DEFINITIONS, env });
    } catch (e) {
      return e as { message: string; place: string; fix: string };
    }
    throw new Error('not refused');
  }

  it('a token file with "Bearer " or a line break names the file; one trailing newline is fine', async () => {
    const bearer = path.join(dir, 'bearer-token');
    await writeFile(bearer, 'Bearer tok-0123456789\n');
    const e = error(await configWith({ tokenFile: bearer }));
    expect(e).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(e.message).toContain(bearer);
    expect(e.message).toMatch(/starts with "Bearer "/);
    expect(JSON.stringify(e)).not.toContain('tok-0123456789');

    const broken = path.join(dir, 'broken-token');
    await writeFile(broken, 'tok-01234\n56789\n');
    expect(error(await configWith({ tokenFile: broken })).message).toMatch(/line break/);

    const good = path.join(dir, 'good-token');
    await writeFile(good, 'tok-0123456789\r\n');
    expect(
      loadConfig(await configWith({ tokenFile: good }), { registry: SOURCE_DEFINITIONS, env: {} }).jobs[0]
        ?.mim.token,
    ).toBe('tok-0123456789');
  });

  it('a token from an env var names the variable; the XML form \\/ is still read as /', async () => {
    const file = await configWith({});
    const e = error(file, { MOBILEID_SYNC_MAIN_MIM_TOKEN: 'abc def' });
    expect(e.place).toBe('the environment variable MOBILEID_SYNC_MAIN_MIM_TOKEN');
    const c = loadConfig(file, {
      registry: SOURCE_DEFINITIONS,
      env: { MOBILEID_SYNC_MAIN_MIM_TOKEN: 'a\\/b\\/c-123' },
    });
    expect(c.jobs[0]?.mim.token).toBe('a/b/c-123');
  });

  it('a malformed admin token is refused too', async () => {
    const e = error(
      await configWith({ token: 'tok-0123456789' }, { admin: { token: 'Bearer x-0123456789' } }),
    );
    expect(e.place).toContain('admin.token');
  });

  it('mim.baseUrl: http:// to another host needs allowInsecureHttp; user:password@ is refused', async () => {
    const plain = error(await configWith({ token: 'tok-0123456789', baseUrl: 'http://mim.corp.example' }));
    expect(plain.place).toContain('jobs[main].mim.baseUrl');
    expect(plain.fix).toContain('mim.allowInsecureHttp');
    const allowed = await configWith({
      token: 'tok-0123456789',
      baseUrl: 'http://mim.corp.example',
      allowInsecureHttp: true,
    });
    expect(loadConfig(allowed, { registry: SOURCE_DEFINITIONS, env: {} }).jobs[0]?.mim.baseUrl).toBe(
      'http://mim.corp.example',
    );
    const creds = error(
      await configWith({ token: 'tok-0123456789', baseUrl: 'https://u:pw-in-url-99@mim.example' }),
    );
    expect(creds.message).toMatch(/user name or password/);
    expect(JSON.stringify(creds)).not.toContain('pw-in-url-99');
  });
});
