/**
 * The matrix is cut into parts, one test file each: no row may fall between them. Every row that a
 * rows-*.ts file exports is in exactly one part, and every part has the test file that runs it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MATRIX_PARTS } from './matrix.js';
import type { Row } from './row.js';

const DIR = path.resolve('test/faults');

describe('fault-injection matrix parts', () => {
  it('hold every exported row exactly once, under unique names', async () => {
    const inParts = Object.values(MATRIX_PARTS).flat() as Row[];
    const exported: Row[] = [];
    for (const file of readdirSync(DIR).filter((f) => /^rows-.*\.ts$/.test(f))) {
      const mod = (await import(path.join(DIR, file))) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod))
        if (name.endsWith('_ROWS') && Array.isArray(value)) exported.push(...(value as Row[]));
    }
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.filter((r) => !inParts.includes(r)).map((r) => r.name)).toEqual([]);
    expect(inParts.length).toBe(exported.length);
    expect(new Set(inParts.map((r) => r.name)).size).toBe(inParts.length);
  });

  it('each run by its own test file', () => {
    const files = readdirSync(DIR).filter(
      (f) => /^matrix-.*\.test\.ts$/.test(f) && f !== 'matrix-parts.test.ts',
    );
    const run = files.map(
      (f) => /runMatrixPart\('([^']+)'\)/.exec(readFileSync(path.join(DIR, f), 'utf8'))?.[1],
    );
    expect(run.sort()).toEqual(Object.keys(MATRIX_PARTS).sort());
  });
});
