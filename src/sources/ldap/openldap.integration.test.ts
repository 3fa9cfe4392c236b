/**
 * The ldap source against a real OpenLDAP slapd (test/helpers/slapd.ts): fixtures in
 * test/fixtures/ldap, binding as the normal account cn=sync so the server's size limits apply.
 * A refused password and an abort mid-read are checks of the source contract suite (test/contract/).
 */
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchLdap,
  type LdapSettings,
  makeLdapSource,
  startSlapdDirectory,
} from '../../../test/helpers/ldap-source.js';
import {
  bulkPeopleLdif,
  fixture,
  freePort,
  type Slapd,
  SUFFIX,
  SYNC_DN,
  SYNC_PASSWORD,
  startSlapd,
} from '../../../test/helpers/slapd.js';
import { scaled } from '../../../test/helpers/timing.js';
import { exitCodeFor } from '../../cli/exit-codes.js';
import { ConfigError, SourceUnavailableError } from '../../core/errors.js';
import type { Source } from '../../core/source.js';
import type { SourceRecord } from '../../core/types.js';

const PEOPLE = `ou=people,${SUFFIX}`;
const GROUPS = `ou=groups,${SUFFIX}`;
const BULK = 1200;
/** A group loaded with slapadd: the memberof overlay never sets memberOf for it. */
const OFFLINE_GROUP = `dn: cn=offline,${GROUPS}
objectClass: groupOfNames
cn: offline
member: uid=alice,${PEOPLE}
member: uid=carol,${PEOPLE}
`;

async function failure(settings: LdapSettings): Promise<Error> {
  try {
    await fetchLdap(settings);
  } catch (e) {
    if (e instanceof Error) return e;
  }
  throw new Error('expected the fetch to fail');
}

const byRef = (records: readonly SourceRecord[]): Map<string, SourceRecord> =>
  new Map(records.map((r) => [r.place.ref, r]));
const uids = (records: readonly SourceRecord[]): string[] =>
  records.map((r) => /^uid=([^,]+)/.exec(r.place.ref)?.[1] ?? r.place.ref).sort();

let slapd: Slapd;
let base: LdapSettings;

beforeAll(async () => {
  ({ slapd, base } = await startSlapdDirectory(
    { offline: [fixture('base.ldif'), fixture('people.ldif'), bulkPeopleLdif(BULK), OFFLINE_GROUP] },
    [PEOPLE],
  ));
});

afterAll(async () => {
  await slapd?.stop();
});

describe('openldap preset', () => {
  it('reads everyone under the base with non-ASCII names intact, Sync ID = entryUUID', async () => {
    const snap = await fetchLdap(base);
    expect(snap.records).toHaveLength(15);
    const r = byRef(snap.records);
    expect(r.get(`uid=zoe,${PEOPLE}`)).toMatchObject({
      firstName: 'Zoë',
      lastName: 'Şahin',
      email: undefined,
      id: '1003',
    });
    expect(r.get(`uid=juergen,${PEOPLE}`)).toMatchObject({
      firstName: 'Jürgen',
      lastName: 'Müller',
      email: 'juergen.mueller@example.test',
    });
    expect(r.get(`uid=alice,${PEOPLE}`)?.place).toEqual({
      source: 'dir',
      kind: 'ldap',
      ref: `uid=alice,${PEOPLE}`,
    });

    // entryUUID as the server reports it (read directly, as the admin)
    const admin = new Client({ url: slapd.url });
    await admin.bind(SYNC_DN, SYNC_PASSWORD);
    const { searchEntries } = await admin.search(`uid=alice,${PEOPLE}`, {
      scope: 'base',
      attributes: ['entryUUID'],
    });
    await admin.unbind();
    expect(r.get(`uid=alice,${PEOPLE}`)?.syncId).toBe(searchEntries[0]?.entryUUID);
    expect(snap.description).toMatch(/15 people from 1 base/);
  });

  it('falls back to displayName then cn for names, with notes; a missing mail stays missing', async () => {
    const r = byRef((await fetchLdap(base)).records);
    expect(r.get(`uid=chris,${PEOPLE}`)).toMatchObject({
      firstName: 'Chris',
      lastName: 'Doe',
      notes: ['first name taken from displayName (givenName is empty)'],
    });
    expect(r.get(`uid=dana,${PEOPLE}`)).toMatchObject({
      firstName: 'Dana',
      lastName: 'Cn',
      notes: ['first name taken from cn (givenName is empty)'],
    });
    expect(r.get(`uid=nomail,${PEOPLE}`)?.email).toBeUndefined();
  });

  it('skips the search reference under the base, never chases it, and says so', async () => {
    const { source, logs } = makeLdapSource(base);
    const snap = await source.fetch(AbortSignal.timeout(scaled(10_000)));
    expect(snap.notices.map((n) => n.message).join('\n')).toMatch(
      /Search references .* skipped, not followed .*1 search reference/,
    );
    // the referral points at 127.0.0.1:9; nothing tried to go there
    expect(logs.some((l) => JSON.stringify(l).includes(':9/'))).toBe(false);
  });

  it('leaves out accounts matched by disabledFilter and reports the count', async () => {
    const snap = await fetchLdap({ ...base, disabledFilter: '(employeeType=disabled)' });
    expect(snap.records).toHaveLength(13);
    expect(uids(snap.records)).not.toContain('bob');
    expect(uids(snap.records)).not.toContain('lena');
    expect(snap.notices.map((n) => n.message)).toContain(
      '2 disabled accounts left out ((employeeType=disabled))',
    );
  });

  it('builds a zero-padded ID from a template', async () => {
    const r = byRef((await fetchLdap({ ...base, idTemplate: 'P{employeeNumber:8}' })).records);
    expect(r.get(`uid=alice,${PEOPLE}`)?.id).toBe('P00001001');
  });

  it('counts entries under overlapping bases once', async () => {
    const snap = await fetchLdap({ ...base, baseDns: [PEOPLE, SUFFIX] });
    expect(snap.records).toHaveLength(15 + BULK);
    expect(new Set(snap.records.map((r) => r.place.ref)).size).toBe(15 + BULK);
  });
});

