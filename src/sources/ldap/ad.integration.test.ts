/**
 * The ldap source against a real Samba 4 AD DC (test/helpers/samba.ts), fixtures in
 * test/fixtures/ldap/ad-directory.ts. Samba's ports are fixed, so all AD tests live in this file.
 */
import { Client } from 'ldapts';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AD_GROUPS,
  AD_PEOPLE,
  AD_SUFFIX,
  AD_SYNC_DN,
  AD_SYNC_PASSWORD,
  AD_SYNC_UPN,
  groupDn,
} from '../../../test/fixtures/ldap/ad-directory.js';
import {
  fetchLdap,
  type LdapSettings,
  ldapConfig,
  makeLdapSource,
  startAdDirectory,
} from '../../../test/helpers/ldap-source.js';
import type { SambaDc } from '../../../test/helpers/samba.js';
import { scaled } from '../../../test/helpers/timing.js';
import { ConfigError } from '../../core/errors.js';
import type { SourceSnapshot } from '../../core/source.js';
import type { SourceRecord } from '../../core/types.js';
import { connect } from './connection.js';
import { readMembers } from './groups.js';
import { resolveSettings } from './settings.js';

let dc: SambaDc;
let base: LdapSettings;

beforeAll(async () => {
  ({ dc, base } = await startAdDirectory());
}, scaled(120_000));

afterAll(async () => {
  await dc?.stop();
});

/** This file's sources are named `ad`. */
const makeSource = (settings: LdapSettings) => makeLdapSource(settings, { name: 'ad' });
const fetchWith = (settings: LdapSettings): Promise<SourceSnapshot> => fetchLdap(settings, 'ad');

const names = (records: readonly SourceRecord[]): string[] =>
  records.map((r) => /^CN=([^,]+)/.exec(r.place.ref)?.[1] ?? r.place.ref).sort();

async function adminSearch(baseDn: string, attributes: string[], scope: 'base' | 'sub' = 'sub') {
  const c = new Client({ url: dc.url });
  await c.bind(AD_SYNC_DN, AD_SYNC_PASSWORD);
  try {
    return (await c.search(baseDn, { scope, attributes, explicitBufferAttributes: ['objectGUID'] }))
      .searchEntries;
  } finally {
    await c.unbind();
  }
}

