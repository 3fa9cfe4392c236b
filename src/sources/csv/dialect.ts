/**
 * Dialect detection: the delimiter from the first lines of the file (counted outside quotes), and
 * whether the first row is a header.
 */

import { isKnownHeader, normalizeHeader } from './columns.js';
import type { ColumnsConfig, HeaderSetting } from './config.js';

export type Delimiter = ',' | ';' | '\t';

const CANDIDATES: readonly Delimiter[] = [';', '\t', ','];
const MAX_LINES = 20;

/**
 * Picks the candidate that occurs in the first line and most consistently (same count) in the
 * following ones; ties go to the higher count, then to `;`, tab, `,` (a comma also appears inside
 * German decimal numbers, a semicolon rarely in names). A file with none of them reads as `,`.
 */
export function detectDelimiter(text: string): Delimiter {
  const lines = countPerLine(text);
  let best: Delimiter = ',';
  let bestScore = [-1, -1];
  for (const [c, candidate] of CANDIDATES.entries()) {
    const first = lines[0]?.[c] ?? 0;
    if (first === 0) continue;
    const same = lines.filter((counts) => counts[c] === first).length;
    const score = [same, first];
    if (score[0]! > bestScore[0]! || (score[0] === bestScore[0] && score[1]! > bestScore[1]!)) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** Counts of each candidate per logical line (a quoted line break does not end a line). Blank lines are skipped. */
function countPerLine(text: string): number[][] {
  const lines: number[][] = [];
  let counts = [0, 0, 0];
  let quoted = false;
  let chars = 0;
  // The last line may be cut off by the sample; it is only used when it is the only one.
  for (let i = 0; i < text.length && lines.length < MAX_LINES; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) {
      if (chars > 0) lines.push(counts);
      counts = [0, 0, 0];
      chars = 0;
      continue;
    } else if (!quoted) {
      const c = CANDIDATES.indexOf(ch as Delimiter);
      if (c >= 0) counts[c]!++;
    }
    chars++;
  }
  if (chars > 0 && lines.length === 0) lines.push(counts);
  return lines;
}

/**
 * Whether the first row is a header. `auto`: a row with an e-mail address in it is data; a row
 * naming a known column (see columns.ts) or a configured header name is a header; a row of
 * non-empty cells without any address, followed by a row with one, is a header with unknown names.
 */
export function isHeaderRow(
  setting: HeaderSetting,
  rows: readonly (readonly string[])[],
  columns: ColumnsConfig,
): boolean {
  if (setting !== 'auto') return setting === 'yes';
  const [first, second] = rows;
  if (!first || first.some((cell) => cell.includes('@'))) return false;
  const configured = new Set(
    Object.values(columns)
      .map((v) => v.trim())
      .filter((v) => v && !/^\d+$/.test(v))
      .map(normalizeHeader),
  );
  if (first.some((cell) => isKnownHeader(cell) || configured.has(normalizeHeader(cell)))) return true;
  return (
    second !== undefined &&
    first.every((cell) => cell.trim().length > 0) &&
    second.some((cell) => cell.includes('@'))
  );
}
