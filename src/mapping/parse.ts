/**
 * The mapping language's parser: expression text → a tree with positions. Every problem becomes
 * a MappingError at a character position with a fix; filter arguments are checked and regexes
 * compiled here, once, when the config loads.
 *
 *   expression := concat ( "|" filter )*            filters apply to everything on their left
 *   concat     := term ( "+" term )*
 *   term       := "text" | 'text' | name | column("any name") | attr("any name")
 *               | first(expression, …) | "(" expression ")"
 *   filter     := name [ "(" arg ( "," arg )* ")" ]   arg := number | "text"
 *   name       := letter or _, then letters, digits, _ and -; "/" joins Graph path segments
 */
import {
  type Arg,
  applyArgsCheck,
  filterNames,
  filterSpec,
  isProblem,
  type PreparedFilter,
  VALUE_FUNCTIONS,
} from './functions.js';
import type { MappingError } from './types.js';

/** Longest expression accepted: one line in a config, never a program. */
export const MAX_EXPRESSION_LENGTH = 1000;
/** Deepest nesting of parentheses and first(…), so nothing recurses without bound. */
export const MAX_DEPTH = 16;

interface Span {
  /** 0-based, inclusive. */
  readonly start: number;
  /** 0-based, exclusive. */
  readonly end: number;
}

export type Node =
  | (Span & { readonly kind: 'text'; readonly value: string })
  | (Span & { readonly kind: 'input'; readonly name: string })
  | (Span & { readonly kind: 'concat'; readonly parts: readonly Node[] })
  | (Span & { readonly kind: 'first'; readonly options: readonly Node[] })
  | (Span & {
      readonly kind: 'pipe';
      readonly subject: Node;
      readonly filter: PreparedFilter;
      /** The filter as written, e.g. `pad(8)`. */
      readonly label: string;
    });

type Token =
  | (Span & { readonly kind: 'name'; readonly value: string })
  | (Span & { readonly kind: 'text'; readonly value: string })
  | (Span & { readonly kind: 'number'; readonly value: number })
  | (Span & { readonly kind: 'punct'; readonly value: '|' | '+' | '(' | ')' | ',' })
  | (Span & { readonly kind: 'end' });

/** Thrown inside the parser only; compileMapping turns it into a CompileResult. */
class Failure {
  constructor(readonly error: MappingError) {}
}

function fail(message: string, position: number, fix: string): never {
  throw new Failure({ message, position, fix });
}

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_-]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === '|' || c === '+' || c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punct', value: c, start: i, end: i + 1 });
      i++;
    } else if (c === '"' || c === "'") {
      const t = readText(text, i);
      tokens.push(t);
      i = t.end;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text.charAt(i + 1)))) {
      let j = i + 1;
      while (/[0-9]/.test(text.charAt(j))) j++;
      if (j - i > 6) fail('this number is too long', i, 'write a number of at most 6 digits');
      tokens.push({ kind: 'number', value: Number(text.slice(i, j)), start: i, end: j });
      i = j;
    } else if (NAME_START.test(c)) {
      let j = i + 1;
      for (;;) {
        while (NAME_PART.test(text.charAt(j))) j++;
        // A Graph path: onPremisesExtensionAttributes/extensionAttribute1.
        if (text.charAt(j) === '/' && NAME_START.test(text.charAt(j + 1))) j += 2;
        else break;
      }
      tokens.push({ kind: 'name', value: text.slice(i, j), start: i, end: j });
      i = j;
    } else {
      fail(
        `unexpected ${describeChar(c)}`,
        i,
        'join values with +, add filters with |, put fixed text in quotes, and write a name with spaces or other characters as column("…")',
      );
    }
  }
  tokens.push({ kind: 'end', start: text.length, end: text.length });
  return tokens;
}

