/**
 * The mapping language's whole function set. Nothing outside this table can be called: a name
 * after `|` is looked up here with `Object.hasOwn`, never as a property of anything else.
 * Each filter takes the value on its left and returns the new value (undefined = empty); its
 * arguments are checked and prepared (regexes compiled) once, when the config loads.
 */

import { NESTED_QUANTIFIER_FIX, nestedQuantifierAt } from '../core/regex-safety.js';

/** A literal argument as written: `8`, `-4`, `"^0+"`. `at` is its 0-based position in the expression. */
export type Arg =
  | { readonly kind: 'number'; readonly value: number; readonly at: number }
  | { readonly kind: 'text'; readonly value: string; readonly at: number };

/** What a filter turns a value into, and (for explain) why it gave nothing. */
export interface PreparedFilter {
  apply(value: string): string | undefined;
  /** Why `apply` returned empty for this value, shown in `plan --explain`. */
  whyEmpty?(value: string): string;
}

/** A problem with one argument, or with the call when `at` is absent. */
export interface ArgProblem {
  readonly message: string;
  readonly fix: string;
  readonly at?: number | undefined;
}

export interface FilterSpec {
  /** `pad(width)`: how it is written, for error messages and the docs. */
  readonly signature: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly summary: string;
  prepare(args: readonly Arg[]): PreparedFilter | ArgProblem;
}

/** Longest regular expression accepted, so a pattern stays readable and cheap to run. */
export const MAX_PATTERN_LENGTH = 200;
/** Longest hex or decimal number converted (a card number is far shorter). */
const MAX_NUMBER_DIGITS = 100;
/** Widest zero-pad: an ID is at most 255 bytes. */
const MAX_WIDTH = 255;

const HEX_RE = /^(?:0[xX])?([0-9A-Fa-f]+)$/;
const DEC_RE = /^[0-9]+$/;

function fixed(fn: (value: string) => string | undefined, whyEmpty?: (value: string) => string) {
  return (): PreparedFilter => (whyEmpty ? { apply: fn, whyEmpty } : { apply: fn });
}

function numberArg(
  arg: Arg | undefined,
  name: string,
  min: number,
  max: number,
): number | ArgProblem | undefined {
  if (arg === undefined) return undefined;
  if (arg.kind !== 'number' || !Number.isInteger(arg.value) || arg.value < min || arg.value > max) {
    return {
      message: `${name} must be a whole number from ${min} to ${max}`,
      fix: `write a number such as ${Math.max(min, Math.min(8, max))}`,
      at: arg.at,
    };
  }
  return arg.value;
}

function textArg(arg: Arg | undefined, name: string): string | ArgProblem | undefined {
  if (arg === undefined) return undefined;
  if (arg.kind !== 'text') {
    return {
      message: `${name} must be text in quotes`,
      fix: `write it in quotes, e.g. "${arg.value}"`,
      at: arg.at,
    };
  }
  return arg.value;
}

function isProblem(v: unknown): v is ArgProblem {
  return typeof v === 'object' && v !== null && 'message' in v;
}

