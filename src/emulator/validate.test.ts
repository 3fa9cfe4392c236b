import { describe, expect, it } from 'vitest';
import { MALFORMED_EMAILS } from '../../test/helpers/records.js';
import { parseCsv } from './csv.js';
import { type ValidationResult, validateUpload } from './validate.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const validate = (s: string): ValidationResult => validateUpload(utf8(s));

function errorsOf(s: string | Uint8Array): { line: number; message: string }[] {
  const result = validateUpload(typeof s === 'string' ? utf8(s) : s);
  if (result.ok) throw new Error('expected the file to be rejected');
  return result.errors;
}

describe('validateUpload: accepted files', () => {
  it('accepts 5 columns with CRLF line ends and a final line end', () => {
    const result = validate(
      'Ada,Lovelace,ada@example.com,1001,s1\r\nBob,Builder,bob@example.com,1002,s2\r\n',
    );
    expect(result).toEqual({
      ok: true,
      withSyncId: true,
      rows: [
        {
          line: 1,
          firstName: 'Ada',
          lastName: 'Lovelace',
          email: 'ada@example.com',
          id: '1001',
          syncId: 's1',
        },
        {
          line: 2,
          firstName: 'Bob',
          lastName: 'Builder',
          email: 'bob@example.com',
          id: '1002',
          syncId: 's2',
        },
      ],
    });
  });

  it('accepts 4 columns with LF and no final line end', () => {
    const result = validate('Ada,Lovelace,ada@example.com,1001\nBob,Builder,bob@example.com,1002');
    expect(result.ok && result.withSyncId).toBe(false);
    expect(result.ok && result.rows.map((r) => r.line)).toEqual([1, 2]);
  });

  it('accepts quoted fields with commas and doubled quotes, and a UTF-8 BOM', () => {
    const result = validate('\uFEFF"Lovelace, Ada","O""Brien",ada@example.com,"A 1",s1\n');
    expect(result.ok && result.rows[0]).toMatchObject({
      firstName: 'Lovelace, Ada',
      lastName: 'O"Brien',
      id: 'A 1',
    });
  });

  it('accepts non-ASCII names', () => {
    expect(validate('Zoë,Müller-Łukasiewicz,zoe@example.com,7,s1\n').ok).toBe(true);
  });

  it('accepts an empty body (zero rows: the whole list is deleted)', () => {
    expect(validate('')).toEqual({ ok: true, rows: [], withSyncId: false });
    expect(validate('\uFEFF')).toEqual({ ok: true, rows: [], withSyncId: false });
  });

  it('accepts an ID of exactly 255 printable ASCII characters', () => {
    expect(validate(`A,B,a@example.com,${'~'.repeat(255)},s1`).ok).toBe(true);
  });
});

