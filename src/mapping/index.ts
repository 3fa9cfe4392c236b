/**
 * The mapping language (issue 11): `compileMapping(text)` parses and checks an expression once,
 * when the config loads, and returns a Mapping that sources evaluate per record. The language is
 * documented in docs (mapping reference); the grammar is at the top of parse.ts and the function
 * set in functions.ts. Pure: no I/O, no eval, no property access driven by the expression.
 */
import { toEvaluator, toTracer } from './evaluate.js';
import { parseExpression } from './parse.js';
import type { CompileResult, Mapping, MappingError, MappingTrace } from './types.js';

export { FILTERS } from './functions.js';
export type { CompileResult, Lookup, Mapping, MappingError, MappingStep, MappingTrace } from './types.js';

export function compileMapping(text: string): CompileResult {
  const parsed = parseExpression(text);
  if (!parsed.ok) return parsed;
  const evaluate = toEvaluator(parsed.tree);
  const tracer = toTracer(parsed.tree, text);
  const mapping: Mapping = {
    text,
    inputs: Object.freeze([...parsed.inputs]),
    evaluate,
    trace(get): MappingTrace {
      const steps: MappingTrace['steps'][number][] = [];
      const value = tracer(get, steps);
      return { value, steps };
    },
  };
  return { ok: true, mapping: Object.freeze(mapping) };
}

/**
 * An error as the admin reads it, with the expression and a caret under the position:
 *
 *   map.id: unknown filter "hex2de" (character 9)
 *     pager | hex2de | pad(8)
 *             ^
 *   fix: write one of trim, upper, …; did you mean hex2dec?
 */
export function describeMappingError(text: string, error: MappingError, key?: string): string {
  const where = key ? `${key}: ` : '';
  // Tabs and line breaks would shift the caret: show each as one space.
  const shown = text.replace(/[\t\r\n]/g, ' ');
  const caret = `${' '.repeat(Math.min(error.position, shown.length))}^`;
  return `${where}${error.message} (character ${error.position + 1})\n  ${shown}\n  ${caret}\nfix: ${error.fix}`;
}

/** For a config key's format check: the described error, or undefined when it compiles ('' = not set). */
export function mappingProblem(text: string, key?: string): string | undefined {
  if (text === '') return undefined;
  const r = compileMapping(text);
  return r.ok ? undefined : describeMappingError(text, r.error, key);
}
