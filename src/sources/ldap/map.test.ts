import { describe, expect, it } from 'vitest';
import { compileFields } from '../field-map.js';
import {
  type AttributeMapping,
  createMapper,
  fieldOrigins,
  guidToBytes,
  guidToString,
  mappedAttributes,
  parseTemplate,
  type RawAttribute,
  type RawEntry,
  splitFullName,
  templateProblem,
} from './map.js';

const AD: AttributeMapping = {
  firstName: 'givenName',
  lastName: 'sn',
  email: 'mail',
  emailFallback: 'userPrincipalName',
  id: 'employeeID',
  idTemplate: undefined,
  syncId: 'objectGUID',
  syncIdFormat: 'guid',
  displayName: 'displayName',
  commonName: 'cn',
};

const OPENLDAP: AttributeMapping = {
  ...AD,
  emailFallback: undefined,
  id: 'employeeNumber',
  syncId: 'entryUUID',
  syncIdFormat: 'text',
};

type Value = string | Buffer;

function attr(type: string, value: Value | readonly Value[]): RawAttribute {
  const values = typeof value === 'string' || Buffer.isBuffer(value) ? [value] : [...value];
  return {
    type,
    values,
    parsedBuffers: values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)),
  };
}

/** An entry as ldapts hands it over, its attributes in the order written (a list for several values). */
function entry(dn: string, attributes: Readonly<Record<string, Value | readonly Value[]>> = {}): RawEntry {
  return { dn, attributes: Object.entries(attributes).map(([type, value]) => attr(type, value)) };
}

describe('guidToString', () => {
  it('reads the first three groups little-endian, like Windows and Samba print them', () => {
    // bytes as stored in AD for 01234567-89ab-cdef-0123-456789abcdef
    const bytes = Buffer.from('67452301ab89efcd0123456789abcdef', 'hex');
    expect(guidToString(bytes)).toBe('01234567-89ab-cdef-0123-456789abcdef');
  });

  it('round-trips with guidToBytes', () => {
    const g = 'a1b2c3d4-e5f6-4789-8abc-def012345678';
    const bytes = guidToBytes(g);
    expect(bytes?.toString('hex')).toBe('d4c3b2a1f6e589478abcdef012345678');
    expect(guidToString(bytes ?? Buffer.alloc(0))).toBe(g);
  });

  it('rejects anything but 16 bytes', () => {
    expect(guidToString(Buffer.alloc(15))).toBeUndefined();
    expect(guidToString(Buffer.alloc(17))).toBeUndefined();
    expect(guidToBytes('not-a-guid')).toBeUndefined();
  });
});

describe('splitFullName', () => {
  it('takes the first word as the first name and the rest as the last name', () => {
    expect(splitFullName('Anna Maria Schmidt')).toEqual({ first: 'Anna', last: 'Maria Schmidt' });
  });
  it('honours "Last, First"', () => {
    expect(splitFullName('Müller, Jürgen')).toEqual({ first: 'Jürgen', last: 'Müller' });
  });
  it('uses a known part to place the rest', () => {
    expect(splitFullName('Anna Maria Schmidt', { first: 'Anna Maria' })).toEqual({
      first: 'Anna Maria',
      last: 'Schmidt',
    });
    expect(splitFullName('Anna Maria von Berg', { last: 'von Berg' })).toEqual({
      first: 'Anna Maria',
      last: 'von Berg',
    });
  });
  it('gives one word as a first name only, and nothing for blanks', () => {
    expect(splitFullName('  Reception ')).toEqual({ first: 'Reception' });
    expect(splitFullName('   ')).toEqual({});
  });
});

describe('ID templates', () => {
  it('parses literals and placeholders with widths', () => {
    expect(parseTemplate('E-{employeeNumber:8}/{sn}')).toEqual([
      'E-',
      { attribute: 'employeeNumber', width: 8 },
      '/',
      { attribute: 'sn', width: 0 },
    ]);
  });
  it('reports unusable templates', () => {
    expect(templateProblem('')).toBeUndefined();
    expect(templateProblem('{employeeNumber:8}')).toBeUndefined();
    expect(templateProblem('plain')).toMatch(/no \{attribute\}/);
    expect(templateProblem('{employeeNumber')).toMatch(/no \{attribute\}/);
    expect(templateProblem('{a} {b')).toMatch(/malformed/);
    expect(templateProblem('{a:x}')).toMatch(/no \{attribute\}/);
  });
});

describe('mappedAttributes', () => {
  it('requests each mapped attribute once, template attributes included, nothing else', () => {
    expect(
      mappedAttributes({
        ...AD,
        id: undefined,
        idTemplate: '{employeeNumber:8}',
        commonName: 'CN',
        displayName: 'cn',
      }),
    ).toEqual(['givenName', 'sn', 'mail', 'userPrincipalName', 'objectGUID', 'cn', 'employeeNumber']);
  });
});