describe('ad preset on the AD-mimic schema', () => {
  const ad = () => ({
    ...base,
    preset: 'ad',
    filter: '(objectClass=inetOrgPerson)',
    attributes: { id: 'employeeNumber' },
  });

  it('maps objectGUID to the GUID string and leaves out userAccountControl bit 2 (514, 546, not 66048)', async () => {
    const snap = await fetchLdap(ad());
    const r = byRef(snap.records);
    expect(r.get(`uid=alice,${PEOPLE}`)?.syncId).toBe('01234567-89ab-cdef-0123-456789abcdef');
    expect(r.get(`uid=zoe,${PEOPLE}`)?.syncId).toBe('a1b2c303-d4e5-46f7-8899-aabbccddee03');
    expect(uids(snap.records)).not.toContain('bob');
    expect(uids(snap.records)).not.toContain('lena');
    expect(uids(snap.records)).toContain('zoe');
    expect(snap.records).toHaveLength(13);
    expect(snap.notices.map((n) => n.message)).toContain(
      '2 disabled accounts left out ((userAccountControl:1.2.840.113556.1.4.803:=2))',
    );
  });

  it('takes the e-mail from userPrincipalName when mail is empty', async () => {
    const r = byRef((await fetchLdap(ad())).records);
    expect(r.get(`uid=zoe,${PEOPLE}`)).toMatchObject({
      email: 'zoe@corp.example.test',
      notes: ['e-mail taken from userPrincipalName (mail is empty)'],
    });
    expect(r.get(`uid=nomail,${PEOPLE}`)?.email).toBeUndefined();
  });

  it('keeps disabled accounts when excludeDisabled is off', async () => {
    expect((await fetchLdap({ ...ad(), excludeDisabled: false })).records).toHaveLength(15);
  });
});

