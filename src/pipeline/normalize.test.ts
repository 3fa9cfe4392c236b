import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { place } from '../../test/helpers/records.js';
import { normalizeEmail, normalizeText, normalizeToIdentity } from './normalize.js';

describe('normalize', () => {
  it('trims, collapses inner spaces and tabs, and composes to NFC', () => {
    expect(normalizeText('  Zoe\u0308 \t  Müller  ')).toBe('Zoë Müller');
    expect(normalizeText('Ada\u00a0Lovelace')).toBe('Ada Lovelace');
  });

  it('keeps line breaks so the validator can reject them with the row', () => {
    expect(normalizeText('Ada\nLovelace')).toBe('Ada\nLovelace');
  });

  it('lower-cases e-mail', () => {
    expect(normalizeEmail(' Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
  });

  it('turns missing fields into empty strings', () => {
    expect(normalizeToIdentity({ place: place('x:1') })).toEqual({
      firstName: '',
      lastName: '',
      email: '',
      id: '',
      syncId: '',
      place: place('x:1'),
    });
  });

  it('returns an already normal record itself, and a new one with its place otherwise', () => {
    const clean = {
      place: place('x:2'),
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      id: '1',
      syncId: 'S1',
    };
    expect(normalizeToIdentity(clean)).toBe(clean);
    expect(normalizeToIdentity({ ...clean, email: 'Ada@Example.com', notes: [] })).toEqual({
      ...clean,
      email: 'ada@example.com',
    });
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const once = normalizeText(s);
        expect(normalizeText(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });
});
