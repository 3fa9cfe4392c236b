/** How a read file is described to people: the snapshot description, check lines, refs. */
import path from 'node:path';
import { formatCount, plural } from '../../core/plural.js';
import type { Delimiter } from './dialect.js';
import type { CsvReadResult } from './read.js';

const DELIMITER_NAMES: Readonly<Record<Delimiter, string>> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

/**
 * An empty file is named as such, not as "0 rows; UTF-8, comma-separated": nothing was sniffed
 * from it. The guard stops a run whose source holds no one (`empty-source`), so it never deletes.
 */
export function describeRead(read: CsvReadResult): string {
  if (read.rows === 0) return emptyFile(read);
  return `${plural(read.rows, 'row')}; ${encodingName(read)}, ${DELIMITER_NAMES[read.delimiter]}-separated, ${read.header ? 'header row' : 'no header row'}`;
}

function emptyFile(read: CsvReadResult): string {
  const what = read.header ? 'a header row and no people' : 'empty: no rows';
  return `${what}; nothing is uploaded from it (an empty source stops the run, it never deletes anyone)`;
}

export function encodingName(read: CsvReadResult): string {
  const { encoding, how } = read.encoding;
  const name = encoding === 'windows-1252' ? 'Windows-1252' : encoding.toUpperCase();
  return how === 'bom' ? `${name} with BOM` : name;
}

export function describeForCheck(read: CsvReadResult): string[] {
  const out = [
    `encoding: ${encodingName(read)} (${read.encoding.how})`,
    `delimiter: ${DELIMITER_NAMES[read.delimiter]}`,
    `header row: ${read.header ? 'yes' : 'no'}`,
  ];
  if (read.mapping) out.push(...read.mapping.labels.map((l) => `column: ${l}`));
  out.push(read.rows === 0 ? `rows: none — ${emptyFile(read)}` : `rows: ${formatCount(read.rows)}`);
  for (const n of read.notices) out.push(`note: ${n.place ? `${n.place.ref}: ` : ''}${n.message}`);
  return out;
}

/** `archive/x.csv` when inside the drop folder, else the full path. */
export function shortPath(folder: string, file: string): string {
  const rel = path.relative(folder, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

export function formatRef(name: string, line: number | undefined): string {
  return line !== undefined ? `${name}:${line}` : name;
}