describe('group scoping', () => {
  const staff = `cn=staff,${GROUPS}`;

  it('walk: nested groups through member, uniqueMember and memberUid, across a cycle', async () => {
    const snap = await fetchLdap({ ...base, groups: [staff], groupMethod: 'walk' });
    expect(uids(snap.records)).toEqual(['alice', 'carol', 'dave', 'erin', 'frank', 'lena']);
  });

  it('walk with disabled accounts left out, counted within the groups only', async () => {
    const snap = await fetchLdap({ ...base, groups: [staff], disabledFilter: '(employeeType=disabled)' });
    expect(uids(snap.records)).toEqual(['alice', 'carol', 'dave', 'erin', 'frank']);
    expect(snap.notices.map((n) => n.message)).toContain(
      '1 disabled account left out ((employeeType=disabled))',
    );
  });

  it('memberof: the overlay memberOf, nested groups found by their memberOf, cycle-safe', async () => {
    const snap = await fetchLdap({ ...base, groups: [staff], groupMethod: 'memberof' });
    // memberUid and uniqueMember do not produce memberOf: only groupOfNames members count here
    expect(uids(snap.records)).toEqual(['alice', 'carol', 'dave', 'lena']);
  });

  it.each(['walk', 'memberof'])(
    '%s: a group name with * ( ) \\ is matched exactly, not as a pattern',
    async (method) => {
      const snap = await fetchLdap({ ...base, groups: [`cn=a*b(c)\\5cd,${GROUPS}`], groupMethod: method });
      expect(uids(snap.records)).toEqual(['gina']);
      const decoy = await fetchLdap({ ...base, groups: [`cn=a*,${GROUPS}`], groupMethod: method });
      expect(uids(decoy.records)).toEqual(['hank']);
    },
  );

  it.each(['walk', 'memberof'])('%s: a NUL byte in the group name', async (method) => {
    const snap = await fetchLdap({ ...base, groups: [`cn=nul\\00x,${GROUPS}`], groupMethod: method });
    expect(uids(snap.records)).toEqual(['ivan']);
  });

  it('walk: a posixGroup whose memberUid values are DNs finds them; a plain uid still counts', async () => {
    const snap = await fetchLdap({ ...base, groups: [`cn=posix-dn,${GROUPS}`] });
    expect(uids(snap.records)).toEqual(['gina', 'hank', 'ivan']);
  });

  it('a group with no members: the empty snapshot says which group and which attributes were read', async () => {
    const snap = await fetchLdap({ ...base, groups: [`cn=empty,${GROUPS}`] });
    expect(snap.records).toEqual([]);
    expect(snap.whyEmpty).toBe(
      `group cn=empty,${GROUPS} has no members (read member, uniqueMember and memberUid)`,
    );
  });

  it('a missing group or a DN that is not a group stops the run with a ConfigError', async () => {
    const e = await failure({ ...base, groups: [`cn=nope,${GROUPS}`] });
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/cn=nope,ou=groups,dc=example,dc=test does not exist/);
    const e2 = await failure({ ...base, groups: [`uid=alice,${PEOPLE}`] });
    expect(e2.message).toMatch(/is not a group/);
  });
});

describe('check warns when a source or a group matches nobody, with the likely causes', () => {
  async function check(settings: LdapSettings): Promise<readonly string[]> {
    const { source } = makeLdapSource(settings);
    try {
      const r = await source.check(AbortSignal.timeout(scaled(10_000)));
      expect(r.ok).toBe(true);
      return r.lines;
    } finally {
      await source.close();
    }
  }
  const warning = 'WARNING: 0 people match, so a run would stop here. Likely causes:';

  it('the ad preset against OpenLDAP: names the server as not AD and the fix', async () => {
    const lines = await check({ ...base, preset: 'ad', groups: [`cn=staff,${GROUPS}`] });
    expect(lines).toContain(warning);
    const causes = lines.slice(lines.indexOf(warning) + 1).join('\n');
    expect(causes).toMatch(
      /- ldap:\/\/127\.0\.0\.1:\d+ is not Active Directory .*the ad preset's filter \(&\(objectCategory=person\)\(objectClass=user\)\) finds nobody there: set preset: openldap/,
    );
    expect(causes).toMatch(
      /groupMethod in-chain .*1\.2\.840\.113556\.1\.4\.1941, the ad preset default\) matches nobody there: set groupMethod: walk/,
    );
    // the preset's filter is the cause already named, not repeated as "the filter matches nothing"
    expect(causes).not.toMatch(/matches no entry under baseDns/);
  });

  it('in-chain groups on OpenLDAP: use walk', async () => {
    const lines = await check({ ...base, groups: [`cn=staff,${GROUPS}`], groupMethod: 'in-chain' });
    expect(lines).toContain(warning);
    expect(lines.join('\n')).toMatch(
      /is not Active Directory, so groupMethod in-chain .* set groupMethod: walk/,
    );
    expect(lines.join('\n')).not.toMatch(/preset's filter/);
  });

  it('a filter that matches nobody is named with the bases', async () => {
    const lines = await check({ ...base, filter: '(uid=nobody-here)' });
    expect(lines).toContain(warning);
    expect(lines).toContain(
      `  - the filter (uid=nobody-here) matches no entry under baseDns ${PEOPLE} (scope sub): check filter and baseDns`,
    );
    expect(lines.join('\n')).not.toMatch(/Active Directory/);
  });

  it('each configured group that yields nobody is named, with the member attribute it holds', async () => {
    const lines = await check({
      ...base,
      groups: [`cn=staff,${GROUPS}`, `cn=empty,${GROUPS}`, `cn=offline,${GROUPS}`],
      groupMethod: 'memberof',
    });
    expect(lines.filter((l) => l.startsWith('WARNING'))).toEqual([
      `WARNING: group cn=empty,${GROUPS} yields 0 people: cn=empty,${GROUPS} has no members (read member, uniqueMember and memberUid)`,
      // loaded with slapadd: the memberof overlay never set memberOf for it
      `WARNING: group cn=offline,${GROUPS} yields 0 people: cn=offline,${GROUPS} lists member: 2 values, but no person the filter matches has memberOf set to it (the memberof overlay sets memberOf only for members added while it was on, and only through its one member attribute, member by default): use groupMethod: walk`,
    ]);
    // ... and walk, as advised, finds them
    expect(uids((await fetchLdap({ ...base, groups: [`cn=offline,${GROUPS}`] })).records)).toEqual([
      'alice',
      'carol',
    ]);
  });

  it('no warning when every group yields people', async () => {
    const lines = await check({ ...base, groups: [`cn=staff,${GROUPS}`, `cn=posix-dn,${GROUPS}`] });
    expect(lines.some((l) => l.startsWith('WARNING'))).toBe(false);
  });
});