describe('validateUpload: every rule, with its line', () => {
  it('rejects invalid UTF-8, naming each bad line', () => {
    const body = Buffer.concat([
      utf8('Ada,L,ada@example.com,1\n'),
      Buffer.from([0x42, 0xff, 0x2c]),
      utf8('\nok'),
    ]);
    expect(errorsOf(body)).toEqual([{ line: 2, message: expect.stringContaining('UTF-8') }]);
  });

  it('rejects a Latin-1 encoded file', () => {
    expect(errorsOf(Buffer.from('Zo\xeb,M,zoe@example.com,1\n', 'latin1'))[0]?.line).toBe(1);
  });

  it('rejects a header row', () => {
    expect(errorsOf('First name,Last name,E-mail address,ID,Sync ID\nAda,L,ada@example.com,1,s1\n')).toEqual([
      { line: 1, message: 'header row not allowed' },
    ]);
    expect(errorsOf('first,last,email,id\n')).toEqual([{ line: 1, message: 'header row not allowed' }]);
  });

  it('rejects rows with a wrong number of fields', () => {
    expect(errorsOf('Ada,L,ada@example.com\nBob,B,bob@example.com,1,s,x\n')).toEqual([
      { line: 1, message: expect.stringContaining('found 3') },
      { line: 2, message: expect.stringContaining('found 6') },
    ]);
  });

  it('rejects a mix of 4- and 5-field rows, naming the line that set the count', () => {
    expect(errorsOf('Ada,L,ada@example.com,1,s1\nBob,B,bob@example.com,2\n')).toEqual([
      { line: 2, message: expect.stringMatching(/found 4 fields but line 1 has 5/) },
    ]);
  });

  it('rejects empty required fields, including whitespace-only ones', () => {
    expect(
      errorsOf(',L,a@example.com,1,s1\nB, ,b@example.com,2,s2\nC,L,,3,s3\nD,L,d@example.com,,s4\n'),
    ).toEqual([
      { line: 1, message: 'First name is empty' },
      { line: 2, message: 'Last name is empty' },
      { line: 3, message: 'E-mail address is empty' },
      { line: 4, message: 'ID is empty' },
    ]);
  });

  it('rejects an empty Sync ID when the column exists', () => {
    expect(errorsOf('A,L,a@example.com,1,\n')).toEqual([{ line: 1, message: 'Sync ID is empty' }]);
  });

  it('rejects malformed e-mail addresses', () => {
    const bad = [...MALFORMED_EMAILS, 'ada@ex..com'];
    const errors = errorsOf(bad.map((e, i) => `A,L,${e},${i},s${i}`).join('\n'));
    expect(errors.map((e) => e.line)).toEqual(bad.map((_, i) => i + 1));
    expect(errors.every((e) => e.message.includes('not a valid address'))).toBe(true);
  });

  it('rejects an ID outside printable ASCII or longer than 255 bytes', () => {
    expect(
      errorsOf(
        `A,L,a@example.com,Zoë,s1\nB,L,b@example.com,${'1'.repeat(256)},s2\nC,L,c@example.com,a\tb,s3`,
      ),
    ).toEqual([
      { line: 1, message: expect.stringContaining('printable ASCII') },
      { line: 2, message: expect.stringContaining('256 bytes') },
      { line: 3, message: expect.stringContaining('printable ASCII') },
    ]);
  });

  it('rejects fields with line breaks, at the line the record starts', () => {
    expect(
      errorsOf('A,"Love\nlace",a@example.com,1,s1\nB,L,b@example.com,"x\r\ny",s2\nC,L,c@example.com,3,s3\r'),
    ).toEqual([
      { line: 1, message: 'Last name contains a line break' },
      { line: 3, message: 'ID contains a line break' },
      { line: 5, message: 'Sync ID contains a line break' },
    ]);
  });

  it('rejects duplicate e-mails (case-insensitive) and duplicate Sync IDs', () => {
    expect(errorsOf('A,L,a@example.com,1,s1\nB,L,A@Example.com,2,s2\nC,L,c@example.com,3,s1\n')).toEqual([
      { line: 2, message: expect.stringMatching(/duplicate E-mail address .* line 1/) },
      { line: 3, message: expect.stringMatching(/duplicate Sync ID "s1" .* line 1/) },
    ]);
  });

  it('rejects empty lines in the middle and at the end', () => {
    expect(errorsOf('A,L,a@example.com,1\n\nB,L,b@example.com,2\n\n')).toEqual([
      { line: 2, message: 'empty line' },
      { line: 4, message: 'empty line' },
    ]);
  });

  it('rejects quoting errors', () => {
    expect(errorsOf('A,L"x,a@example.com,1\nB,"L"x,b@example.com,2\nC,L,c@example.com,"3\n')).toEqual([
      { line: 1, message: expect.stringContaining('quote character inside an unquoted field') },
      { line: 2, message: 'unexpected text after a closing quote' },
      { line: 3, message: 'unterminated quoted field' },
    ]);
  });

  it('lists every error of a file at once', () => {
    const errors = errorsOf('A,L,bad,1,s1\n,L,b@example.com,2,s2\nC,L,c@example.com,Zoë,s3\n');
    expect(errors.map((e) => e.line)).toEqual([1, 2, 3]);
  });
});

describe('parseCsv', () => {
  it('keeps a trailing comma as an empty last field and counts lines inside quotes', () => {
    const { records } = parseCsv('a,b,\n"x\ny",z\nlast');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b', ''] },
      { line: 2, fields: ['x\ny', 'z'] },
      { line: 4, fields: ['last'] },
    ]);
  });
});
