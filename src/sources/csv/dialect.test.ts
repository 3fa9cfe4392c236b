import { describe, expect, it } from 'vitest';
import { AUTO_SETTINGS } from '../../../test/helpers/csv-files.js';
import { detectDelimiter, isHeaderRow } from './dialect.js';

const AUTO = AUTO_SETTINGS.columns;

describe('detectDelimiter', () => {
  it('finds , ; and tab', () => {
    expect(detectDelimiter('a,b,c\n1,2,3\n')).toBe(',');
    expect(detectDelimiter('a;b;c\r\n1;2;3\r\n')).toBe(';');
    expect(detectDelimiter('a\tb\tc\r\n1\t2\t3\r\n')).toBe('\t');
  });

  it('ignores delimiters inside quotes, including quoted line breaks', () => {
    expect(detectDelimiter('"Smith, Jr.";John;x@y\n"a,b,c,d";"e\n,f,g,h";z\n')).toBe(';');
    expect(detectDelimiter('"a;b;c;d",e\n"f;g;h;i",j\n')).toBe(',');
  });

  it('prefers the consistent candidate over the more frequent one', () => {
    // German decimals: commas in some rows only; semicolons in every row.
    const text = 'Vorname;Nachname;Betrag\nHans;Müller;1,5\nJörg;Weiß;2\nAnna;Alpha;3,25,1,1\n';
    expect(detectDelimiter(text)).toBe(';');
  });

  it('falls back to , for a one-column file and skips blank lines', () => {
    expect(detectDelimiter('just text\n')).toBe(',');
    expect(detectDelimiter('\n\n\na;b\n')).toBe(';');
    expect(detectDelimiter('')).toBe(',');
  });

  it('uses a lone first line even without a line end', () => {
    expect(detectDelimiter('Vorname;Nachname;E-Mail')).toBe(';');
  });
});

describe('isHeaderRow', () => {
  it('takes a row of known column names as a header', () => {
    expect(isHeaderRow('auto', [['Vorname', 'Nachname', 'E-Mail', 'Ausweisnummer']], AUTO)).toBe(true);
    expect(isHeaderRow('auto', [['First name', 'x', 'y']], AUTO)).toBe(true);
  });

  it('takes a row with an e-mail address as data', () => {
    expect(isHeaderRow('auto', [['Name', 'Email', 'name@example.com', '1']], AUTO)).toBe(false);
    expect(isHeaderRow('auto', [['Anna', 'Alpha', 'anna@example.com', '1']], AUTO)).toBe(false);
  });

  it('recognises configured header names', () => {
    const columns = { ...AUTO, email: 'Kontakt' };
    expect(isHeaderRow('auto', [['Kontakt', 'Foo']], columns)).toBe(true);
    expect(isHeaderRow('auto', [['Kontakt', 'Foo']], AUTO)).toBe(false);
  });

  it('takes unknown names above a row with an address as a header, but not a person without one', () => {
    const header = ['Col A', 'Col B', 'Col C'];
    const person = ['Anna', 'Alpha', 'anna@example.com'];
    expect(isHeaderRow('auto', [header, person], AUTO)).toBe(true);
    expect(isHeaderRow('auto', [['Anna', 'Alpha', ''], person], AUTO)).toBe(false);
    expect(isHeaderRow('auto', [header], AUTO)).toBe(false);
  });

  it('obeys yes and no', () => {
    expect(isHeaderRow('yes', [['Anna', 'Alpha', 'anna@example.com']], AUTO)).toBe(true);
    expect(isHeaderRow('no', [['Vorname', 'Nachname']], AUTO)).toBe(false);
  });
});