function describeChar(c: string): string {
  return /[\x21-\x7e]/.test(c)
    ? `"${c}"`
    : `character U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A quoted text; `\"`, `\'` and `\\` are escapes, any other backslash stays (so "\d" reaches a regex). */
function readText(text: string, start: number): Token {
  const quote = text.charAt(start);
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === quote) return { kind: 'text', value, start, end: i + 1 };
    const escaped = text.charAt(i + 1);
    if (c === '\\' && (escaped === '"' || escaped === "'" || escaped === '\\')) {
      value += escaped;
      i += 2;
    } else {
      value += c;
      i++;
    }
  }
  return fail('this text is not closed', start, `end it with ${quote}`);
}

class Parser {
  private i = 0;
  readonly inputs: string[] = [];

  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
  ) {}

  parse(): Node {
    if (this.peek().kind === 'end') {
      fail(
        'the expression is empty',
        0,
        'write an input name such as employeeNumber, or leave the key empty',
      );
    }
    const node = this.expression(0);
    const t = this.peek();
    if (t.kind !== 'end') {
      const fix =
        t.kind === 'punct' && t.value === ')'
          ? 'remove it, or add the "(" it closes'
          : 'join values with + or add a filter with |';
      fail(`unexpected ${this.describe(t)}`, t.start, fix);
    }
    return node;
  }

  private peek(): Token {
    return this.tokens[this.i] ?? (this.tokens.at(-1) as Token);
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.i++;
    return t;
  }

  private isPunct(value: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.value === value;
  }

  private describe(t: Token): string {
    switch (t.kind) {
      case 'end':
        return 'end of the expression';
      case 'name':
        return `name ${t.value}`;
      case 'text':
        return `text ${JSON.stringify(t.value)}`;
      case 'number':
        return `number ${t.value}`;
      case 'punct':
        return `"${t.value}"`;
    }
  }

  private expression(depth: number): Node {
    if (depth > MAX_DEPTH) {
      fail(`nested more than ${MAX_DEPTH} levels deep`, this.peek().start, 'write a simpler expression');
    }
    let node = this.concat(depth);
    while (this.isPunct('|')) {
      this.next();
      node = this.filter(node);
    }
    return node;
  }

  private concat(depth: number): Node {
    const first = this.term(depth);
    const parts = [first];
    while (this.isPunct('+')) {
      this.next();
      parts.push(this.term(depth));
    }
    if (parts.length === 1) return first;
    return { kind: 'concat', parts, start: first.start, end: (parts.at(-1) as Node).end };
  }

  private term(depth: number): Node {
    const t = this.next();
    if (t.kind === 'text') return { kind: 'text', value: t.value, start: t.start, end: t.end };
    if (t.kind === 'punct' && t.value === '(') {
      const inner = this.expression(depth + 1);
      const close = this.expect(')', t.start, 'add the ")" that closes this "("');
      // The group spans its parentheses, so a step's text (`plan --explain`) is what was written.
      return { ...inner, start: t.start, end: close.end };
    }
    if (t.kind === 'name') {
      if (!this.isPunct('(')) return this.input(t.value, t.start, t.end);
      return this.call(t, depth);
    }
    if (t.kind === 'number') {
      fail('a number is not a value here', t.start, `write it as text in quotes: "${t.value}"`);
    }
    return fail(
      `expected a value, found ${this.describe(t)}`,
      t.start,
      'write an input name (employeeNumber), column("Name with spaces"), fixed text in quotes or first(a, b)',
    );
  }

  private input(name: string, start: number, end: number): Node {
    if (!this.inputs.includes(name)) this.inputs.push(name);
    return { kind: 'input', name, start, end };
  }

  private call(name: Token & { kind: 'name' }, depth: number): Node {
    const open = this.next();
    if (name.value === 'column' || name.value === 'attr') {
      const arg = this.next();
      if (arg.kind !== 'text' || arg.value === '') {
        fail(`${name.value}(…) takes a name in quotes`, arg.start, `write ${name.value}("Personal Nr")`);
      }
      this.expect(')', open.start, `write ${name.value}("…") with one name in quotes`);
      return this.input(arg.value, name.start, this.tokens[this.i - 1]?.end ?? arg.end);
    }
    if (name.value === 'first') {
      const options = [this.expression(depth + 1)];
      while (this.isPunct(',')) {
        this.next();
        options.push(this.expression(depth + 1));
      }
      const close = this.expect(')', open.start, 'separate the choices with "," and close with ")"');
      return { kind: 'first', options, start: name.start, end: close.end };
    }
    if (filterSpec(name.value)) {
      fail(
        `${name.value} is a filter: it is written after |`,
        name.start,
        `write value | ${name.value}, e.g. employeeNumber | ${name.value}${name.value === 'pad' ? '(8)' : ''}`,
      );
    }
    return fail(
      `unknown function "${name.value}"`,
      name.start,
      `a value can be first(…), column("…") or attr("…")${suggest(name.value, [...VALUE_FUNCTIONS])}; write an input named ${name.value} as attr("${name.value}")`,
    );
  }

  private filter(subject: Node): Node {
    const t = this.next();
    if (t.kind !== 'name') {
      fail(
        `expected a filter after |, found ${this.describe(t)}`,
        t.start,
        `write one of ${filterNames().join(', ')}`,
      );
    }
    const spec = filterSpec(t.value);
    if (!spec) {
      const valueFn = (VALUE_FUNCTIONS as readonly string[]).includes(t.value);
      fail(
        valueFn ? `${t.value}(…) is a value, not a filter` : `unknown filter "${t.value}"`,
        t.start,
        valueFn
          ? `write it before the |, e.g. ${t.value === 'first' ? 'first(a, b) | trim' : `${t.value}("Name") | trim`}`
          : `write one of ${filterNames().join(', ')}${suggest(t.value, filterNames())}`,
      );
    }
    const args = this.isPunct('(') ? this.args() : [];
    const end = this.tokens[this.i - 1]?.end ?? t.end;
    const problem = applyArgsCheck(t.value, spec, args);
    if (problem) fail(problem.message, t.start, problem.fix);
    const prepared = spec.prepare(args);
    if (isProblem(prepared)) fail(prepared.message, prepared.at ?? t.start, prepared.fix);
    return {
      kind: 'pipe',
      subject,
      filter: prepared,
      label: this.text.slice(t.start, end),
      start: subject.start,
      end,
    };
  }

  private args(): Arg[] {
    const open = this.next();
    const args: Arg[] = [];
    if (this.isPunct(')')) {
      this.next();
      return args;
    }
    for (;;) {
      const a = this.next();
      if (a.kind === 'number') args.push({ kind: 'number', value: a.value, at: a.start });
      else if (a.kind === 'text') args.push({ kind: 'text', value: a.value, at: a.start });
      else
        fail(
          `expected a number or text in quotes, found ${this.describe(a)}`,
          a.start,
          'filter arguments are fixed: pad(8), replace("^0+", "")',
        );
      if (!this.isPunct(',')) break;
      this.next();
    }
    this.expect(')', open.start, 'separate arguments with "," and close with ")"');
    return args;
  }

  private expect(value: ')', openedAt: number, fix: string): Token {
    const t = this.peek();
    if (t.kind === 'punct' && t.value === value) return this.next();
    return fail(`expected "${value}", found ${this.describe(t)} (opened at ${openedAt + 1})`, t.start, fix);
  }
}

/** ", did you mean hex2dec?" for a near miss (case, one or two typos); else ''. */
function suggest(name: string, known: readonly string[]): string {
  const lower = name.toLowerCase();
  const best = known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => distance(k, lower) <= 2);
  return best ? `; did you mean ${best}?` : '';
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

export type ParseResult =
  | { readonly ok: true; readonly tree: Node; readonly inputs: readonly string[] }
  | { readonly ok: false; readonly error: MappingError };

export function parseExpression(text: string): ParseResult {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    return {
      ok: false,
      error: {
        message: `the expression is ${text.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are allowed`,
        position: MAX_EXPRESSION_LENGTH,
        fix: 'write a shorter expression',
      },
    };
  }
  try {
    const parser = new Parser(text, tokenize(text));
    const tree = parser.parse();
    return { ok: true, tree, inputs: parser.inputs };
  } catch (e) {
    if (e instanceof Failure) return { ok: false, error: e.error };
    throw e;
  }
}