describe('Active Directory (Samba 4 DC)', () => {
  it('ad preset: enabled people only, names as written, e-mail falling back to userPrincipalName', async () => {
    const snap = await fetchWith(base);
    expect(names(snap.records)).toEqual([
      'Alice Example',
      'Chris Doe',
      'Erik Expired',
      'Gina Weird',
      'Hank Decoy',
      'Jürgen Müller',
      'Zoë Şahin',
    ]);
    const zoe = snap.records.find((r) => r.place.ref === `CN=Zoë Şahin,${AD_PEOPLE}`);
    expect(zoe).toMatchObject({ firstName: 'Zoë', lastName: 'Şahin', email: 'zoe@example.test', id: '2004' });
    expect(zoe?.notes).toEqual(['e-mail taken from userPrincipalName (mail is empty)']);
    const chris = snap.records.find((r) => r.place.ref === `CN=Chris Doe,${AD_PEOPLE}`);
    expect(chris).toMatchObject({ firstName: 'Chris', lastName: 'Doe' });
    expect(snap.notices.map((n) => n.message)).toContain(
      '2 disabled accounts left out ((userAccountControl:1.2.840.113556.1.4.803:=2))',
    );
  });

  it('userAccountControl 512 / 514 / 546: the bit-AND rule leaves out exactly 514 and 546', async () => {
    const entries = await adminSearch(AD_PEOPLE, ['cn', 'userAccountControl']);
    const uac = Object.fromEntries(
      entries.filter((e) => e.cn).map((e) => [String(e.cn), String(e.userAccountControl)]),
    );
    expect(uac).toMatchObject({ 'Alice Example': '512', 'Bob Disabled': '514', 'Carol NoPassword': '546' });
    const all = await fetchWith({ ...base, excludeDisabled: false });
    expect(names(all.records)).toContain('Bob Disabled');
    expect(names(all.records)).toContain('Carol NoPassword');
  });

  it('objectGUID becomes the GUID string Samba itself reports', async () => {
    const snap = await fetchWith(base);
    const alice = snap.records.find((r) => r.place.ref === `CN=Alice Example,${AD_PEOPLE}`);
    expect(alice?.syncId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(dc.tool(['user', 'show', 'alice', '--attributes=objectGUID'])).toContain(
      `objectGUID: ${alice?.syncId}`,
    );
    // and every one of them finds its entry through AD's <GUID=…> base search
    for (const r of snap.records) {
      const [found] = await adminSearch(`<GUID=${r.syncId}>`, ['cn'], 'base');
      expect(found?.dn).toBe(r.place.ref);
    }
  });

  it('excludeExpired also leaves out expired accounts, counted and named apart from the disabled ones', async () => {
    const { source } = makeSource({ ...base, excludeExpired: true });
    const snap = await source.fetch(AbortSignal.timeout(scaled(10_000)));
    expect(names(snap.records)).not.toContain('Erik Expired');
    expect(snap.notices.map((n) => n.message)).toEqual(
      expect.arrayContaining([
        '2 disabled accounts left out ((userAccountControl:1.2.840.113556.1.4.803:=2))',
        '1 expired account left out (accountExpires in the past)',
      ]),
    );
    expect(snap.description).toMatch(/\(2 disabled, 1 expired left out\)$/);
    const check = await source.check(AbortSignal.timeout(scaled(10_000)));
    expect(check.lines).toEqual(
      expect.arrayContaining([
        '2 disabled accounts would be left out ((userAccountControl:1.2.840.113556.1.4.803:=2))',
        '1 expired account would be left out (accountExpires in the past)',
      ]),
    );
  });

  it.each(['in-chain', 'walk', 'memberof'])(
    'groups via %s: nested members, cycle-safe, disabled left out',
    async (groupMethod) => {
      const snap = await fetchWith({ ...base, groups: [groupDn('Staff')], groupMethod });
      expect(names(snap.records)).toEqual(['Alice Example', 'Jürgen Müller', 'Zoë Şahin']);
      expect(snap.notices.map((n) => n.message)).toContain(
        '1 disabled account left out ((userAccountControl:1.2.840.113556.1.4.803:=2))',
      );
    },
  );

  it.each(['in-chain', 'walk', 'memberof'])(
    'groups via %s: * ( ) \\ in a group name are matched literally',
    async (groupMethod) => {
      expect(
        names((await fetchWith({ ...base, groups: [groupDn('We*ird (x)\\y')], groupMethod })).records),
      ).toEqual(['Gina Weird']);
      expect(names((await fetchWith({ ...base, groups: [groupDn('We*')], groupMethod })).records)).toEqual([
        'Hank Decoy',
      ]);
    },
  );

  it('paged results: small pages read everyone', async () => {
    const { source, logs } = makeSource({ ...base, pageSize: 2 });
    const snap = await source.fetch(AbortSignal.timeout(scaled(10_000)));
    expect(snap.records).toHaveLength(7);
    expect(logs.filter((l) => l.msg === 'ldap page read')).toHaveLength(4);
  });

  it('range retrieval: member;range= slices are followed to the end', async () => {
    const big = groupDn('Big');
    // Samba answers explicit ranges like AD does ...
    const c = new Client({ url: dc.url });
    await c.bind(AD_SYNC_DN, AD_SYNC_PASSWORD);
    const { searchEntries } = await c.search(big, { scope: 'base', attributes: ['member;range=0-1'] });
    await c.unbind();
    expect(Object.keys(searchEntries[0] ?? {})).toContain('member;range=0-1');
    // ... so reading in slices of two must still return all six members
    const conn = await connect(
      resolveSettings(ldapConfig(base, { name: 'ad' })),
      AbortSignal.timeout(scaled(5000)),
      pino({ level: 'silent' }),
    );
    try {
      const sliced = await readMembers(conn, big, AbortSignal.timeout(scaled(5000)), { rangeSize: 2 });
      const whole = await readMembers(conn, big, AbortSignal.timeout(scaled(5000)));
      expect(sliced?.dns).toHaveLength(6);
      expect([...(sliced?.dns ?? [])].sort()).toEqual([...(whole?.dns ?? [])].sort());
    } finally {
      await conn.close();
    }
  });

  it('a wrong password reports AD\'s "data 52e" in plain words', async () => {
    const e = await fetchWith({ ...base, bindPassword: 'not-the-password' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toBe(
      `Bind as ${AD_SYNC_DN} at ${dc.url} failed: the password is wrong (AD code 52e)`,
    );
    expect((e as Error).message).not.toContain('not-the-password');
  });

  it('binds with a user principal name too', async () => {
    expect((await fetchWith({ ...base, bindDn: AD_SYNC_UPN })).records).toHaveLength(7);
  });

  it.each([
    ['StartTLS', () => ({ ...base, startTls: true, caFile: dc.pki.caCert })],
    ['LDAPS', () => ({ ...base, urls: [dc.ldapsUrl], caFile: dc.pki.caCert })],
  ])('%s with the private CA', async (_name, settings) => {
    const { source } = makeSource(settings());
    const check = await source.check(AbortSignal.timeout(scaled(10_000)));
    expect(check.lines[0]).toMatch(/TLS, certificate verified\): OK/);
    expect((await source.fetch(AbortSignal.timeout(scaled(10_000)))).records).toHaveLength(7);
  });

  it('from the domain root: the refldap:// search references are skipped, not chased', async () => {
    const { source, logs } = makeSource({ ...base, baseDns: [AD_SUFFIX] });
    const snap = await source.fetch(AbortSignal.timeout(scaled(20_000)));
    expect(names(snap.records)).toContain('Alice Example');
    expect(snap.notices.map((n) => n.message).join('\n')).toMatch(
      /search references? to other servers or partitions were skipped/i,
    );
    expect(JSON.stringify(logs)).not.toMatch(/DomainDnsZones|ForestDnsZones/);
  });

  it('check() reports bind, groups and counts', async () => {
    const { source } = makeSource({ ...base, groups: [groupDn('Staff')] });
    const r = await source.check(AbortSignal.timeout(scaled(10_000)));
    expect(r.ok).toBe(true);
    expect(r.lines).toEqual([
      `connect ${dc.url} (no TLS): OK`,
      `bind as ${AD_SYNC_DN}: OK`,
      `groups: 1 taken into account (in-chain): ${groupDn('Staff')}`,
      `search base ${AD_PEOPLE}: 3 people match`,
      '1 disabled account would be left out ((userAccountControl:1.2.840.113556.1.4.803:=2))',
    ]);
  });

  it('check on AD: a filter that matches nobody is the cause named, not the server type', async () => {
    const { source } = makeSource({
      ...base,
      filter: '(sAMAccountName=nobody-here)',
      groups: [groupDn('Staff')],
    });
    const r = await source.check(AbortSignal.timeout(scaled(10_000)));
    expect(r.ok).toBe(true);
    expect(r.lines.slice(-2)).toEqual([
      'WARNING: 0 people match, so a run would stop here. Likely causes:',
      `  - the filter (sAMAccountName=nobody-here) matches no entry under baseDns ${AD_PEOPLE} (scope sub): check filter and baseDns`,
    ]);
  });

  it('a group DN that does not exist is a configuration error', async () => {
    const e = await fetchWith({ ...base, groups: [`CN=Nope,${AD_GROUPS}`] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((e as Error).message).toMatch(/CN=Nope,OU=Groups,DC=example,DC=test does not exist/);
  });
});
