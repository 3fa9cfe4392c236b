/**
 * `1,200`: a count with en-US digit grouping, as `toLocaleString('en-US')` writes it. Whole numbers
 * are grouped here because the first toLocaleString of a process loads ICU's number formatting,
 * ~20 ms of every CLI run that prints a count (issue 14); anything else is left to it.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

/** `1 delete`, `2 deletes`, `1,200 rows`: a count with its noun, for every printed sentence. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** `is` / `are` after a count. */
export function isAre(n: number): string {
  return n === 1 ? 'is' : 'are';
}

/** `a, b, c and 397 more`: a list that stays one readable line however long it gets. */
export function someOf(names: readonly string[], max = 10): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${formatCount(names.length - max)} more`;
}