/** Compiles a user's pattern once; only the `i` flag is offered (no `g`/`y` state, no `s`/`m` surprises). */
function compilePattern(
  pattern: Arg | undefined,
  flags: Arg | undefined,
  global: boolean,
): RegExp | ArgProblem {
  const source = textArg(pattern, 'the pattern');
  if (isProblem(source)) return source;
  const flagText = textArg(flags, 'the flags');
  if (isProblem(flagText)) return flagText;
  if (source === undefined || pattern === undefined)
    return { message: 'a pattern is missing', fix: 'write one' };
  if (source === '')
    return { message: 'the pattern is empty', fix: 'write a pattern such as "^0+"', at: pattern.at };
  if (source.length > MAX_PATTERN_LENGTH) {
    return {
      message: `the pattern is ${source.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed`,
      fix: 'shorten the pattern, or split it into several replace/extract steps',
      at: pattern.at,
    };
  }
  if (flagText !== undefined && flagText !== '' && flagText !== 'i') {
    return {
      message: `the flags ${JSON.stringify(flagText)} are not supported`,
      fix: 'write "i" (ignore case) or leave the flags out',
      at: flags?.at,
    };
  }
  const nested = nestedQuantifierAt(source);
  if (nested !== undefined) {
    return {
      message: `the pattern repeats a group that itself repeats, at character ${nested + 1} of the pattern`,
      fix: NESTED_QUANTIFIER_FIX,
      at: pattern.at,
    };
  }
  try {
    return new RegExp(source, `${global ? 'g' : ''}${flagText ?? ''}`);
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e);
    return {
      message: `not a valid regular expression: ${why}`,
      fix: 'correct the pattern (JavaScript syntax; in a JSON5 string write \\\\d for \\d)',
      at: pattern.at,
    };
  }
}

function pad(args: readonly Arg[]): PreparedFilter | ArgProblem {
  const width = numberArg(args[0], 'the width', 1, MAX_WIDTH);
  if (isProblem(width)) return width;
  const fill = textArg(args[1], 'the fill character');
  if (isProblem(fill)) return fill;
  if (fill !== undefined && [...fill].length !== 1) {
    return { message: 'the fill must be one character', fix: 'write e.g. pad(8, "0")', at: args[1]?.at };
  }
  const w = width ?? 0;
  const f = fill ?? '0';
  return { apply: (v) => v.padStart(w, f) };
}

function replace(args: readonly Arg[]): PreparedFilter | ArgProblem {
  const re = compilePattern(args[0], args[2], true);
  if (isProblem(re)) return re;
  const by = textArg(args[1], 'the replacement');
  if (isProblem(by)) return by;
  const text = by ?? '';
  // A function replacement: `$1` and friends are the only codes, expanded by us, never by eval.
  return { apply: (v) => v.replace(re, (...m) => expandGroups(text, m)) };
}

/** `$1`..`$9` = that group, `$&` = the whole match, `$$` = "$"; nothing else is special. */
function expandGroups(template: string, match: readonly unknown[]): string {
  return template.replace(/\$(\$|&|[1-9])/g, (_, code: string) => {
    if (code === '$') return '$';
    const g = match[code === '&' ? 0 : Number(code)];
    return typeof g === 'string' ? g : '';
  });
}

function extract(args: readonly Arg[]): PreparedFilter | ArgProblem {
  const re = compilePattern(args[0], args[2], false);
  if (isProblem(re)) return re;
  const groups = new RegExp(`${re.source}|`).exec('')?.length ?? 1;
  const group = numberArg(args[1], 'the group', 0, groups - 1);
  if (isProblem(group)) {
    return groups > 1
      ? group
      : { ...group, message: 'the pattern has no (group); only group 0 (the whole match) exists' };
  }
  const g = group ?? (groups > 1 ? 1 : 0);
  return {
    apply: (v) => {
      const m = re.exec(v);
      return m?.[g];
    },
    whyEmpty: (v) => (re.test(v) ? `group ${g} matched nothing` : `${re} does not match "${v}"`),
  };
}

function substr(args: readonly Arg[]): PreparedFilter | ArgProblem {
  const start = numberArg(args[0], 'the start', -1000, 1000);
  if (isProblem(start)) return start;
  const length = numberArg(args[1], 'the length', 1, 1000);
  if (isProblem(length)) return length;
  const s = start ?? 0;
  const n = length;
  return {
    apply: (v) => {
      const chars = [...v];
      const from = s < 0 ? Math.max(0, chars.length + s) : s;
      return chars.slice(from, n === undefined ? undefined : from + n).join('');
    },
  };
}

