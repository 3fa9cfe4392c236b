/**
 * `plan --explain` for the ldap source against a real slapd: the person is searched without the
 * user filter, the groups and the disabled rule, and each rule that leaves them out is named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchLdap,
  type LdapSettings,
  makeLdapSource,
  startSlapdDirectory,
} from '../../../test/helpers/ldap-source.js';
import { fixture, type Slapd, SUFFIX } from '../../../test/helpers/slapd.js';
import { scaled } from '../../../test/helpers/timing.js';
import type { PersonLookup } from '../../core/source.js';

const PEOPLE = `ou=people,${SUFFIX}`;
const STAFF = `cn=staff,ou=groups,${SUFFIX}`;

let slapd: Slapd;
let base: LdapSettings;

beforeAll(async () => {
  ({ slapd, base } = await startSlapdDirectory({ offline: [fixture('base.ldif'), fixture('people.ldif')] }, [
    PEOPLE,
  ]));
});
afterAll(async () => {
  await slapd?.stop();
});

async function explain(settings: LdapSettings, key: string): Promise<PersonLookup> {
  const { source } = makeLdapSource(settings);
  try {
    const found = await source.explain?.(key, AbortSignal.timeout(scaled(20_000)));
    if (!found) throw new Error('the ldap source has no explain');
    return found;
  } finally {
    await source.close();
  }
}

describe('ldap explain', () => {
  it('names the user filter that does not match', async () => {
    const filter = '(&(objectClass=inetOrgPerson)(employeeNumber=1001))';
    const r = await explain({ ...base, filter }, 'BOB@example.test');
    expect(r.findings).toEqual([
      expect.objectContaining({
        place: `uid=bob,${PEOPLE}`,
        verdict: 'left-out',
        reason: `filter ${filter} does not match`,
      }),
    ]);
  });

  it.each(['walk', 'memberof'])(
    '%s: says who is not a member of the groups, direct or nested',
    async (groupMethod) => {
      const settings = { ...base, groups: [STAFF], groupMethod };
      const gina = await explain(settings, 'gina@example.test');
      expect(gina.findings[0]).toMatchObject({
        verdict: 'left-out',
        reason: `not a member of ${STAFF} (direct or nested)`,
      });
      // dave is in team-b, inside team-a, inside staff
      const dave = await explain(settings, 'dave@example.test');
      expect(dave.findings[0]).toMatchObject({ place: `uid=dave,${PEOPLE}`, verdict: 'included' });
    },
  );

  it('says disabled with the rule and the account flags', async () => {
    const r = await explain({ ...base, disabledFilter: '(employeeType=disabled)' }, 'bob@example.test');
    expect(r.findings[0]).toMatchObject({
      verdict: 'left-out',
      reason: 'disabled ((employeeType=disabled); userAccountControl 514)',
    });
  });

  it('finds an included person by Sync ID with each field and its attribute', async () => {
    const snap = await fetchLdap(base);
    const alice = snap.records.find((r) => r.email === 'alice@example.test');
    const r = await explain(base, alice!.syncId!);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ place: `uid=alice,${PEOPLE}`, verdict: 'included' });
    expect(r.findings[0]?.fields).toEqual([
      { field: 'firstName', value: 'Alice', from: 'givenName', key: 'attributes.firstName', steps: [] },
      { field: 'lastName', value: 'Example', from: 'sn', key: 'attributes.lastName', steps: [] },
      { field: 'email', value: 'alice@example.test', from: 'mail', key: 'attributes.email', steps: [] },
      expect.objectContaining({ field: 'id', value: '1001' }),
      { field: 'syncId', value: alice!.syncId, from: 'entryUUID', key: 'attributes.syncId', steps: [] },
    ]);
  });

  it('shows the ID template step by step', async () => {
    const r = await explain({ ...base, idTemplate: 'E-{employeeNumber:6}' }, 'alice@example.test');
    const id = r.findings[0]?.fields.find((f) => f.field === 'id');
    expect(id).toMatchObject({ value: 'E-001001', from: 'template E-{employeeNumber:6}', key: 'idTemplate' });
    expect(id?.steps.slice(0, 2)).toEqual([
      { step: 'employeeNumber', value: '1001' },
      { step: 'pad(6)', value: '001001' },
    ]);
    expect(id?.steps.at(-1)?.value).toBe('E-001001');
  });

  it('traces a map expression for the field it sets', async () => {
    const r = await explain({ ...base, map: { id: 'employeeNumber | pad(8)' } }, 'alice@example.test');
    expect(r.findings[0]?.fields.find((f) => f.field === 'id')).toEqual({
      field: 'id',
      value: '00001001',
      from: 'the expression employeeNumber | pad(8)',
      key: 'map.id',
      steps: [
        { step: 'employeeNumber', value: '1001' },
        { step: 'pad(8)', value: '00001001' },
      ],
    });
  });

  it('says where it looked when nobody matches', async () => {
    const r = await explain(base, 'nobody@example.test');
    expect(r.findings).toEqual([]);
    expect(r.searched).toContain(PEOPLE);
    expect(r.searched).toContain('nobody@example.test');
  });
});
