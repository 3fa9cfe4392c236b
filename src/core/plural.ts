/** `1 delete`, `2 deletes`, `1,200 rows`: a count with its noun, for every printed sentence. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** `is` / `are` after a count. */
export function isAre(n: number): string {
  return n === 1 ? 'is' : 'are';
}

/** `a, b, c and 397 more`: a list that stays one readable line however long it gets. */
export function someOf(names: readonly string[], max = 10): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${(names.length - max).toLocaleString('en-US')} more`;
}