const hexToDec = (v: string): string | undefined => {
  const m = HEX_RE.exec(v.trim());
  const digits = m?.[1];
  if (digits === undefined || digits.length > MAX_NUMBER_DIGITS) return undefined;
  return BigInt(`0x${digits}`).toString(10);
};

const decToHex = (v: string): string | undefined => {
  const t = v.trim();
  if (!DEC_RE.test(t) || t.length > MAX_NUMBER_DIGITS) return undefined;
  return BigInt(t).toString(16).toUpperCase();
};

/** Every filter, by the name written after `|`. */
export const FILTERS: Readonly<Record<string, FilterSpec>> = Object.freeze({
  trim: {
    signature: 'trim',
    minArgs: 0,
    maxArgs: 0,
    summary: 'removes spaces at both ends',
    prepare: fixed((v) => v.trim()),
  },
  upper: {
    signature: 'upper',
    minArgs: 0,
    maxArgs: 0,
    summary: 'UPPER CASE',
    prepare: fixed((v) => v.toUpperCase()),
  },
  lower: {
    signature: 'lower',
    minArgs: 0,
    maxArgs: 0,
    summary: 'lower case',
    prepare: fixed((v) => v.toLowerCase()),
  },
  pad: {
    signature: 'pad(width[, "fill"])',
    minArgs: 1,
    maxArgs: 2,
    summary: 'pads on the left with zeros (or the fill) to the width; longer values stay as they are',
    prepare: pad,
  },
  'strip-zeros': {
    signature: 'strip-zeros',
    minArgs: 0,
    maxArgs: 0,
    summary: 'removes leading zeros ("000123" → "123", "000" → "0")',
    prepare: fixed((v) => v.replace(/^0+(?=.)/s, '')),
  },
  replace: {
    signature: 'replace("pattern", "replacement"[, "i"])',
    minArgs: 2,
    maxArgs: 3,
    summary: 'replaces every match of the regular expression; $1… in the replacement is a group',
    prepare: replace,
  },
  extract: {
    signature: 'extract("pattern"[, group][, "i"])',
    minArgs: 1,
    maxArgs: 3,
    summary:
      'the first match of the regular expression: its group (default 1, or the whole match without groups)',
    prepare: extract,
  },
  substr: {
    signature: 'substr(start[, length])',
    minArgs: 1,
    maxArgs: 2,
    summary: 'part of the value from start (0 = first character; negative counts from the end)',
    prepare: substr,
  },
  hex2dec: {
    signature: 'hex2dec',
    minArgs: 0,
    maxArgs: 0,
    summary: 'hexadecimal → decimal, any length ("1A2B" → "6699"); not hexadecimal → empty',
    prepare: fixed(hexToDec, (v) => `"${v}" is not a hexadecimal number`),
  },
  dec2hex: {
    signature: 'dec2hex',
    minArgs: 0,
    maxArgs: 0,
    summary: 'decimal → hexadecimal in capitals, any length ("6699" → "1A2B"); not decimal → empty',
    prepare: fixed(decToHex, (v) => `"${v}" is not a decimal number`),
  },
});

/** Functions written where a value is expected (not after `|`). */
export const VALUE_FUNCTIONS = ['first', 'column', 'attr'] as const;

export function filterSpec(name: string): FilterSpec | undefined {
  return Object.hasOwn(FILTERS, name) ? FILTERS[name] : undefined;
}

export function filterNames(): string[] {
  return Object.keys(FILTERS);
}

export function applyArgsCheck(name: string, spec: FilterSpec, args: readonly Arg[]): ArgProblem | undefined {
  if (args.length < spec.minArgs || args.length > spec.maxArgs) {
    const n = spec.minArgs === spec.maxArgs ? `${spec.minArgs}` : `${spec.minArgs} to ${spec.maxArgs}`;
    return {
      message: `${name} takes ${n} argument${spec.maxArgs === 1 ? '' : 's'}, not ${args.length}`,
      fix: `write ${spec.signature}`,
    };
  }
  return undefined;
}

export { isProblem };
