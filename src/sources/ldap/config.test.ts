import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { ConfigError } from '../../core/errors.js';
import { SOURCE_DEFINITIONS } from '../index.js';
import type { LdapConfig } from './config.js';
import { resolveSettings } from './settings.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ldap-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(source: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      jobs: [
        {
          name: 'main',
          mim: { project: 'P', token: 't' },
          sources: [{ name: 'corp', kind: 'ldap', ...source }],
        },
      ],
    }),
  );
  const cfg = loadConfig(file, { registry: SOURCE_DEFINITIONS, env });
  const entry = cfg.jobs[0]?.sources[0];
  if (!entry) throw new Error('no source');
  return { ...(entry.settings as object), name: entry.name } as LdapConfig;
}

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const minimal = {
  urls: ['ldaps://dc1.corp.example'],
  baseDns: ['DC=corp,DC=example'],
  bindDn: 'svc@corp.example',
  bindPassword: 'pw',
};

describe('ldap source config', () => {
  it('loads with the ad preset defaults', () => {
    const s = resolveSettings(load(minimal));
    expect(s.filterText).toBe('(&(objectCategory=person)(objectClass=user))');
    expect(s.disabledFilterText).toBe('(userAccountControl:1.2.840.113556.1.4.803:=2)');
    expect(s.groupMethod).toBe('in-chain');
    expect(s.mapping).toMatchObject({
      email: 'mail',
      emailFallback: 'userPrincipalName',
      id: 'employeeID',
      syncId: 'objectGUID',
      syncIdFormat: 'guid',
    });
    expect(s.rejectUnauthorized).toBe(true);
    expect(s.pageSize).toBe(1000);
  });

  it('openldap preset: entryUUID as text, no e-mail fallback, walk, no disabled filter', () => {
    const s = resolveSettings(load({ ...minimal, preset: 'openldap', attributes: { id: 'uid' } }));
    expect(s.mapping).toMatchObject({
      syncId: 'entryUUID',
      syncIdFormat: 'text',
      emailFallback: undefined,
      id: 'uid',
    });
    expect(s.groupMethod).toBe('walk');
    expect(s.disabledFilter).toBeUndefined();
  });

  it('rejects an invalid user filter at load time, naming the key', () => {
    const e = thrown(() => load({ ...minimal, filter: '(&(objectClass=user)(cn=a' }));
    expect(e.message).toMatch(/filter/);
    expect(e.message).toMatch(/not a valid LDAP filter/);
    const e2 = thrown(() => load({ ...minimal, disabledFilter: 'pwdAccountLockedTime=*)(' }));
    expect(e2.message).toMatch(/disabledFilter/);
  });

  // Issue #10 item 12: ldapts 8 takes both of these, the second with a different meaning.
  it.each([
    ['filter', '(&(objectClass=inetOrgPerson)(department=Sales)', 48],
    ['filter', '(&(|(departmentNumber=Sales)(departmentNumber=Support)(employeeType=staff))', 76],
    ['disabledFilter', '(|(employeeType=contractor)(employeeType=left)', 47],
  ])('refuses an unbalanced %s at load time with the key and the position: %s', (name, text, position) => {
    const e = thrown(() => load({ ...minimal, [name]: text }));
    expect(e.place).toMatch(new RegExp(`jobs\\[main\\]\\.sources\\[corp\\]\\.${name}$`));
    expect(e.message).toMatch(/not a valid LDAP filter: missing "\)"/);
    expect(e.message).toMatch(new RegExp(`at character ${position}:`));
    expect(e.code).toBe('CONFIG_INVALID');
  });

  it('refuses an unbalanced filter given as an env override', () => {
    const e = thrown(() => load(minimal, { MOBILEID_SYNC_MAIN_CORP_FILTER: '(&(objectClass=user)(cn=a*)' }));
    expect(e.place).toMatch(/jobs\[main\]\.sources\[corp\]\.filter$/);
  });

  it('resolves filters through our parser, so a preset and a user filter reach ldapts as checked objects', () => {
    const s = resolveSettings(load({ ...minimal, filter: '(sn=M\\c3\\bcller)' }));
    expect(s.filter.toString()).toBe('(sn=Müller)');
    expect(s.disabledFilter?.toString()).toBe('(userAccountControl:1.2.840.113556.1.4.803:=2)');
    const bad = { ...load(minimal), filter: '(&(objectClass=user)(cn=a)' };
    const e = thrown(() => resolveSettings(bad));
    expect(e.place).toBe('sources[corp].filter');
    expect(e.message).toMatch(/at character 27/);
  });

  it('rejects bad URLs, unknown keys, and a bind DN without a password', () => {
    expect(thrown(() => load({ ...minimal, urls: ['https://dc1'] })).message).toMatch(/urls/);
    expect(thrown(() => load({ ...minimal, bindPasword: 'x' })).message).toMatch(/bindPasword/);
    const e = thrown(() => resolveSettings(load({ ...minimal, bindPassword: '' })));
    expect(e.place).toBe('sources[corp].bindPassword');
  });

  it('requires urls and baseDns, and a readable PEM caFile', () => {
    expect(thrown(() => resolveSettings(load({ baseDns: ['dc=x'] }))).place).toBe('sources[corp].urls');
    expect(thrown(() => resolveSettings(load({ urls: ['ldap://x'] }))).place).toBe('sources[corp].baseDns');
    expect(
      thrown(() => resolveSettings(load({ ...minimal, caFile: path.join(dir, 'missing.pem') }))).place,
    ).toBe('sources[corp].caFile');
    const notPem = path.join(dir, 'x.pem');
    writeFileSync(notPem, 'hello');
    expect(thrown(() => resolveSettings(load({ ...minimal, caFile: notPem }))).message).toMatch(/no PEM/);
  });

  it('reads the password from bindPasswordFile and lists from env vars as JSON arrays', () => {
    const pw = path.join(dir, 'pw');
    writeFileSync(pw, 's3cret\n');
    const cfg = load(
      { urls: ['ldap://x'], baseDns: ['dc=x'], bindDn: 'cn=svc', bindPasswordFile: pw },
      { MOBILEID_SYNC_MAIN_CORP_BASE_DNS: '["OU=A,DC=corp,DC=example","OU=B,DC=corp,DC=example"]' },
    );
    expect(cfg.bindPassword).toBe('s3cret');
    expect(cfg.baseDns).toEqual(['OU=A,DC=corp,DC=example', 'OU=B,DC=corp,DC=example']);
  });

  it('checks map.* expressions when the config loads: the key, a caret line and the fix', () => {
    const e = thrown(() => load({ ...minimal, map: { id: 'pager | hex2de | pad(8)' } }));
    expect(e.place).toMatch(/sources\[corp\]\.map\.id$/);
    expect(e.message).toContain(
      'unknown filter "hex2de" (character 9)\n  pager | hex2de | pad(8)\n          ^',
    );
    expect(e.message).toMatch(/did you mean hex2dec/);
    expect(
      resolveSettings(load({ ...minimal, map: { id: 'employeeNumber | pad(8)' } })).mapping.expressions?.id
        ?.inputs,
    ).toEqual(['employeeNumber']);
    expect(
      thrown(() => resolveSettings(load({ ...minimal, idTemplate: '{a}', map: { id: 'b' } }))).message,
    ).toMatch(/Both map.id and idTemplate/);
  });

  it('checks the ID template and refuses to go without a Sync ID', () => {
    expect(thrown(() => load({ ...minimal, idTemplate: 'employeeNumber' })).message).toMatch(/idTemplate/);
    expect(resolveSettings(load({ ...minimal, idTemplate: '{employeeNumber:8}' })).mapping).toMatchObject({
      id: undefined,
      idTemplate: '{employeeNumber:8}',
    });
    expect(thrown(() => resolveSettings(load({ ...minimal, attributes: { syncId: 'none' } }))).place).toBe(
      'sources[corp].attributes.syncId',
    );
  });
});
