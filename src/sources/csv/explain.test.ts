/** csv-folder's answer to `plan --explain`: the person's rows in the file the run read, and why a row was left out. */
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTO_SETTINGS, tempDir } from '../../../test/helpers/csv-files.js';
import { explainCsv } from './explain.js';
import { resolveScope } from './scope.js';

const CSV =
  'Vorname;Nachname;E-Mail;Ausweis;Personalnummer;Mobile ID\n' +
  'Ada;Lovelace;ada@example.com;1001;P1;ja\n' +
  'Bob;Test;bob@example.com;1002;P2;nein\n';

async function dropFile(text: string) {
  const dir = await tempDir('csv-explain-');
  const file = path.join(dir, 'staff.csv');
  await writeFile(file, text);
  const s = await stat(file);
  return { name: 'staff.csv', path: file, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

const never = new AbortController().signal;

describe('explainCsv', () => {
  it('finds the row by e-mail in any case, each field with its column and key', async () => {
    const file = await dropFile(CSV);
    const r = await explainCsv('hr', AUTO_SETTINGS, { file, sha256: 'x' }, 'ADA@example.com', never);
    expect(r.searched).toMatch(
      /staff\.csv \(2 rows, by e-mail and Sync ID; it changed since the plan read it/,
    );
    expect(r.findings).toHaveLength(1);
    const [f] = r.findings;
    expect(f?.place).toBe('staff.csv:2');
    expect(f?.verdict).toBe('included');
    expect(f?.fields.find((x) => x.field === 'email')).toMatchObject({
      value: 'ada@example.com',
      from: 'column 3 "E-Mail"',
    });
  });

  it('names the scope rule that left a row out, found by Sync ID', async () => {
    const file = await dropFile(CSV);
    const scope = resolveScope({ include: [{ column: 'Mobile ID', equals: 'ja' }], exclude: [] }, 'scope');
    const r = await explainCsv('hr', { ...AUTO_SETTINGS, scope }, { file, sha256: 'x' }, 'p2', never);
    expect(r.findings).toEqual([
      expect.objectContaining({
        place: 'staff.csv:3',
        verdict: 'left-out',
        reason: 'scope: Mobile ID is not "ja"',
      }),
    ]);
  });

  it('says nothing was read when the run read no file', async () => {
    const r = await explainCsv('hr', AUTO_SETTINGS, undefined, 'ada@example.com', never);
    expect(r).toEqual({ searched: 'no file (nothing was read)', findings: [] });
  });
});
