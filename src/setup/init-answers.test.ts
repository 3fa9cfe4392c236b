import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSON5 from 'json5';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigData } from '../config/load.js';
import { SOURCE_DEFINITIONS } from '../sources/index.js';
import {
  configPath,
  type InitAnswers,
  initPlan,
  inlineConfig,
  plain,
  type SourceAnswers,
} from './init-answers.js';
import { answersFromFlags, FlagError } from './init-flags.js';
import { renderJson5 } from './json5.js';

const OUT = '/etc/mobileid-sync';

function answers(source: SourceAnswers, token: InitAnswers['mim']['token']): InitAnswers {
  return {
    job: 'main',
    source,
    mim: { baseUrl: 'https://mobile-id.baltech.de', project: 'Head Office', token },
    outDir: OUT,
    stateDir: '/var/lib/mobileid-sync',
  };
}

const typed = (value: string) => ({ from: 'value', value }) as const;
const csv: SourceAnswers = { kind: 'csv-folder', folder: '/srv/drop' };
const ldap: SourceAnswers = {
  kind: 'ldap',
  preset: 'ad',
  urls: ['ldaps://dc1.corp.example', 'ldaps://dc2.corp.example'],
  bindDn: 'CN=svc-sync,OU=Service,DC=corp,DC=example',
  bindPassword: typed('bind-pw'),
  baseDns: ['OU=Staff,DC=corp,DC=example'],
};
const entra: SourceAnswers = {
  kind: 'entra',
  tenantId: 'contoso.onmicrosoft.com',
  clientId: '00000000-0000-0000-0000-000000000001',
  clientSecret: typed('client-secret'),
};

/** What `config validate` makes of the config as written (its text, parsed). */
function written(a: InitAnswers): Record<string, unknown> {
  const plan = initPlan(a);
  if (typeof plan.config === 'string') throw new Error('expected data');
  return JSON5.parse(renderJson5(plan.config.value, plan.config.header));
}

describe('answers → config', () => {
  it.each([
    ['csv-folder', csv],
    ['ldap', ldap],
    ['entra', entra],
  ])('%s: the config with secrets inline loads with the real loader', (_, source) => {
    const config = loadConfigData(
      inlineConfig(answers(source, typed('mim-token'))),
      configPath(answers(source, typed('x'))),
      {
        registry: SOURCE_DEFINITIONS,
        env: {},
      },
    );
    expect(config.stateDir).toBe('/var/lib/mobileid-sync');
    expect(config.jobs[0]?.mim.token).toBe('mim-token');
    expect(config.jobs[0]?.sources[0]?.kind).toBe(source.kind);
  });

  it('a typed secret becomes a 0600 file next to the config, named by its …File key', () => {
    const a = answers(ldap, typed('mim-token'));
    const plan = initPlan(a);
    expect(plan.secrets).toEqual([
      { name: 'mim_token', value: 'mim-token' },
      { name: 'ldap_bind_password', value: 'bind-pw' },
    ]);
    const config = written(a) as {
      jobs: { mim: Record<string, string>; sources: Record<string, unknown>[] }[];
    };
    const job = config.jobs[0]!;
    expect(job.mim).toEqual({
      baseUrl: 'https://mobile-id.baltech.de',
      project: 'Head Office',
      tokenFile: `${OUT}/mim_token`,
    });
    expect(job.sources[0]).toMatchObject({
      name: 'directory',
      preset: 'ad',
      urls: ['ldaps://dc1.corp.example', 'ldaps://dc2.corp.example'],
      bindPasswordFile: `${OUT}/ldap_bind_password`,
      baseDns: ['OU=Staff,DC=corp,DC=example'],
    });
    expect(JSON.stringify(config)).not.toContain('bind-pw');
    expect(JSON.stringify(config)).not.toContain('mim-token');
  });

  it('a secret given as a file is named as it is, not copied', () => {
    const a = answers(
      { ...entra, clientSecret: { from: 'file', file: '/run/secrets/entra', value: 's' } },
      { from: 'file', file: '/run/secrets/mim', value: 't' },
    );
    expect(initPlan(a).secrets).toEqual([]);
    const job = (written(a) as { jobs: { mim: object; sources: object[] }[] }).jobs[0]!;
    expect(job.mim).toMatchObject({ tokenFile: '/run/secrets/mim' });
    expect(job.sources[0]).toMatchObject({ clientSecretFile: '/run/secrets/entra' });
  });

  it('an anonymous LDAP bind writes neither bindDn nor a password', () => {
    const a = answers({ ...ldap, bindDn: '', bindPassword: undefined }, typed('t'));
    const source = (plain(initPlan(a).config) as { value: { jobs: { sources: object[] }[] } }).value.jobs[0]!
      .sources[0]!;
    expect(Object.keys(source)).toEqual(['name', 'kind', 'preset', 'urls', 'baseDns']);
  });
});

