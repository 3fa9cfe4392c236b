import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFields } from '../field-map.js';
import {
  compileTemplate,
  type EntraMapping,
  fieldOrigins,
  type GraphUser,
  type IdTemplate,
  mapUser,
  mapUsers,
  selectProperties,
  splitDisplayName,
} from './map.js';

function template(text: string): IdTemplate {
  const t = compileTemplate(text);
  if (typeof t === 'string') throw new Error(t);
  return t;
}

const mapping = (over: Partial<EntraMapping> = {}): EntraMapping => ({
  firstName: 'givenName',
  lastName: 'surname',
  email: 'mail',
  emailFallbacks: ['proxyAddresses', 'userPrincipalName'],
  allowTenantUpn: false,
  id: template('{employeeId}'),
  ...over,
});

const ada: GraphUser = {
  id: '6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0',
  givenName: 'Ada',
  surname: 'Lovelace',
  displayName: 'Ada Lovelace',
  mail: 'ada@contoso.com',
  userPrincipalName: 'ada@contoso.com',
  accountEnabled: true,
  employeeId: 'E1001',
  userType: 'Member',
  proxyAddresses: ['SMTP:ada@contoso.com'],
  otherMails: [],
};

describe('compileTemplate', () => {
  it('reads a bare property name', () => {
    expect(template('employeeId').properties).toEqual(['employeeId']);
  });
  it('reads placeholders, widths and literal text', () => {
    const t = template('B-{employeeId:8}/{onPremisesExtensionAttributes/extensionAttribute1}');
    expect(t.properties).toEqual(['employeeId', 'onPremisesExtensionAttributes/extensionAttribute1']);
    expect(t.parts[0]).toEqual({ text: 'B-' });
    expect(t.parts[1]).toEqual({ property: 'employeeId', width: 8 });
  });
  it.each([
    ['{employee id}', 'does not name a property'],
    ['{employeeId:0}', 'width'],
    ['{employeeId:abc}', 'width'],
    ['x}{employeeId}', 'unbalanced'],
    ['fixed text', 'not a property name'],
  ])('rejects %s', (text, why) => {
    expect(compileTemplate(text)).toContain(why);
  });
});

describe('selectProperties', () => {
  it('selects only what mapping and scope rules read, top-level names once', () => {
    const select = selectProperties(
      mapping({ id: template('{onPremisesExtensionAttributes/extensionAttribute1}-{employeeId}') }),
    );
    expect(select).toEqual([
      'id',
      'userPrincipalName',
      'displayName',
      'userType',
      'accountEnabled',
      'givenName',
      'surname',
      'mail',
      'proxyAddresses',
      'onPremisesExtensionAttributes',
      'employeeId',
    ]);
  });
});

