/**
 * Our RFC 4515 parser for the filters an admin writes (see filters.ts for why not ldapts's): the
 * tree, its canonical text and the problem description. No ldapts here, so the ldap schema's
 * checks (config.ts) load without the client library.
 */

// ---------------------------------------------------------------------------------------------
// RFC 4515 (string filters), with attribute descriptions and OIDs from RFC 4512 §1.4 / §2.5:
//   filter     = "(" filtercomp ")"           filtercomp = and / or / not / item
//   and        = "&" 1*filter                 or = "|" 1*filter          not = "!" filter
//   item       = attr ("=" / "~=" / ">=" / "<=") value   /   attr "=*"   /   substring
//              / attr [":dn"] [":" oid] ":=" value      /   [":dn"] ":" oid ":=" value
//   value      = *(UTF-8 except NUL ( ) * \  /  "\" HEX HEX)
// ---------------------------------------------------------------------------------------------

type Compare = 'equal' | 'approx' | 'ge' | 'le';

/** A filter as our parser reads it; values are the bytes the server will compare. */
export type FilterNode =
  | { readonly kind: 'and' | 'or'; readonly children: readonly FilterNode[] }
  | { readonly kind: 'not'; readonly child: FilterNode }
  | { readonly kind: 'present'; readonly attribute: string }
  | { readonly kind: Compare; readonly attribute: string; readonly value: Buffer }
  | {
      readonly kind: 'substring';
      readonly attribute: string;
      readonly initial: Buffer | undefined;
      readonly any: readonly Buffer[];
      readonly final: Buffer | undefined;
    }
  | {
      readonly kind: 'extensible';
      readonly attribute: string | undefined;
      readonly dnAttributes: boolean;
      readonly rule: string | undefined;
      readonly value: Buffer;
    };

/** Where a filter text leaves the grammar: a 1-based character position and what is wrong there. */
export interface FilterProblem {
  readonly position: number;
  readonly problem: string;
}

export type FilterParse =
  | { readonly ok: true; readonly node: FilterNode }
  | { readonly ok: false; readonly error: FilterProblem };

