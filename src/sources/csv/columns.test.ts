import { describe, expect, it } from 'vitest';
import { AUTO_SETTINGS } from '../../../test/helpers/csv-files.js';
import { type MappingInput, mapColumns, normalizeHeader, SYNONYMS } from './columns.js';

const AUTO = AUTO_SETTINGS.columns;
const row = ['Anna', 'Alpha', 'anna@example.com', '1001', 'E1'];

function map(input: Partial<MappingInput>) {
  return mapColumns({ header: undefined, sample: [row], columns: AUTO, syncId: 'column', ...input });
}

function indices(input: Partial<MappingInput>) {
  const r = map(input);
  if (!r.ok) throw new Error(r.problems.map((p) => p.reason).join('; '));
  const { firstName, lastName, email, id, syncId } = r.mapping;
  return [firstName, lastName, email, id, syncId];
}

describe('normalizeHeader', () => {
  it('ignores case, spaces, punctuation and accents', () => {
    expect(normalizeHeader('E-Mail-Adresse')).toBe('emailadresse');
    expect(normalizeHeader(' First  Name ')).toBe('firstname');
    expect(normalizeHeader('Ausweis-Nr.')).toBe('ausweisnr');
    expect(normalizeHeader('E-Mail (geschäftlich)')).toBe('emailgeschaftlich');
    expect(normalizeHeader('Straße')).toBe('strasse');
  });

  it('keeps every synonym in normalised form', () => {
    for (const names of Object.values(SYNONYMS)) for (const n of names) expect(normalizeHeader(n)).toBe(n);
  });
});

describe('mapColumns with a header', () => {
  it('maps German Excel headers', () => {
    const header = ['Vorname', 'Nachname', 'E-Mail', 'Ausweisnummer', 'Personalnummer'];
    expect(indices({ header })).toEqual([0, 1, 2, 3, 4]);
  });

  it('maps English headers in any order, ignoring extra columns', () => {
    const header = ['Department', 'Employee ID', 'Email Address', 'Surname', 'Given name', 'Badge number'];
    const sample = [['IT', 'E1', 'a@example.com', 'Alpha', 'Anna', '1']];
    expect(indices({ header, sample })).toEqual([4, 3, 2, 5, 1]);
  });

  it('uses "Name" as the last name only when nothing better is there', () => {
    expect(indices({ header: ['Vorname', 'Name', 'Mail', 'Karten-Nr.'] })).toEqual([0, 1, 2, 3, -1]);
    const sample = [['Anna Alpha', 'Anna', 'Alpha', 'anna@example.com', '1']];
    expect(indices({ header: ['Name', 'Vorname', 'Nachname', 'Mail', 'ID'], sample })).toEqual([
      1, 2, 3, 4, -1,
    ]);
  });

  it('reads Personalnummer as the Sync ID, not the credential ID', () => {
    const r = map({ header: ['Vorname', 'Nachname', 'E-Mail', 'Personalnummer'] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]?.reason).toMatch(/no ID column/);
      expect(r.problems[0]?.fix).toMatch(/columns\.id/);
    }
    const columns = { ...AUTO, id: 'Personalnummer' };
    expect(indices({ header: ['Vorname', 'Nachname', 'E-Mail', 'Personalnummer'], columns })).toEqual([
      0, 1, 2, 3, 3,
    ]);
  });

  it('honours configured header names and positions before detection', () => {
    const header = ['Vorname', 'Nachname', 'Privat', 'Dienstlich', 'Ausweis'];
    const columns = { ...AUTO, email: 'dienstlich', firstName: '2', lastName: '1' };
    const sample = [['Alpha', 'Anna', 'a@home', 'a@work', '1']];
    expect(indices({ header, columns, sample })).toEqual([1, 0, 3, 4, -1]);
  });

  it('lists every field it cannot find, naming the headers', () => {
    const r = map({ header: ['Foo', 'Bar', 'Baz'], sample: [] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.reason)).toEqual([
        expect.stringMatching(/no First name column.*"Foo", "Bar", "Baz"/),
        expect.stringMatching(/no Last name column/),
        expect.stringMatching(/no E-mail address column/),
        expect.stringMatching(/no ID column/),
      ]);
    }
  });

  it('reports a configured header name that is not there', () => {
    const r = map({ header: ['Vorname', 'Nachname', 'E-Mail', 'ID'], columns: { ...AUTO, syncId: 'GUID' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.reason).toMatch(/columns.syncId is "GUID"/);
  });
});

describe('mapColumns without a header', () => {
  it("defaults to MIM's column order", () => {
    expect(indices({})).toEqual([0, 1, 2, 3, 4]);
  });

  it('derives the Sync ID when there is no fifth column, or when told to', () => {
    const r = map({ sample: [row.slice(0, 4)] });
    expect(r.ok && r.mapping.derivedSyncId).toBe(true);
    const d = map({ syncId: 'derive' });
    expect(d.ok && d.mapping.syncId === -1 && d.mapping.derivedSyncId).toBe(true);
  });

  it('fails when a required column is missing or a header name is configured', () => {
    const r = map({ sample: [['Anna', 'Alpha', 'anna@example.com']] });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems[0]?.reason).toMatch(/no ID column: the file has no header and only 3 column/);
    const n = map({ columns: { ...AUTO, email: 'E-Mail' } });
    expect(n.ok).toBe(false);
    if (!n.ok) expect(n.problems[0]?.reason).toMatch(/no header row/);
    const p = map({ columns: { ...AUTO, id: '9' } });
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.problems[0]?.reason).toMatch(/columns.id is 9, but the file has only 5/);
  });

  it('catches a column order mix-up from the data', () => {
    const sample = [
      ['Alpha', 'Anna', '1001', 'anna@example.com'],
      ['Beta', 'Bert', '1002', 'bert@example.com'],
    ];
    const r = map({ sample });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems[0]?.reason).toMatch(/column 3 is read as the E-mail address.*column 4 does/);
      expect(r.problems[0]?.fix).toMatch(/columns.email to "4"/);
    }
  });

  it('labels each mapping for check output', () => {
    const r = mapColumns({
      header: ['Vorname', 'Nachname', 'E-Mail', 'Ausweis'],
      sample: [],
      columns: AUTO,
      syncId: 'column',
    });
    expect(r.ok && r.mapping.labels).toEqual([
      'First name ← column 1 "Vorname"',
      'Last name ← column 2 "Nachname"',
      'E-mail address ← column 3 "E-Mail"',
      'ID ← column 4 "Ausweis"',
      'Sync ID ← derived from the e-mail (lower-cased)',
    ]);
  });
});
