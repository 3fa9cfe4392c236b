import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MALFORMED_EMAILS, place } from '../../test/helpers/records.js';
import type { PersonFields, SourceRecord } from '../core/types.js';
import { normalizeToIdentity } from './normalize.js';
import { alreadyNormalAndValid, NO_PROBLEMS, validateFields, validateRecord } from './validate.js';

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

describe('alreadyNormalAndValid', () => {
  const piece = fc.constantFrom(
    'a',
    'Z',
    ' ',
    '  ',
    '@',
    '.',
    'example.com',
    'ä',
    '\t',
    '\n',
    '-',
    '1',
    'xn--',
    '',
  );
  const value = fc.option(
    fc.array(piece, { maxLength: 8 }).map((p) => p.join('')),
    { nil: undefined },
  );
  const email = fc.oneof(value, fc.constantFrom('ada@example.com', 'Ada@example.com', ' ada@example.com'));

  it('says yes only when normalising changes nothing and the full checks find nothing', () => {
    fc.assert(
      fc.property(
        value,
        value,
        email,
        value,
        value,
        fc.boolean(),
        (firstName, lastName, mail, id, syncId, noted) => {
          const record: SourceRecord = {
            place: place('staff.csv:2'),
            firstName,
            lastName,
            email: mail,
            id,
            syncId,
            ...(noted ? { notes: ['last name from displayName'] } : {}),
          };
          if (!alreadyNormalAndValid(record)) return;
          expect(normalizeToIdentity(record)).toBe(record);
          expect(validateFields(record, record)).toBe(NO_PROBLEMS);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('takes the common row', () => {
    expect(alreadyNormalAndValid({ place: place('staff.csv:2'), ...ok })).toBe(true);
    expect(alreadyNormalAndValid({ place: place('staff.csv:2'), ...ok, email: 'Ada@example.com' })).toBe(
      false,
    );
  });
});
