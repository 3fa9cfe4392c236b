/**
 * Catastrophic backtracking guard for the regular expressions an admin writes (mapping
 * `replace`/`extract`, CSV `scope.matches`). They run against directory data, which a person may
 * be able to shape (their own attributes, an HR export): a repeated group that itself repeats,
 * like `(a+)+` or `(\w*,)*`, can take exponential time on one crafted value and stall every run.
 * So a nested quantifier is refused when the config loads, with a rewrite hint.
 */

/** Where a repeated group that holds a repetition starts (0-based), or undefined if none. */
export function nestedQuantifierAt(source: string): number | undefined {
  // Per open group: where it starts and whether anything inside it repeats.
  const groups: { start: number; repeats: boolean }[] = [];
  let i = 0;
  const quantifierAt = (at: number): number => {
    // Length of a repeating quantifier at `at` (*, +, {n,}, {n,m} with m > 1), else 0.
    const c = source[at];
    if (c === '*' || c === '+') return 1;
    if (c !== '{') return 0;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at));
    if (!m) return 0;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
    return max > 1 ? m[0].length : 0;
  };
  const markRepeat = (): void => {
    for (const g of groups) g.repeats = true;
  };
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') {
      i += 2;
    } else if (c === '[') {
      // A class is one atom: skip to its unescaped closing bracket.
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '(') {
      groups.push({ start: i, repeats: false });
      i++;
    } else if (c === ')') {
      const g = groups.pop();
      i++;
      const q = quantifierAt(i);
      if (g && q > 0) {
        if (g.repeats) return g.start;
        markRepeat();
      }
      i += q;
      continue;
    } else {
      i++;
    }
    const q = quantifierAt(i);
    if (q > 0) {
      markRepeat();
      i += q;
    }
  }
  return undefined;
}

export const NESTED_QUANTIFIER_FIX =
  'write it without a repeated group that itself repeats (e.g. "(a+)+" → "a+", "(\\\\w+,)*" → "[\\\\w,]*"): such a pattern can take minutes on one crafted value';
