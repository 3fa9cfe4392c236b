import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { SOURCE_DEFINITIONS } from '../sources/index.js';
import { loadConfig, maskSecrets } from './load.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
});

async function write(body: string): Promise<string> {
  const file = path.join(dir, 'config.json5');
  await writeFile(file, body);
  return file;
}

const job = (extra = '', mim = '') => `{
  // comment
  jobs: [{ name: 'main', mim: { project: 'HQ', ${mim} }, sources: [{ name: 'hr', kind: 'csv-folder', folder: '/tmp/x' }], ${extra} }],
}`;

describe('loadConfig', () => {
  it('applies defaults and resolves stateDir next to the file', async () => {
    const c = loadConfig(await write(job()), { registry: SOURCE_DEFINITIONS, env: {} });
    expect(c.jobs[0]?.mim.baseUrl).toBe('https://mobile-id.baltech.de');
    expect(c.jobs[0]?.guard.maxDeletes).toBe(25);
    expect(c.stateDir).toBe(path.join(dir, 'state'));
  });

  it('names an unknown (typo) key', async () => {
    const typo = await write(job('guard: { maxDelete: 3 },'));
    expect(() => loadConfig(typo, { registry: SOURCE_DEFINITIONS, env: {} })).toThrow(
      expect.objectContaining({
        place: expect.stringContaining('jobs[main].guard.maxDelete'),
        fix: expect.stringContaining('Did you mean "guard.maxDeletes"'),
      }),
    );
    const badValue = await write(job("guard: { maxDeletes: 'lots' },"));
    expect(() => loadConfig(badValue, { registry: SOURCE_DEFINITIONS, env: {} })).toThrow(
      expect.objectContaining({ place: expect.stringContaining('guard.maxDeletes') }),
    );
    const err = (() => {
      try {
        loadConfig(path.join(dir, 'nope.json5'), { registry: SOURCE_DEFINITIONS, env: {} });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', place: path.join(dir, 'nope.json5') });
  });

  it('reports a JSON5 syntax error with line and column', async () => {
    const broken = await write('{ jobs: [ }');
    expect(() => loadConfig(broken, { registry: SOURCE_DEFINITIONS, env: {} })).toThrow(
      expect.objectContaining({ place: expect.stringMatching(/config\.json5:1:\d+/) }),
    );
  });

  it('says which job key is missing and how to set it', async () => {
    const file = await write(
      `{ jobs: [{ name: 'main', sources: [{ name: 'hr', kind: 'csv-folder', folder: '/x' }] }] }`,
    );
    expect(() => loadConfig(file, { registry: SOURCE_DEFINITIONS, env: {} })).toThrow(
      expect.objectContaining({
        place: expect.stringContaining('jobs[main].mim.project'),
        fix: expect.stringContaining('MOBILEID_SYNC_MAIN_MIM_PROJECT'),
      }),
    );
  });

  it('rejects an unknown source kind with the list of kinds', async () => {
    const file = await write(
      `{ jobs: [{ name: 'main', mim: { project: 'x' }, sources: [{ name: 'hr', kind: 'ldapp' }] }] }`,
    );
    expect(() => loadConfig(file, { registry: SOURCE_DEFINITIONS, env: {} })).toThrow(
      expect.objectContaining({ fix: expect.stringContaining('csv-folder') }),
    );
  });

  it('rejects a source kind that is an object, even one String() cannot convert', async () => {
    const file = await write(
      `{ jobs: [{ name: 'main', mim: { project: 'x' }, sources: [{ name: 'hr', kind: { toString: '' } }] }] }`,
    );
    expect(() => loadConfig(file, { registry: SOURCE_DEFINITIONS, env: {} })).toThrow(
      expect.objectContaining({
        message: 'Unknown source kind {"toString":""}',
        place: expect.stringContaining('sources[0].kind'),
      }),
    );
  });

  it('lets env vars override any key', async () => {
    const c = loadConfig(await write(job()), {
      registry: SOURCE_DEFINITIONS,
      env: {
        MOBILEID_SYNC_MAIN_GUARD_MAX_DELETES: '3',
        MOBILEID_SYNC_MAIN_MIM_BASE_URL: 'http://127.0.0.1:9',
      },
    });
    expect(c.jobs[0]?.guard.maxDeletes).toBe(3);
    expect(c.jobs[0]?.mim.baseUrl).toBe('http://127.0.0.1:9');
  });

  it('reads secrets from a file, an env _FILE, or $CREDENTIALS_DIRECTORY, and unescapes \\/', async () => {
    await writeFile(path.join(dir, 'tok'), 'abc\\/def\n');
    expect(
      loadConfig(await write(job('', `tokenFile: '${path.join(dir, 'tok')}'`)), {
        registry: SOURCE_DEFINITIONS,
        env: {},
      }).jobs[0]?.mim.token,
    ).toBe('abc/def');
    expect(
      loadConfig(await write(job()), {
        registry: SOURCE_DEFINITIONS,
        env: { MOBILEID_SYNC_MAIN_MIM_TOKEN_FILE: path.join(dir, 'tok') },
      }).jobs[0]?.mim.token,
    ).toBe('abc/def');
    expect(
      loadConfig(await write(job('', "tokenFile: 'tok'")), {
        registry: SOURCE_DEFINITIONS,
        env: { CREDENTIALS_DIRECTORY: dir },
      }).jobs[0]?.mim.token,
    ).toBe('abc/def');
    const missing = await write(job('', "tokenFile: '/nonexistent/tok'"));
    expect(() => loadConfig(missing, { registry: SOURCE_DEFINITIONS, env: {} })).toThrow(/secret file/);
  });

  it('masks every secret in config print', async () => {
    const c = loadConfig(await write(job('', "token: 'super-secret-token'")), {
      registry: SOURCE_DEFINITIONS,
      env: {},
    });
    const printed = JSON.stringify(maskSecrets(c, SOURCE_DEFINITIONS));
    expect(printed).not.toContain('super-secret-token');
    expect(printed).toContain('****');
  });
});