/** Deep enough for any real filter, shallow enough that a hostile one cannot exhaust the stack. */
const MAX_DEPTH = 64;
const OPS: Readonly<Record<string, Compare>> = { '~': 'approx', '>': 'ge', '<': 'le' };
const SYMBOL: Readonly<Record<Compare, string>> = { equal: '=', approx: '~=', ge: '>=', le: '<=' };
const KEYSTRING = /[A-Za-z][A-Za-z0-9-]*/y;
const NUMERICOID = /(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+/y;
const OPTION = /;[A-Za-z0-9-]+/y;
const HEX2 = /^[0-9A-Fa-f]{2}$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

class Stop extends Error {
  constructor(
    readonly at: number,
    readonly why: string,
  ) {
    super(why);
  }
}

const shown = (c: string | undefined): string => (c === undefined ? 'the end' : JSON.stringify(c));

/** Recursive descent over one filter text; `i` is the index of the next character. */
class Reader {
  i = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  private fail(at: number, why: string): never {
    throw new Stop(at, why);
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }

  filter(): FilterNode {
    const open = this.i;
    if (this.s[this.i] !== '(') this.fail(this.i, `expected "(" but found ${shown(this.s[this.i])}`);
    if (++this.depth > MAX_DEPTH) this.fail(this.i, `filters nested deeper than ${MAX_DEPTH} levels`);
    this.i++;
    const c = this.s[this.i];
    let node: FilterNode;
    if (c === '&' || c === '|') {
      this.i++;
      const children: FilterNode[] = [];
      while (this.s[this.i] === '(') children.push(this.filter());
      if (children.length === 0 && this.s[this.i] === ')')
        this.fail(this.i, `"(${c}" needs at least one filter inside, e.g. (${c}(cn=a)(cn=b))`);
      node = { kind: c === '&' ? 'and' : 'or', children };
    } else if (c === '!') {
      this.i++;
      node = { kind: 'not', child: this.filter() };
      if (this.s[this.i] === '(')
        this.fail(
          this.i,
          '"(!" takes exactly one filter, but a second one starts here; wrap them in (&…) or (|…)',
        );
    } else {
      node = this.item();
    }
    this.close(open, c === '&' || c === '|' || c === '!' ? `(${c}` : '(');
    this.depth--;
    return node;
  }

  private close(open: number, what: string): void {
    const c = this.s[this.i];
    if (c === ')') {
      this.i++;
      return;
    }
    if (c === undefined)
      this.fail(
        this.i,
        `missing ")": the "${what}" opened at character ${open + 1} is never closed, so the parentheses do not balance`,
      );
    this.fail(
      this.i,
      `expected ")" to close the "${what}" opened at character ${open + 1}, found ${shown(c)}`,
    );
  }

  private attribute(what: string): string {
    const start = this.i;
    const type = this.match(NUMERICOID) ?? this.match(KEYSTRING);
    if (type === undefined) {
      this.fail(
        start,
        `expected ${what} (a name such as cn or departmentNumber, or an OID such as 2.5.4.3), found ${shown(this.s[start])}`,
      );
    }
    while (this.s[this.i] === ';') {
      if (this.match(OPTION) === undefined)
        this.fail(this.i + 1, 'an attribute option after ";" must be letters, digits or "-"');
    }
    // A name that runs on into characters no name may hold, e.g. "employee_id" or "cn =x".
    if (this.i < this.s.length && !'=~<>:)'.includes(this.s[this.i]!))
      this.fail(
        this.i,
        `${shown(this.s[this.i])} cannot be part of ${what} "${this.s.slice(start, this.i)}"`,
      );
    return this.s.slice(start, this.i);
  }

  private oid(): string {
    const start = this.i;
    const rule = this.match(NUMERICOID) ?? this.match(KEYSTRING);
    if (rule === undefined || this.s[this.i] !== ':')
      this.fail(
        this.i,
        'expected a matching rule (an OID such as 1.2.840.113556.1.4.803, or a name) followed by ":="',
      );
    return this.s.slice(start, this.i);
  }

  private item(): FilterNode {
    if (this.s[this.i] === ':') return this.extensible(undefined);
    const attribute = this.attribute('an attribute name');
    const c = this.s[this.i];
    if (c === ':') return this.extensible(attribute);
    if (c === '=') {
      this.i++;
      return this.equalityOrSubstring(attribute);
    }
    const kind = c === undefined ? undefined : OPS[c];
    if (kind && this.s[this.i + 1] === '=') {
      this.i += 2;
      const at = this.i;
      return {
        kind,
        attribute,
        value: this.text({ at, bytes: this.value(false) }, 'an ordering or approximate match'),
      };
    }
    return this.fail(this.i, `expected =, ~=, >=, <= or := after "${attribute}", found ${shown(c)}`);
  }

  private extensible(attribute: string | undefined): FilterNode {
    let dnAttributes = false;
    if (this.s.slice(this.i, this.i + 3).toLowerCase() === ':dn' && this.s[this.i + 3] === ':') {
      dnAttributes = true;
      this.i += 3;
    }
    let rule: string | undefined;
    if (this.s[this.i] === ':' && this.s[this.i + 1] !== '=') {
      this.i++;
      rule = this.oid();
    }
    if (attribute === undefined && rule === undefined)
      this.fail(
        this.i,
        'an extensible match without an attribute needs a matching rule, e.g. (:dn:2.5.13.5:=x)',
      );
    if (this.s[this.i] !== ':' || this.s[this.i + 1] !== '=')
      this.fail(this.i, `expected ":=" in the extensible match, found ${shown(this.s[this.i])}`);
    this.i += 2;
    const at = this.i;
    const value = { at, bytes: this.value(false) };
    return {
      kind: 'extensible',
      attribute,
      dnAttributes,
      rule,
      value: this.text(value, 'an extensible match'),
    };
  }

  private equalityOrSubstring(attribute: string): FilterNode {
    const parts: { at: number; bytes: Buffer }[] = [{ at: this.i, bytes: this.value(true) }];
    while (this.s[this.i] === '*') {
      this.i++;
      parts.push({ at: this.i, bytes: this.value(true) });
    }
    if (parts.length === 1) return { kind: 'equal', attribute, value: parts[0]!.bytes };
    if (parts.length === 2 && parts[0]!.bytes.length === 0 && parts[1]!.bytes.length === 0)
      return { kind: 'present', attribute };
    const inner = parts.slice(1, -1);
    const empty = inner.find((p) => p.bytes.length === 0);
    if (empty)
      this.fail(empty.at - 1, '"**" is not a pattern: two "*" in a row (write \\2a for a literal "*")');
    const first = parts[0]!;
    const last = parts[parts.length - 1]!;
    return {
      kind: 'substring',
      attribute,
      initial: first.bytes.length ? this.text(first, 'a substring match') : undefined,
      any: inner.map((p) => this.text(p, 'a substring match')),
      final: last.bytes.length ? this.text(last, 'a substring match') : undefined,
    };
  }

  /** Values other than an equality match are sent as text by ldapts: their bytes must be UTF-8. */
  private text(v: { at: number; bytes: Buffer }, where: string): Buffer {
    if (!isUtf8(v.bytes)) {
      this.fail(
        v.at,
        `the escaped bytes are not UTF-8 text; binary values (e.g. objectGUID) only work in an equality match (attr=\\01\\02…), not in ${where}`,
      );
    }
    return v.bytes;
  }

  /** An assertion value up to ")" (or "*" when `star` is allowed), unescaped to bytes. */
  private value(star: boolean): Buffer {
    const bytes: number[] = [];
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || c === ')' || (star && c === '*')) break;
      const at = this.i;
      if (c === '(') this.fail(at, 'an unescaped "(" in a value; write \\28 (and \\29 for ")")');
      if (c === '*') this.fail(at, 'a "*" is only a wildcard after "="; write \\2a for a literal "*"');
      if (c === '\0') this.fail(at, 'a NUL character in a value; write \\00');
      if (c === '\\') {
        const hex = this.s.slice(at + 1, at + 3);
        if (!HEX2.test(hex))
          this.fail(
            at,
            `"\\" must be followed by two hex digits (\\2a, \\28, \\29, \\5c, \\00), found "\\${hex}"`,
          );
        bytes.push(Number.parseInt(hex, 16));
        this.i += 3;
        continue;
      }
      const cp = this.s.codePointAt(at)!;
      if (cp >= 0xd800 && cp <= 0xdfff) this.fail(at, 'a lone surrogate is not a character');
      const ch = String.fromCodePoint(cp);
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      this.i += ch.length;
    }
    return Buffer.from(bytes);
  }
}

