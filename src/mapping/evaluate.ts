/**
 * Turns a parsed expression into the two evaluators of a Mapping: `evaluate` (per record, the
 * fast path: plain closures, no allocation beyond the strings) and `trace` (every step, for
 * `plan --explain` and rejection hints). Both only ever call the lookup and the prepared filters.
 */
import type { Node } from './parse.js';
import type { Lookup, MappingStep } from './types.js';

type Value = string | undefined;
type Evaluator = (get: Lookup) => Value;
type Tracer = (get: Lookup, steps: MappingStep[]) => Value;

/** '' and non-text count as empty, so "first non-empty" and "empty part → empty" hold everywhere. */
function present(v: unknown): Value {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function toEvaluator(node: Node): Evaluator {
  switch (node.kind) {
    case 'text': {
      const v = present(node.value);
      return () => v;
    }
    case 'input': {
      const name = node.name;
      return (get) => present(get(name));
    }
    case 'concat': {
      const parts = node.parts.map(toEvaluator);
      return (get) => {
        let out = '';
        for (const p of parts) {
          const v = p(get);
          if (v === undefined) return undefined;
          out += v;
        }
        return out;
      };
    }
    case 'first': {
      const options = node.options.map(toEvaluator);
      return (get) => {
        for (const o of options) {
          const v = o(get);
          if (v !== undefined) return v;
        }
        return undefined;
      };
    }
    case 'pipe': {
      const subject = toEvaluator(node.subject);
      const filter = node.filter;
      return (get) => {
        const v = subject(get);
        return v === undefined ? undefined : present(filter.apply(v));
      };
    }
  }
}

export function toTracer(node: Node, text: string): Tracer {
  const label = text.slice(node.start, node.end);
  switch (node.kind) {
    case 'text': {
      const v = present(node.value);
      return () => v;
    }
    case 'input': {
      const name = node.name;
      return (get, steps) => {
        const value = present(get(name));
        steps.push({ step: label, value });
        return value;
      };
    }
    case 'concat': {
      const parts = node.parts.map((p) => toTracer(p, text));
      return (get, steps) => {
        const values = parts.map((p) => p(get, steps));
        const value = values.includes(undefined) ? undefined : values.join('');
        steps.push({ step: value === undefined ? `${label} (a part is empty)` : label, value });
        return value;
      };
    }
    case 'first': {
      const options = node.options.map((o) => toTracer(o, text));
      return (get, steps) => {
        let value: Value;
        for (const o of options) {
          value = o(get, steps);
          if (value !== undefined) break;
        }
        steps.push({ step: value === undefined ? `${label} (all empty)` : label, value });
        return value;
      };
    }
    case 'pipe': {
      const subject = toTracer(node.subject, text);
      const { filter } = node;
      return (get, steps) => {
        const input = subject(get, steps);
        if (input === undefined) {
          steps.push({ step: `${node.label} (nothing to work on)`, value: undefined });
          return undefined;
        }
        const value = present(filter.apply(input));
        const why = value === undefined && filter.whyEmpty ? ` (${filter.whyEmpty(input)})` : '';
        steps.push({ step: `${node.label}${why}`, value });
        return value;
      };
    }
  }
}
