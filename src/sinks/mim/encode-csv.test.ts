import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { CsvDialect } from '../../config/schema.js';
import type { PersonFields } from '../../core/types.js';
import { normalizeToIdentity } from '../../pipeline/normalize.js';
import { validateRecord } from '../../pipeline/validate.js';
import { encodePayload, encodeText } from './encode-csv.js';

const MIM: CsvDialect = {
  header: false,
  delimiter: ',',
  encoding: 'utf-8',
  lineEnding: 'crlf',
  includeSyncId: true,
};
const ada: PersonFields = {
  firstName: 'Ada',
  lastName: 'Lovelace, Countess',
  email: 'ada@example.com',
  id: '00"42',
  syncId: 'e-1',
};

describe('encodePayload', () => {
  it("writes MIM's positional order, RFC 4180 quoting and CRLF, without header or BOM", () => {
    expect(encodePayload([ada], MIM).toString('utf8')).toBe(
      'Ada,"Lovelace, Countess",ada@example.com,"00""42",e-1\r\n',
    );
  });

  it('honours the configured dialect', () => {
    const d: CsvDialect = {
      header: true,
      delimiter: ';',
      encoding: 'utf-8-bom',
      lineEnding: 'lf',
      includeSyncId: false,
    };
    const bytes = encodePayload([{ ...ada, lastName: 'Müller' }], d);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toBe(
      'First name;Last name;E-mail address;ID\nAda;Müller;ada@example.com;"00""42"\n',
    );
    const w = encodePayload([{ ...ada, lastName: 'Weiß' }], { ...MIM, encoding: 'windows-1252' });
    expect(iconv.decode(w, 'windows-1252')).toContain('Weiß');
  });

  it('refuses an encoding that cannot carry a name, naming the person', () => {
    expect(() =>
      encodePayload(
        [{ ...ada, lastName: 'Şahin', place: { source: 'hr', kind: 'csv-folder', ref: 'a.csv:3' } }],
        { ...MIM, encoding: 'windows-1252' },
      ),
    ).toThrow(/windows-1252/);
  });

  it('an empty set is an empty file', () => {
    expect(encodePayload([], MIM).length).toBe(0);
  });

  it('normalise → serialise → parse gives back the same valid fields (any dialect)', () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
    const raw = fc.record({
      firstName: text,
      lastName: text,
      email: fc.emailAddress(),
      id: fc.string({
        unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        minLength: 1,
        maxLength: 30,
      }),
      syncId: fc.uuid(),
    });
    const dialect = fc.record({
      header: fc.boolean(),
      delimiter: fc.constantFrom(',', ';', '\t'),
      encoding: fc.constant('utf-8'),
      lineEnding: fc.constantFrom('crlf', 'lf'),
      includeSyncId: fc.constant(true),
    }) as fc.Arbitrary<CsvDialect>;
    fc.assert(
      fc.property(fc.array(raw, { maxLength: 10 }), dialect, (rows, d) => {
        const valid = rows
          .map((r) => normalizeToIdentity({ ...r, place: { source: 's', kind: 'csv-folder', ref: 'x' } }))
          .filter((f) => validateRecord({ source: 's', kind: 'csv-folder', ref: 'x' }, f).length === 0);
        const parsed = parse(encodeText(valid, d), {
          delimiter: d.delimiter,
          relax_quotes: false,
        }) as string[][];
        const body = d.header ? parsed.slice(1) : parsed;
        expect(body).toEqual(valid.map((v) => [v.firstName, v.lastName, v.email, v.id, v.syncId]));
      }),
      { numRuns: 1000 },
    );
  });
});
