/**
 * Hostile config numbers, for the schema walk (src/config/numbers.test.ts) and the fuzzers: values
 * a clumsy admin or an unset compose variable produces, in the file (JSON5, where NaN and Infinity
 * are literals) and in env vars (always text). `configNumber(range)` mixes them with good values
 * and says which must be accepted, so a fuzzer can check "accepted ⇔ a finite number in range".
 */
import fc from 'fast-check';
import type { NumberRange } from '../../src/config/define.js';

export interface FileValue {
  readonly value: unknown;
  readonly label: string;
}

/** Values for a numeric key in the config file that must all be refused. */
export function hostileFileValues(range: NumberRange): FileValue[] {
  const out: FileValue[] = [
    { value: Number.NaN, label: 'NaN' },
    { value: Number.POSITIVE_INFINITY, label: 'Infinity' },
    { value: Number.NEGATIVE_INFINITY, label: '-Infinity' },
    { value: 'ten', label: "'ten'" },
    { value: '', label: "''" },
    { value: 'NaN', label: "'NaN'" },
    { value: null, label: 'null' },
    { value: true, label: 'true' },
    { value: [], label: '[]' },
    { value: range.min - 1, label: `${range.min - 1} (below the range)` },
  ];
  if (range.max + 1 > range.max)
    out.push({ value: range.max + 1, label: `${range.max + 1} (above the range)` });
  if (range.integer) out.push({ value: range.min + 0.5, label: `${range.min + 0.5} (not whole)` });
  return out;
}

/** Env var values for a numeric key that must all be refused. */
export function hostileEnvValues(range: NumberRange): string[] {
  const out = [
    '',
    ' ',
    'abc',
    'ten',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e999',
    '10abc',
    '0x10',
    '1,5',
    String(range.min - 1),
  ];
  if (range.max + 1 > range.max) out.push(String(range.max + 1));
  if (range.integer) out.push(String(range.min + 0.5));
  return out;
}

/** Whether `value` (as the config holds it after parsing) must be accepted for `range`. */
export function acceptable(value: unknown, range: NumberRange): boolean {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value))
  );
}

const NUMERIC_TEXT = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** Whether an env var text must be accepted for `range`: a plain decimal number in range. */
export function acceptableEnv(text: string, range: NumberRange): boolean {
  return NUMERIC_TEXT.test(text) && acceptable(Number(text), range);
}

/**
 * A config number for a key with `range`, good or hostile: `{ file }` is what the JSON5 file holds
 * (write it with JSON5.stringify), `{ env }` the env var text; `ok` says whether it must be accepted.
 */
export function configNumber(
  range: NumberRange,
): fc.Arbitrary<
  { readonly file: unknown; readonly ok: boolean } | { readonly env: string; readonly ok: boolean }
> {
  const inRange = range.integer
    ? fc.integer({ min: Math.max(range.min, -(2 ** 31)), max: Math.min(range.max, 2 ** 31 - 1) })
    : fc.double({ min: range.min, max: range.max, noNaN: true });
  const fileValue = fc.oneof(
    inRange,
    fc.constantFrom(...hostileFileValues(range).map((v) => v.value)),
    fc.double(),
    fc.integer(),
    fc.string(),
  );
  const envText = fc.oneof(
    inRange.map((v) => String(v)),
    fc.constantFrom(...hostileEnvValues(range)),
    fc.double().map((v) => String(v)),
    fc.string(),
  );
  return fc.oneof(
    // A quoted number in the file ("10") is read like an env var: plain decimal text counts.
    fileValue.map((file) => ({
      file,
      ok: typeof file === 'string' ? acceptableEnv(file, range) : acceptable(file, range),
    })),
    envText.map((env) => ({ env, ok: acceptableEnv(env, range) })),
  );
}
