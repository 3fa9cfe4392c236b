import { describe, expect, it } from 'vitest';
import { MALFORMED_EMAILS, place } from '../../test/helpers/records.js';
import type { PersonFields } from '../core/types.js';
import { validateRecord } from './validate.js';

const ok: PersonFields = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'ada@example.com',
  id: '0001234',
  syncId: 'e1',
};
const codes = (f: Partial<PersonFields>): string[] =>
  validateRecord(place('staff.csv:7'), { ...ok, ...f }).map((r) => `${r.code}:${r.field}`);

describe('validateRecord', () => {
  it('accepts a complete record', () => {
    expect(validateRecord(place('staff.csv:7'), ok)).toEqual([]);
  });

  it('names every empty required field', () => {
    expect(codes({ firstName: '', id: '' })).toEqual(['missing-field:firstName', 'missing-field:id']);
  });

  it('rejects malformed e-mail addresses', () => {
    for (const email of [...MALFORMED_EMAILS, 'ada@exa_mple.com', 'zoë@example.com']) {
      expect(codes({ email })).toEqual(['bad-email:email']);
    }
    expect(codes({ email: 'first.last+tag@sub.example.co.uk' })).toEqual([]);
    expect(codes({ email: 'x@xn--mller-kva.de' })).toEqual([]);
  });

  it('keeps IDs printable ASCII of at most 255 bytes', () => {
    expect(codes({ id: 'Ä123' })).toEqual(['bad-id:id']);
    expect(codes({ id: 'x'.repeat(255) })).toEqual([]);
    expect(codes({ id: 'x'.repeat(256) })).toEqual(['bad-id:id']);
  });

  it('rejects line breaks and control characters in any field', () => {
    expect(codes({ lastName: 'Love\nlace' })).toEqual(['bad-text:lastName']);
    expect(codes({ firstName: 'A\u0007da' })).toEqual(['bad-text:firstName']);
  });

  it('gives a place, a reason and a fix', () => {
    const [r] = validateRecord(place('staff.csv:7'), { ...ok, email: 'nope' });
    expect(r?.place.ref).toBe('staff.csv:7');
    expect(r?.reason).toContain('nope');
    expect(r?.fix).toMatch(/name@example.com/);
  });
});