describe('flags → answers', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'init-flags-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads each flag; DNs keep their commas, URLs may be listed with commas; paths become absolute', () => {
    writeFileSync(path.join(dir, 'pw'), 'bind-pw\n');
    const a = answersFromFlags(
      {
        source: 'ldap',
        preset: 'openldap',
        'ldap-url': ['ldap://a.example,ldap://b.example'],
        'bind-dn': 'cn=sync,dc=example',
        'bind-password-file': 'pw',
        'base-dn': ['ou=people,dc=example', 'ou=staff,dc=example'],
        project: 'P',
        'token-env': 'TOKEN',
      },
      { TOKEN: 'tok' },
      dir,
    );
    expect(a.source).toEqual({
      kind: 'ldap',
      preset: 'openldap',
      urls: ['ldap://a.example', 'ldap://b.example'],
      bindDn: 'cn=sync,dc=example',
      bindPassword: { from: 'file', file: path.join(dir, 'pw'), value: 'bind-pw' },
      baseDns: ['ou=people,dc=example', 'ou=staff,dc=example'],
    });
    expect(a.mim).toEqual({ baseUrl: 'https://mobile-id.baltech.de', project: 'P', token: typed('tok') });
    expect(a.outDir).toBe(path.join(dir, 'config'));
    expect(a.stateDir).toBe(path.join(dir, 'config', 'state'));
  });

  it.each([
    [{}, '--source'],
    [{ source: 'csv' }, '--source must be one of csv-folder, ldap, entra'],
    [{ source: 'ldap', 'ldap-url': ['ldap://x'] }, '--preset'],
    [
      { source: 'ldap', preset: 'ad', 'ldap-url': ['ldap://x'], 'bind-dn': 'cn=x' },
      '--bind-password-file or --bind-password-env',
    ],
    [{ source: 'entra', 'tenant-id': 't' }, '--client-id'],
    [{ source: 'csv-folder', 'drop-folder': '/d' }, '--project'],
    [{ source: 'csv-folder', 'drop-folder': '/d', project: 'P' }, '--token-file or --token-env'],
    [
      { source: 'csv-folder', 'drop-folder': '/d', project: 'P', 'token-file': 'f', 'token-env': 'E' },
      'not both',
    ],
    [{ source: 'csv-folder', token: 'x' }, 'visible to other users'],
  ])('%j is a usage error naming %s', (flags, text) => {
    expect(() => answersFromFlags(flags, {}, dir)).toThrow(FlagError);
    expect(() => answersFromFlags(flags, {}, dir)).toThrow(text);
  });

  it('an unreadable or empty secret file and an unset env var are config errors naming the flag', () => {
    const base = { source: 'csv-folder', 'drop-folder': '/d', project: 'P' };
    expect(() => answersFromFlags({ ...base, 'token-file': 'missing' }, {}, dir)).toThrow(
      /Cannot read the secret file .*missing: ENOENT/,
    );
    writeFileSync(path.join(dir, 'empty'), '\n');
    expect(() => answersFromFlags({ ...base, 'token-file': 'empty' }, {}, dir)).toThrow(
      '--token-file is empty',
    );
    expect(() => answersFromFlags({ ...base, 'token-env': 'NOPE' }, { NOPE: ' ' }, dir)).toThrow(
      'NOPE (from --token-env) is not set or empty',
    );
  });
});