/** Parses `text` (surrounding whitespace ignored) as exactly one RFC 4515 filter. */
export function parseFilter(text: string): FilterParse {
  const lead = text.length - text.trimStart().length;
  const s = text.trim();
  const at = (i: number): number => lead + i + 1;
  if (s === '') return { ok: false, error: { position: at(0), problem: 'the filter is empty' } };
  if (s[0] !== '(')
    return {
      ok: false,
      error: {
        position: at(0),
        problem: `a filter starts with "(", e.g. (${s.length > 40 ? 'cn=…' : s})`,
      },
    };
  const r = new Reader(s);
  try {
    const node = r.filter();
    if (r.i < s.length) {
      const extra = s[r.i] === '(';
      return {
        ok: false,
        error: {
          position: at(r.i),
          problem: extra
            ? 'a second filter starts after the first one has ended; combine them with (&…) or (|…)'
            : `text after the end of the filter: ${JSON.stringify(s.slice(r.i, r.i + 20))} (a ")" too many?)`,
        },
      };
    }
    return { ok: true, node };
  } catch (e) {
    if (e instanceof Stop) return { ok: false, error: { position: at(e.at), problem: e.why } };
    throw e;
  }
}

/** Escapes what RFC 4515 requires (and bytes that are not UTF-8); other characters stay as they are. */
function printValue(bytes: Buffer): string {
  let text: string | undefined;
  try {
    text = UTF8.decode(bytes);
  } catch {
    text = undefined;
  }
  if (text === undefined) return [...bytes].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
  return text.replace(/[\0-\x1f\x7f()*\\]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The canonical RFC 4515 text of a parsed filter; parseFilter(printFilter(n)) gives n back. */
export function printFilter(n: FilterNode): string {
  switch (n.kind) {
    case 'and':
    case 'or':
      return `(${n.kind === 'and' ? '&' : '|'}${n.children.map(printFilter).join('')})`;
    case 'not':
      return `(!${printFilter(n.child)})`;
    case 'present':
      return `(${n.attribute}=*)`;
    case 'substring':
      return `(${n.attribute}=${[n.initial, ...n.any, n.final].map((v) => (v ? printValue(v) : '')).join('*')})`;
    case 'extensible':
      return `(${n.attribute ?? ''}${n.dnAttributes ? ':dn' : ''}${n.rule ? `:${n.rule}` : ''}:=${printValue(n.value)})`;
    default:
      return `(${n.attribute}${SYMBOL[n.kind]}${printValue(n.value)})`;
  }
}

/** A one-line description of a filter problem with a pointer into the text, for error messages. */
export function describeFilterProblem(text: string, e: FilterProblem): string {
  const i = e.position - 1;
  const before = text.slice(Math.max(0, i - 30), i);
  const after = text.slice(i, i + 20);
  const near = `${i > 30 ? '…' : ''}${before}⟦here⟧${after}${i + 20 < text.length ? '…' : ''}`;
  return `${e.problem} (at character ${e.position}: ${near})`;
}

/** True when the bytes are valid UTF-8 (sent as text then). */
export function isUtf8(b: Buffer): boolean {
  try {
    UTF8.decode(b);
    return true;
  } catch {
    return false;
  }
}