describe('paging and limits (server sizelimit 500 for cn=sync)', () => {
  it('pages across the size limit and reads all entries', async () => {
    const { source, logs } = makeLdapSource({ ...base, baseDns: [`ou=bulk,${SUFFIX}`], pageSize: 200 });
    const snap = await source.fetch(AbortSignal.timeout(scaled(20_000)));
    expect(snap.records).toHaveLength(BULK);
    expect(logs.filter((l) => l.msg === 'ldap page read')).toHaveLength(BULK / 200);
  });

  it('with paging off the size limit fails the source instead of returning 500', async () => {
    const e = await failure({ ...base, baseDns: [`ou=bulk,${SUFFIX}`], pageSize: 0 });
    expect(e).toBeInstanceOf(SourceUnavailableError);
    expect(e.message).toMatch(/size limit stopped the search/);
    expect((e as SourceUnavailableError).fix).toMatch(/paging on/);
  });

  it('a referral result (base inside a referral object) fails the source', async () => {
    const e = await failure({ ...base, baseDns: [`ou=sub,ou=branch,${PEOPLE}`] });
    expect(e).toBeInstanceOf(SourceUnavailableError);
    expect(e.message).toMatch(/referral to another server/);
  });

  it('a base that does not exist is a config error (78) like a wrong group DN, naming the key and the DN', async () => {
    const e = (await failure({ ...base, baseDns: [`ou=nowhere,${SUFFIX}`] })) as ConfigError;
    expect(e).toBeInstanceOf(ConfigError);
    expect(exitCodeFor(e.code)).toBe(78);
    expect(e.place).toBe('sources[dir].baseDns');
    expect(e.message).toMatch(/ou=nowhere,dc=example,dc=test does not exist/);
    expect(e.fix).toMatch(/Correct baseDns/);
    const g = (await failure({ ...base, groups: [`cn=nope,${GROUPS}`] })) as ConfigError;
    expect(exitCodeFor(g.code)).toBe(78);
    expect(g.place).toBe('sources[dir].groups');
    expect(g.message).toMatch(/cn=nope,ou=groups,dc=example,dc=test does not exist/);
  });
});

