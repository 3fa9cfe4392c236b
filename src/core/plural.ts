/** `1 delete`, `2 deletes`, `1,200 rows`: a count with its noun, for every printed sentence. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** `is` / `are` after a count. */
export function isAre(n: number): string {
  return n === 1 ? 'is' : 'are';
}