describe('createMapper', () => {
  const guid = guidToBytes('01234567-89ab-cdef-0123-456789abcdef') ?? Buffer.alloc(0);

  it('maps the ad preset, objectGUID as a GUID string, place = DN', () => {
    const map = createMapper(AD, 'corp');
    const r = map(
      entry('CN=Zoë Şahin,OU=Staff,DC=corp,DC=example', {
        givenName: 'Zoë',
        sn: 'Şahin',
        mail: 'zoe@corp.example',
        employeeID: '4711',
        objectGUID: guid,
      }),
    );
    expect(r).toEqual({
      place: { source: 'corp', kind: 'ldap', ref: 'CN=Zoë Şahin,OU=Staff,DC=corp,DC=example' },
      firstName: 'Zoë',
      lastName: 'Şahin',
      email: 'zoe@corp.example',
      id: '4711',
      syncId: '01234567-89ab-cdef-0123-456789abcdef',
      notes: undefined,
    });
  });

  it('matches attribute names case-insensitively and ignores tagged variants', () => {
    const map = createMapper(OPENLDAP, 'dir');
    const r = map(
      entry('uid=a', { GIVENNAME: 'Ann', 'givenName;lang-de': 'Anna', SN: 'Lee', entryuuid: 'abc' }),
    );
    expect(r.firstName).toBe('Ann');
    expect(r.lastName).toBe('Lee');
    expect(r.syncId).toBe('abc');
  });

  it('falls back to userPrincipalName for the e-mail, with a note', () => {
    const r = createMapper(
      AD,
      'corp',
    )(entry('cn=x', { givenName: 'A', sn: 'B', userPrincipalName: 'a.b@corp.example' }));
    expect(r.email).toBe('a.b@corp.example');
    expect(r.notes).toEqual(['e-mail taken from userPrincipalName (mail is empty)']);
  });

  it('leaves the e-mail empty when neither attribute is set (the pipeline rejects it)', () => {
    const r = createMapper(AD, 'corp')(entry('cn=x', { givenName: 'A', sn: 'B', mail: '  ' }));
    expect(r.email).toBeUndefined();
  });

  it('splits displayName, then cn, when givenName or sn are empty, and notes it', () => {
    const map = createMapper(AD, 'corp');
    const a = map(entry('cn=x', { sn: 'Doe', displayName: 'Chris Doe' }));
    expect([a.firstName, a.lastName]).toEqual(['Chris', 'Doe']);
    expect(a.notes).toEqual(['first name taken from displayName (givenName is empty)']);
    const b = map(entry('cn=x', { givenName: 'Dana', cn: 'Dana Cn Extra' }));
    expect([b.firstName, b.lastName]).toEqual(['Dana', 'Cn Extra']);
    expect(b.notes).toEqual(['last name taken from cn (sn is empty)']);
    const c = map(entry('cn=x', { displayName: 'Müller, Jürgen' }));
    expect([c.firstName, c.lastName]).toEqual(['Jürgen', 'Müller']);
    expect(c.notes).toHaveLength(2);
  });

  it('builds the ID from a zero-padded template, or notes what is missing', () => {
    const map = createMapper({ ...AD, id: undefined, idTemplate: 'E{employeeNumber:8}' }, 'corp');
    expect(map(entry('cn=x', { employeeNumber: '1234' })).id).toBe('E00001234');
    expect(map(entry('cn=x', { employeeNumber: '123456789' })).id).toBe('E123456789');
    const missing = map(entry('cn=x'));
    expect(missing.id).toBeUndefined();
    expect(missing.notes).toEqual(['ID template E{employeeNumber:8}: employeeNumber is empty']);
  });

  it('builds fields from map.* expressions and requests exactly what they read', () => {
    const expressions = compileFields(
      { id: 'pager | hex2dec | pad(10)', email: 'first(mail, userPrincipalName) | lower' },
      (k) => k,
    );
    const m = { ...AD, expressions };
    expect(mappedAttributes(m)).toEqual([
      'givenName',
      'sn',
      'userPrincipalName',
      'objectGUID',
      'displayName',
      'cn',
      'pager',
      'mail',
    ]);
    const map = createMapper(m, 'corp');
    const r = map(
      entry('cn=x', { pager: '1A2B3C4D', userPrincipalName: 'Ada@Corp.Example', employeeID: '9' }),
    );
    expect([r.id, r.email]).toEqual(['0439041101', 'ada@corp.example']);
    const bad = map(entry('cn=y', { pager: '12G4', mail: 'a@b.c' }));
    expect(bad.id).toBeUndefined();
    expect(bad.notes).toEqual([
      'map.id pager | hex2dec | pad(10): hex2dec ("12G4" is not a hexadecimal number) gave nothing',
    ]);
    expect(fieldOrigins(m)).toMatchObject({
      id: { from: 'the expression pager | hex2dec | pad(10)', key: 'map.id' },
      firstName: { from: 'attribute givenName', key: 'attributes.firstName or map.firstName' },
    });
  });

  it('leaves a malformed objectGUID out with a note instead of inventing a Sync ID', () => {
    const r = createMapper(AD, 'corp')(entry('cn=x', { objectGUID: Buffer.alloc(4) }));
    expect(r.syncId).toBeUndefined();
    expect(r.notes).toEqual(['objectGUID is 4 bytes, not a 16-byte GUID']);
  });

  it('takes the first of several values', () => {
    const r = createMapper(OPENLDAP, 'dir')(entry('uid=a', { mail: ['first@x.test', 'second@x.test'] }));
    expect(r.email).toBe('first@x.test');
  });
});
