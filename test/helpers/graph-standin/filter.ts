/**
 * The `$filter` subset the stand-in understands (`eq`, `ne`, `startsWith`, `endsWith`, null
 * comparisons, `not`, `and`, `or`), with Graph's split between default and advanced queries per
 * property and operator (filter-support.ts): `not` and `ne` always need `ConsistencyLevel:
 * eventual` plus `$count=true`; `eq` on companyName or an extension attribute needs them too;
 * `startsWith` on an extension attribute is refused whatever the headers.
 */
import { advancedMessage } from './errors.js';
import { type FilterOperator, type FilterResource, filterSupport } from './filter-support.js';

export interface CompiledFilter {
  readonly test: (obj: Readonly<Record<string, unknown>>) => boolean;
  /** Graph's 400 message when the advanced query parameters are missing; undefined if not needed. */
  readonly advanced: string | undefined;
}

/** A filter Graph refuses; `graphMessage` is Graph's whole message when it has a fixed one. */
export class FilterError extends Error {
  constructor(
    message: string,
    readonly graphMessage?: string,
  ) {
    super(message);
  }
}

const RESOURCE_NAME: Readonly<Record<FilterResource, string>> = { user: 'User', group: 'Group' };

type Token =
  | { kind: 'str'; value: string }
  | { kind: 'word'; value: string }
  | { kind: 'punct'; value: string };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterError('unterminated string literal');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      out.push({ kind: 'str', value });
    } else if ('(),'.includes(c)) {
      out.push({ kind: 'punct', value: c });
      i++;
    } else {
      const m = /^[A-Za-z0-9_./:-]+/.exec(text.slice(i));
      if (!m) throw new FilterError(`unexpected character '${c}'`);
      out.push({ kind: 'word', value: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

type Pred = (obj: Readonly<Record<string, unknown>>) => boolean;

function read(obj: Readonly<Record<string, unknown>>, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('/')) {
    cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[part] : undefined;
  }
  return cur ?? null;
}

const lower = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

/** Compiles a filter on `resource`; throws FilterError for anything Graph would refuse. */
export function compileFilter(text: string, resource: FilterResource = 'user'): CompiledFilter {
  const tokens = tokenize(text);
  let pos = 0;
  let advanced: string | undefined;
  const needAdvanced = (op: string): void => {
    advanced ??= advancedMessage(op);
  };
  /** Checks `operator` on `property` against Microsoft's table. */
  const uses = (property: string, operator: FilterOperator): void => {
    const clause = `Unsupported or invalid query filter clause specified for property '${property}' of resource '${RESOURCE_NAME[resource]}'.`;
    const support = filterSupport(resource, property, operator);
    if (support === undefined) throw new FilterError(`${operator} on ${property}`, clause);
    if (support === 'advanced') advanced ??= clause;
  };
  const peek = (): Token | undefined => tokens[pos];
  const isWord = (t: Token | undefined, w: string): boolean =>
    t?.kind === 'word' && t.value.toLowerCase() === w;
  const expect = (value: string): void => {
    const t = tokens[pos++];
    if (t?.kind !== 'punct' || t.value !== value) throw new FilterError(`expected '${value}'`);
  };
  const literal = (): unknown => {
    const t = tokens[pos++];
    if (!t) throw new FilterError('missing value');
    if (t.kind === 'str') return t.value;
    if (t.kind === 'word') {
      if (t.value === 'true') return true;
      if (t.value === 'false') return false;
      if (t.value === 'null') return null;
      if (/^-?\d+(\.\d+)?$/.test(t.value)) return Number(t.value);
    }
    throw new FilterError(`unsupported value '${t.value}'`);
  };
  const primary = (): Pred => {
    const t = tokens[pos++];
    if (!t) throw new FilterError('unexpected end of filter');
    if (t.kind === 'punct' && t.value === '(') {
      const inner = orExpr();
      expect(')');
      return inner;
    }
    if (t.kind !== 'word') throw new FilterError(`unexpected '${t.value}'`);
    const fn = t.value.toLowerCase();
    if ((fn === 'startswith' || fn === 'endswith') && peek()?.value === '(') {
      expect('(');
      const prop = tokens[pos++];
      if (prop?.kind !== 'word') throw new FilterError('expected a property');
      if (fn === 'endswith') needAdvanced('endsWith');
      uses(prop.value, fn === 'startswith' ? 'startsWith' : 'endsWith');
      expect(',');
      const value = literal();
      expect(')');
      if (typeof value !== 'string') throw new FilterError(`${t.value} needs a string`);
      const v = value.toLowerCase();
      return (o) => {
        const x = read(o, prop.value);
        return (
          typeof x === 'string' &&
          (fn === 'startswith' ? x.toLowerCase().startsWith(v) : x.toLowerCase().endsWith(v))
        );
      };
    }
    const op = tokens[pos++];
    if (op?.kind !== 'word') throw new FilterError(`expected an operator after ${t.value}`);
    const value = literal();
    const name = t.value;
    const operator = op.value.toLowerCase();
    if (operator !== 'eq' && operator !== 'ne') {
      throw new FilterError(`operator '${op.value}' is not supported`);
    }
    if (operator === 'ne') needAdvanced('ne');
    uses(name, value === null ? 'null' : operator);
    return operator === 'eq'
      ? (o) => lower(read(o, name)) === lower(value)
      : (o) => lower(read(o, name)) !== lower(value);
  };
  const unary = (): Pred => {
    if (isWord(peek(), 'not')) {
      pos++;
      needAdvanced('not');
      const inner = unary();
      return (o) => !inner(o);
    }
    return primary();
  };
  const andExpr = (): Pred => {
    let left = unary();
    while (isWord(peek(), 'and')) {
      pos++;
      const l = left;
      const r = unary();
      left = (o) => l(o) && r(o);
    }
    return left;
  };
  const orExpr = (): Pred => {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      pos++;
      const l = left;
      const r = andExpr();
      left = (o) => l(o) || r(o);
    }
    return left;
  };
  const test = orExpr();
  if (pos !== tokens.length) throw new FilterError(`unexpected '${tokens[pos]?.value}'`);
  return { test, advanced };
}