describe('bind, fail-over, check', () => {
  it('an unreachable server names the URL and the fix', async () => {
    const port = await freePort();
    const e = (await failure({ ...base, urls: [`ldap://127.0.0.1:${port}`] })) as SourceUnavailableError;
    expect(e.message).toBe(`Nothing accepts connections at ldap://127.0.0.1:${port} (connection refused)`);
    expect(e.fix).toMatch(/Check host and port/);
  });

  it('fails over to the next URL when the first cannot be reached', async () => {
    const port = await freePort();
    const { source, logs } = makeLdapSource({ ...base, urls: [`ldap://127.0.0.1:${port}`, slapd.url] });
    const snap = await source.fetch(AbortSignal.timeout(scaled(10_000)));
    expect(snap.records).toHaveLength(15);
    expect(snap.description.startsWith(slapd.url)).toBe(true);
    expect(logs.some((l) => l.msg === 'LDAP server unusable' && l.level === 40)).toBe(true);
  });

  it('check() tests bind and each base and counts the matches, without failing', async () => {
    const { source } = makeLdapSource({
      ...base,
      baseDns: [PEOPLE, `ou=bulk,${SUFFIX}`],
      disabledFilter: '(employeeType=disabled)',
      pageSize: 300,
    });
    const result = await source.check(AbortSignal.timeout(scaled(10_000)));
    expect(result.ok).toBe(true);
    expect(result.lines).toEqual([
      `connect ${slapd.url} (no TLS): OK`,
      `bind as ${SYNC_DN}: OK`,
      `search base ${PEOPLE}: 13 people match`,
      `search base ou=bulk,${SUFFIX}: 1,200 people match`,
      '2 disabled accounts would be left out ((employeeType=disabled))',
      `skipped (not followed) ${PEOPLE}: 1 search reference`,
    ]);
    const bad = makeLdapSource({ ...base, bindPassword: 'nope' }).source;
    const failed = await bad.check(AbortSignal.timeout(scaled(10_000)));
    expect(failed.ok).toBe(false);
    expect(failed.lines.join('\n')).toMatch(/FAILED: Bind as cn=sync.* invalid credentials/);
  });

  it('anonymous bind works; a base hidden from anonymous readers is reported, not read as empty', async () => {
    const { source } = makeLdapSource({ ...base, bindDn: '', bindPassword: '' });
    const result = await source.check(AbortSignal.timeout(scaled(10_000)));
    expect(result.ok).toBe(false);
    expect(result.lines[1]).toBe('anonymous bind: OK');
    expect(result.lines[2]).toMatch(
      /^FAILED: ou=people,dc=example,dc=test does not exist on .*, or the anonymous user may not see it/,
    );
  });
});

describe('TLS: StartTLS and LDAPS with a private CA', () => {
  const tls = (extra: Record<string, unknown>) => ({ ...base, caFile: slapd.pki.caCert, ...extra });

  it.each([
    ['LDAPS to 127.0.0.1', () => tls({ urls: [slapd.ldapsUrl] })],
    ['LDAPS to localhost', () => tls({ urls: [slapd.ldapsLocalhostUrl] })],
    ['StartTLS', () => tls({ urls: [slapd.url], startTls: true })],
  ])('%s with the right CA works', async (_name, settings) => {
    const { source } = makeLdapSource(settings());
    const check = await source.check(AbortSignal.timeout(scaled(10_000)));
    expect(check.lines[0]).toMatch(/TLS, certificate verified\): OK/);
    expect((await source.fetch(AbortSignal.timeout(scaled(10_000)))).records).toHaveLength(15);
  });

  it.each([
    ['LDAPS', () => tls({ urls: [slapd.ldapsUrl], caFile: slapd.pki.otherCaCert })],
    ['StartTLS', () => tls({ urls: [slapd.url], startTls: true, caFile: slapd.pki.otherCaCert })],
    ['LDAPS, system CAs only', () => ({ ...base, urls: [slapd.ldapsUrl] })],
  ])('%s with a CA that did not sign the certificate fails clearly', async (_name, settings) => {
    const e = (await failure(settings())) as SourceUnavailableError;
    expect(e).toBeInstanceOf(SourceUnavailableError);
    expect(e.message).toMatch(/certificate of ldaps?:\/\/127\.0\.0\.1:\d+ is not signed by a trusted CA/);
    expect(e.fix).toMatch(/caFile/);
  });

  it.each([
    ['LDAPS', () => tls({ urls: [slapd.ldapsWrongHostUrl] })],
    ['StartTLS', () => tls({ urls: [slapd.wrongHostUrl], startTls: true })],
  ])('%s to a host name the certificate does not list fails clearly', async (_name, settings) => {
    const e = (await failure(settings())) as SourceUnavailableError;
    expect(e.message).toMatch(/certificate of ldaps?:\/\/127\.0\.0\.2:\d+ is not valid for "127\.0\.0\.2"/);
    expect(e.fix).toMatch(/host name the certificate names/);
  });

  it('a server without StartTLS says so, and the next URL is used', async () => {
    const plain = await startSlapd({ tls: false, pki: slapd.pki });
    try {
      const e = (await failure(tls({ urls: [plain.url], startTls: true }))) as SourceUnavailableError;
      expect(e).toBeInstanceOf(SourceUnavailableError);
      expect(e.message).toMatch(
        /^ldap:\/\/127\.0\.0\.1:\d+ offers no StartTLS \(server said: unsupported extended operation\)$/,
      );
      expect(e.fix).toMatch(/Enable TLS on the server .* or use an ldaps:\/\/ URL/);
      const { source, logs } = makeLdapSource(tls({ urls: [plain.url, slapd.url], startTls: true }));
      const snap = await source.fetch(AbortSignal.timeout(scaled(10_000)));
      expect(snap.records).toHaveLength(15);
      expect(snap.description.startsWith(slapd.url)).toBe(true);
      expect(
        logs.some((l) => l.msg === 'LDAP server unusable' && /offers no StartTLS/.test(String(l.reason))),
      ).toBe(true);
    } finally {
      await plain.stop();
    }
  });

  it('fails over from a TLS failure to the next URL', async () => {
    const snap = await fetchLdap(tls({ urls: [slapd.ldapsWrongHostUrl, slapd.ldapsUrl] }));
    expect(snap.records).toHaveLength(15);
  });

  it('rejectUnauthorized off connects anyway, and warns on every run', async () => {
    const { source, logs } = makeLdapSource(
      tls({ urls: [slapd.ldapsWrongHostUrl], caFile: slapd.pki.otherCaCert, rejectUnauthorized: false }),
    );
    for (let run = 0; run < 2; run++) {
      const snap = await source.fetch(AbortSignal.timeout(scaled(10_000)));
      expect(snap.notices.map((n) => n.message)).toContain(
        `TLS certificate verification is off for ${slapd.ldapsWrongHostUrl} (rejectUnauthorized: false)`,
      );
    }
    expect(logs.filter((l) => l.level === 40 && /verification is off/.test(l.msg))).toHaveLength(2);
  });
});

