import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { entraDefaults } from '../../../test/helpers/graph-standin/harness.js';
import { loadConfig } from '../../config/load.js';
import { ConfigError } from '../../core/errors.js';
import { SOURCE_DEFINITIONS } from '../index.js';
import { type EntraConfig, resolveEntraConfig } from './config.js';

const base = (over: Partial<EntraConfig> = {}): EntraConfig => ({
  ...entraDefaults(),
  name: 'aad',
  tenantId: 'contoso.onmicrosoft.com',
  clientId: '99999999-8888-4777-8666-555555555555',
  clientSecret: 's3cret',
  ...over,
});

describe('resolveEntraConfig', () => {
  it('takes a secret or a certificate, not both and not neither', () => {
    expect(resolveEntraConfig(base()).credential).toEqual({ type: 'secret', secret: 's3cret' });
    expect(resolveEntraConfig(base({ clientSecret: '', certificateFile: '/c.pem' })).credential.type).toBe(
      'certificate',
    );
    expect(() => resolveEntraConfig(base({ certificateFile: '/c.pem' }))).toThrow(
      /Both clientSecret and certificateFile/,
    );
    expect(() => resolveEntraConfig(base({ clientSecret: '' }))).toThrow(/No credential/);
  });

  it('names the key of a missing tenant, a bad template or fallback', () => {
    expect(() => resolveEntraConfig(base({ tenantId: ' ' }))).toThrow(ConfigError);
    const badId = () => resolveEntraConfig(base({ map: { ...base().map, id: '{employee id}' } }));
    expect(badId).toThrow(/map.id is not a valid template/);
    const badFallback = () =>
      resolveEntraConfig(base({ map: { ...base().map, emailFallbacks: ['mobilePhone'] } }));
    expect(badFallback).toThrow(/Unknown e-mail fallback "mobilePhone"/);
  });

  it('strips a trailing slash from the hosts', () => {
    const r = resolveEntraConfig(
      base({
        graphBaseUrl: 'https://graph.microsoft.us/',
        authorityHost: 'https://login.microsoftonline.us/',
      }),
    );
    expect([r.graphBaseUrl, r.authorityHost]).toEqual([
      'https://graph.microsoft.us',
      'https://login.microsoftonline.us',
    ]);
  });
});

describe('loading an entra source from a config file', () => {
  const write = (source: (dir: string) => Record<string, unknown>): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'entra-config-'));
    writeFileSync(path.join(dir, 'secret.txt'), 'from-file-secret\n');
    const file = path.join(dir, 'config.json5');
    const entry = { name: 'aad', kind: 'entra', ...source(dir) };
    writeFileSync(
      file,
      JSON.stringify({ jobs: [{ name: 'main', mim: { project: 'p', token: 't' }, sources: [entry] }] }),
    );
    return file;
  };

  it('reads the secret from clientSecretFile and applies env overrides', () => {
    const file = write((dir) => ({
      tenantId: 't',
      clientId: 'c',
      clientSecretFile: path.join(dir, 'secret.txt'),
      groups: ['Door Access'],
    }));
    const cfg = loadConfig(file, {
      registry: SOURCE_DEFINITIONS,
      env: { MOBILEID_SYNC_MAIN_AAD_INCLUDE_GUESTS: 'true' },
    });
    const env = loadConfig(file, {
      registry: SOURCE_DEFINITIONS,
      env: { MOBILEID_SYNC_MAIN_AAD_GROUPS: '["Door, Main","Staff"]' },
    });
    expect((env.jobs[0]!.sources[0]!.settings as unknown as EntraConfig).groups).toEqual([
      'Door, Main',
      'Staff',
    ]);
    const settings = cfg.jobs[0]!.sources[0]!.settings as unknown as EntraConfig;
    expect(settings.clientSecret).toBe('from-file-secret');
    expect(settings.includeGuests).toBe(true);
    expect(settings.groups).toEqual(['Door Access']);
    expect(settings.map.id).toBe('{employeeId}');
  });

  it('rejects unknown keys and a plain-http Graph URL', () => {
    const typo = write(() => ({ tenantId: 't', clientId: 'c', clientSecret: 'x', tenant: 'oops' }));
    expect(() => loadConfig(typo, { registry: SOURCE_DEFINITIONS })).toThrow(/tenant/);
    const http = write(() => ({
      tenantId: 't',
      clientId: 'c',
      clientSecret: 'x',
      graphBaseUrl: 'http://graph.local',
    }));
    expect(() => loadConfig(http, { registry: SOURCE_DEFINITIONS })).toThrow(/graphBaseUrl/);
  });
});
