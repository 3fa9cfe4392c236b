/**
 * The mapping language's contract (issue 11): one small expression language shared by every
 * source for the ID, names and e-mail. Pure: compiled when the config loads, evaluated per record
 * against a lookup of the record's attributes / columns / Graph properties. No `eval`, no general
 * language: only the documented functions exist.
 */

/** Reads one input (LDAP attribute, CSV column, Graph property path); undefined = absent/empty. */
export type Lookup = (name: string) => string | undefined;

/** One step of an evaluation, for `plan --explain`: "pager = '1A2B'", "hex→dec = '6699'". */
export interface MappingStep {
  /** What was done, as the admin wrote it: `pager`, `hex2dec`, `pad(8)`, `first(…)`. */
  readonly step: string;
  /** The value after the step; undefined = empty. */
  readonly value: string | undefined;
}

export interface MappingTrace {
  readonly value: string | undefined;
  readonly steps: readonly MappingStep[];
}

/** A compiled expression. */
export interface Mapping {
  /** The expression as written in the config. */
  readonly text: string;
  /** Every input it may read, in order of appearance (LDAP asks the server for exactly these). */
  readonly inputs: readonly string[];
  /** The value for one record (the fast path: no trace is built). */
  evaluate(get: Lookup): string | undefined;
  /** The same value with every step, for `plan --explain`. */
  trace(get: Lookup): MappingTrace;
}

/** Why an expression does not compile: the 0-based character position and how to fix it. */
export interface MappingError {
  readonly message: string;
  readonly position: number;
  readonly fix: string;
}

export type CompileResult =
  | { readonly ok: true; readonly mapping: Mapping }
  | { readonly ok: false; readonly error: MappingError };
