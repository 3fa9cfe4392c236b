/** `plan --explain` for the entra source against the Graph stand-in: guest, disabled, not in group, filter. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  captureLogs,
  createTestSource,
  testConfig,
  testContext,
} from '../../../test/helpers/graph-standin/harness.js';
import {
  DEFAULT_CLIENT,
  DEFAULT_SECRET,
  type GraphStandIn,
  makeGuest,
  makeUser,
  objectId,
  startGraphStandIn,
} from '../../../test/helpers/graph-standin/index.js';
import type { PersonLookup } from '../../core/source.js';
import type { EntraSource } from './source.js';

let s: GraphStandIn;
const open: EntraSource[] = [];
const DOOR = objectId(1, 2);
const ada = makeUser(0);
const guest = makeGuest(1);
const blocked = makeUser(2, { accountEnabled: false });
const outsider = makeUser(3);

beforeAll(async () => {
  s = await startGraphStandIn({
    users: [ada, guest, blocked, outsider],
    groups: [{ id: DOOR, displayName: 'Door Access', members: [ada.id, guest.id, blocked.id] }],
  });
});
afterAll(() => s.close());
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function explain(key: string, overrides: Parameters<typeof testConfig>[2] = {}): Promise<PersonLookup> {
  const config = testConfig(s, DEFAULT_CLIENT, { clientSecret: DEFAULT_SECRET, ...overrides });
  const source = createTestSource(config, testContext(captureLogs().logger));
  open.push(source);
  return source.explain(key, new AbortController().signal);
}

describe('entra explain', () => {
  it('finds a member by mail in any case, with each field and its property', async () => {
    const r = await explain(String(ada.mail).toUpperCase());
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      verdict: 'included',
      place: `users/${ada.id} (${ada.userPrincipalName})`,
    });
    expect(r.findings[0]?.fields.find((f) => f.field === 'email')).toMatchObject({
      value: ada.mail,
      from: 'mail',
      key: 'map.email',
    });
  });

  it('finds a user by object id and says guest', async () => {
    const r = await explain(guest.id);
    expect(r.findings[0]).toMatchObject({
      verdict: 'left-out',
      reason: 'guest account (includeGuests is off)',
    });
  });

  it('says disabled', async () => {
    const r = await explain(String(blocked.mail));
    expect(r.findings[0]?.reason).toBe('disabled (accountEnabled is false; includeDisabled is off)');
  });

  it('says not in the group, and which filter does not match', async () => {
    const r = await explain(String(outsider.mail), { groups: ['Door Access'] });
    expect(r.findings[0]?.reason).toBe('not a member of Door Access (direct or nested)');
    const f = await explain(String(ada.mail), { filter: "startsWith(givenName,'Zed')" });
    expect(f.findings[0]?.reason).toBe("filter startsWith(givenName,'Zed') does not match");
  });

  it('traces a map expression for the field it sets', async () => {
    const r = await explain(String(ada.mail), { map: { id: 'employeeId | pad(8)' } });
    expect(r.findings[0]?.fields.find((f) => f.field === 'id')).toEqual({
      field: 'id',
      value: '00001000',
      from: 'the expression employeeId | pad(8)',
      key: 'map.id',
      steps: [
        { step: 'employeeId', value: '1000' },
        { step: 'pad(8)', value: '00001000' },
      ],
    });
  });

  it('says where it looked when nobody matches', async () => {
    const r = await explain('nobody@contoso.com');
    expect(r.findings).toEqual([]);
    expect(r.searched).toContain("mail eq 'nobody@contoso.com'");
  });
});