describe('mapUser', () => {
  it('maps the presets and uses the object id as Sync ID', () => {
    const r = mapUser(ada, mapping(), 'entra');
    // The place is built when read (a getter), so it is compared on its own.
    expect(r.place).toEqual({
      source: 'entra',
      kind: 'entra',
      ref: 'users/6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0 (ada@contoso.com)',
    });
    expect({ ...r }).toEqual({
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@contoso.com',
      id: 'E1001',
      syncId: ada.id,
    });
  });

  it('splits displayName when names are missing, and says so', () => {
    const r = mapUser(
      { ...ada, givenName: null, surname: null, displayName: 'Ada King Lovelace' },
      mapping(),
      's',
    );
    expect([r.firstName, r.lastName]).toEqual(['Ada', 'King Lovelace']);
    expect(r.notes).toEqual([
      'first name taken from displayName because givenName is empty',
      'last name taken from displayName because surname is empty',
    ]);
    expect(splitDisplayName('Lovelace, Ada')).toEqual({ first: 'Ada', last: 'Lovelace' });
    expect(splitDisplayName('Cher')).toEqual({ first: 'Cher' });
  });

  it('falls back to the primary SMTP address, then the UPN, and reports it', () => {
    const noMail = {
      ...ada,
      mail: null,
      proxyAddresses: ['smtp:alias@contoso.com', 'SMTP:primary@contoso.com'],
    };
    const a = mapUser(noMail, mapping(), 's');
    expect(a.email).toBe('primary@contoso.com');
    expect(a.notes).toEqual(['e-mail taken from proxyAddresses because mail is empty']);
    const b = mapUser({ ...noMail, proxyAddresses: [] }, mapping(), 's');
    expect(b.email).toBe('ada@contoso.com');
    expect(b.notes).toEqual(['e-mail taken from userPrincipalName because mail is empty']);
  });

  it('uses otherMails only when configured', () => {
    const u = {
      ...ada,
      mail: null,
      proxyAddresses: [],
      otherMails: ['ada@home.example'],
      userPrincipalName: 'ada@contoso.onmicrosoft.com',
    };
    expect(mapUser(u, mapping(), 's').email).toBeUndefined();
    expect(mapUser(u, mapping({ emailFallbacks: ['otherMails'] }), 's').email).toBe('ada@home.example');
  });

  it('does not use an onmicrosoft.com or #EXT# UPN as e-mail unless allowed', () => {
    const u = { ...ada, mail: null, proxyAddresses: [], userPrincipalName: 'room1@contoso.onmicrosoft.com' };
    const r = mapUser(u, mapping(), 's');
    expect(r.email).toBeUndefined();
    expect(r.notes?.[0]).toContain('room1@contoso.onmicrosoft.com is not a mailbox');
    expect(mapUser(u, mapping({ allowTenantUpn: true }), 's').email).toBe('room1@contoso.onmicrosoft.com');
    const guest = { ...u, userPrincipalName: 'gus_fabrikam.com#EXT#@contoso.com' };
    expect(mapUser(guest, mapping(), 's').email).toBeUndefined();
  });

  it('builds the ID from a template with zero padding, and notes a missing value', () => {
    const t = mapping({ id: template('{employeeId:8}') });
    expect(mapUser({ ...ada, employeeId: '1234' }, t, 's').id).toBe('00001234');
    expect(mapUser({ ...ada, employeeId: '123456789' }, t, 's').id).toBe('123456789');
    const ext = mapping({ id: template('onPremisesExtensionAttributes/extensionAttribute1') });
    expect(
      mapUser({ ...ada, onPremisesExtensionAttributes: { extensionAttribute1: 'B77' } }, ext, 's').id,
    ).toBe('B77');
    const dir = mapping({ id: template('extension_abc_badge') });
    expect(mapUser({ ...ada, extension_abc_badge: 4711 }, dir, 's').id).toBe('4711');
    const missing = mapUser({ ...ada, employeeId: null }, t, 's');
    expect(missing.id).toBeUndefined();
    expect(missing.notes).toEqual(['no ID: employeeId is empty']);
  });

  it('never throws and always keeps the object id, whatever Graph sends', () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.array(fc.string()),
      fc.object(),
    );
    fc.assert(
      fc.property(fc.uuid(), fc.dictionary(fc.string(), value), (id, props) => {
        const r = mapUser(
          { ...props, id },
          mapping({ emailFallbacks: ['proxyAddresses', 'otherMails', 'userPrincipalName'] }),
          's',
        );
        expect(r.syncId).toBe(id);
        expect(r.place.ref.startsWith(`users/${id}`)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('mapUsers', () => {
  const guest = { ...ada, id: 'g', userType: 'Guest' };
  const extGuest = {
    ...ada,
    id: 'x',
    userType: 'Member',
    userPrincipalName: 'x_f.com#EXT#@contoso.onmicrosoft.com',
  };
  const disabled = { ...ada, id: 'd', accountEnabled: false };

  it('leaves out guests and disabled accounts by default', () => {
    const r = mapUsers(
      [ada, guest, extGuest, disabled],
      mapping(),
      { includeGuests: false, includeDisabled: false },
      's',
    );
    expect(r.records.map((x) => x.syncId)).toEqual([ada.id]);
    expect([r.skippedGuests, r.skippedDisabled]).toEqual([2, 1]);
  });

  it('keeps them when asked', () => {
    const r = mapUsers(
      [ada, guest, extGuest, disabled],
      mapping(),
      { includeGuests: true, includeDisabled: true },
      's',
    );
    expect(r.records).toHaveLength(4);
  });
});

describe('map.* expressions', () => {
  it('reads Graph property paths, and names of object internals read nothing', () => {
    const expressions = compileFields(
      {
        id: 'onPremisesExtensionAttributes/extensionAttribute1 | hex2dec | pad(8)',
        firstName: 'constructor',
      },
      (k) => k,
    );
    const m = mapping({ expressions });
    expect(selectProperties(m)).toContain('onPremisesExtensionAttributes');
    const r = mapUser({ ...ada, onPremisesExtensionAttributes: { extensionAttribute1: 'FF' } }, m, 'entra');
    expect(r.id).toBe('00000255');
    // `constructor` is an input like any other: Ada has no such property, so displayName is used.
    expect(r.firstName).toBe('Ada');
    expect(r.notes).toContain('first name taken from displayName because givenName is empty');
    expect(fieldOrigins(m).id).toEqual({
      from: 'the expression onPremisesExtensionAttributes/extensionAttribute1 | hex2dec | pad(8)',
      key: 'map.id',
    });
  });
});