describe('filters ldapts reads "somehow" are refused before any search (issue #10 item 12)', () => {
  const intended = '(&(|(uid=alice)(uid=bob))(employeeType=disabled))';
  // The ")" closing the OR is missing: ldapts moves (employeeType=disabled) into the OR.
  const swallowed = '(&(|(uid=alice)(uid=bob)(employeeType=disabled))';
  const unclosed = '(&(objectClass=inetOrgPerson)(employeeType=disabled)';

  /** What this server answers to a filter string parsed by ldapts itself. */
  async function ldaptsMatches(filter: string): Promise<string[]> {
    const client = new Client({ url: slapd.url });
    try {
      await client.bind(SYNC_DN, SYNC_PASSWORD);
      const { searchEntries } = await client.search(PEOPLE, { filter, attributes: ['uid'] });
      return searchEntries.map((e) => String(e.uid)).sort();
    } finally {
      await client.unbind();
    }
  }

  /** The source as the loader would build it, but without convict's check: resolveSettings must refuse on its own. */
  function create(filter: string): () => Source {
    return () => makeLdapSource({ ...base, filter }, { check: false }).source;
  }

  it('the swallowed clause is real: on this server ldapts picks 3 people instead of 1', async () => {
    expect(await ldaptsMatches(intended)).toEqual(['bob']);
    expect(await ldaptsMatches(swallowed)).toEqual(['alice', 'bob', 'lena']);
    expect(await ldaptsMatches(unclosed)).toEqual(['bob', 'lena']);
  });

  it.each([
    [swallowed, swallowed.length + 1],
    [unclosed, unclosed.length + 1],
  ])('%s is a config error (78) naming the key and the position', (filter, position) => {
    let e: unknown;
    try {
      create(filter)();
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(ConfigError);
    const c = e as ConfigError;
    expect(exitCodeFor(c.code)).toBe(78);
    expect(c.place).toBe('sources[dir].filter');
    expect(c.message).toMatch(new RegExp(`missing "\\)".* \\(at character ${position}:`));
    // and the schema check refuses it at config load as well
    expect(() => makeLdapSource({ ...base, filter })).toThrow(/not a valid LDAP filter/);
  });

  it('the intended filter reads the same people through our parser', async () => {
    expect(uids((await fetchLdap({ ...base, filter: intended, excludeDisabled: false })).records)).toEqual([
      'bob',
    ]);
  });
});
