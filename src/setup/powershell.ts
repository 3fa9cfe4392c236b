/**
 * Just enough PowerShell to read one web request out of a task's script: `Invoke-WebRequest` /
 * `Invoke-RestMethod` (and their aliases) with their parameters, string literals with variable
 * expansion, `@{…}` hashtables, and simple `$name = …` assignments. Nothing is executed.
 */

export type PsToken =
  | { readonly kind: 'param'; readonly name: string; readonly attached?: PsToken }
  | { readonly kind: 'single' | 'double' | 'word'; readonly text: string }
  | { readonly kind: 'hashtable' | 'group'; readonly text: string };

const REQUEST =
  /(?<![\w-])(Invoke-WebRequest|Invoke-RestMethod|iwr|irm|curl(?:\.exe)?|wget(?:\.exe)?)(?![\w.-])/gi;

/** Reads a quoted string from `s[i]` (a quote); returns its raw body and the index after it. */
function readQuoted(s: string, i: number): { body: string; end: number } {
  const q = s[i]!;
  let body = '';
  let j = i + 1;
  while (j < s.length) {
    const ch = s[j]!;
    if (q === '"' && ch === '`' && j + 1 < s.length) {
      body += ch + s[j + 1];
      j += 2;
      continue;
    }
    if (ch === q) {
      if (s[j + 1] === q) {
        body += q === '"' ? '`"' : "'";
        j += 2;
        continue;
      }
      return { body, end: j + 1 };
    }
    body += ch;
    j++;
  }
  return { body, end: j };
}

/** Reads a bracketed group from `s[i]` (`{` or `(`), quotes respected; returns its inner text. */
function readGroup(s: string, i: number): { body: string; end: number } {
  let depth = 0;
  let j = i;
  while (j < s.length) {
    const ch = s[j]!;
    if (ch === '"' || ch === "'") {
      j = readQuoted(s, j).end;
      continue;
    }
    if (ch === '{' || ch === '(') depth++;
    if (ch === '}' || ch === ')') {
      depth--;
      if (depth === 0) return { body: s.slice(i + 1, j), end: j + 1 };
    }
    j++;
  }
  return { body: s.slice(i + 1), end: j };
}

/** The tokens of the statement starting at `i`, up to a newline, `;`, `|` or an unmatched bracket. */
export function tokenizeStatement(s: string, i: number): PsToken[] {
  const tokens: PsToken[] = [];
  let j = i;
  while (j < s.length) {
    const ch = s[j]!;
    if (ch === '`' && (s[j + 1] === '\n' || s[j + 1] === '\r')) {
      j += s[j + 1] === '\r' && s[j + 2] === '\n' ? 3 : 2;
      continue;
    }
    if (ch === ' ' || ch === '\t') {
      j++;
      continue;
    }
    if ('\r\n;|)}'.includes(ch)) break;
    const token = readToken(s, j);
    tokens.push(token.token);
    j = token.end;
  }
  return tokens;
}

function readToken(s: string, j: number): { token: PsToken; end: number } {
  const ch = s[j]!;
  if (ch === '"' || ch === "'") {
    const q = readQuoted(s, j);
    return { token: { kind: ch === '"' ? 'double' : 'single', text: q.body }, end: q.end };
  }
  if (ch === '@' && s[j + 1] === '{') {
    const g = readGroup(s, j + 1);
    return { token: { kind: 'hashtable', text: g.body }, end: g.end };
  }
  if (ch === '(' || (ch === '$' && s[j + 1] === '(')) {
    const g = readGroup(s, ch === '$' ? j + 1 : j);
    return { token: { kind: 'group', text: g.body }, end: g.end };
  }
  const m = /^-([A-Za-z][\w]*)(:?)/.exec(s.slice(j));
  if (m) {
    const end = j + m[0].length;
    if (m[2] && end < s.length && !/\s/.test(s[end]!)) {
      const attached = readToken(s, end);
      return { token: { kind: 'param', name: m[1]!, attached: attached.token }, end: attached.end };
    }
    return { token: { kind: 'param', name: m[1]! }, end };
  }
  let k = j;
  while (k < s.length && !/[\s;|)}]/.test(s[k]!)) k++;
  return { token: { kind: 'word', text: s.slice(j, k) }, end: k };
}

/** `$name = value` assignments, last one wins: the raw token of each value. */
export type Variables = ReadonlyMap<string, PsToken>;

export function readAssignments(script: string): Variables {
  const vars = new Map<string, PsToken>();
  const re = /(?:^|[\r\n;{])[ \t]*\$(?:script:|global:)?(\w+)[ \t]*=(?!=)[ \t]*/gi;
  for (const m of script.matchAll(re)) {
    const start = m.index + m[0].length;
    const tokens = tokenizeStatement(script, start);
    const first = tokens[0];
    if (!first) continue;
    // `$x = Get-Content 'a.csv'`: keep the whole statement as a group so the path can be found
    vars.set(
      m[1]!.toLowerCase(),
      tokens.length === 1 ? first : { kind: 'group', text: script.slice(start).split(/\r?\n/)[0]! },
    );
  }
  return vars;
}

const BACKTICK: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '0': '\0' };

/** A double-quoted string's value: backtick escapes, `$var`, `${var}`, `$($var)`; `$env:X` kept as written. */
export function expandDouble(body: string, vars: Variables, depth = 0): string {
  return body.replace(
    /`(.)|\$\{(\w+)\}|\$\(\s*\$(\w+)\s*\)|\$(env:\w+|\w+)/g,
    (
      all,
      esc: string | undefined,
      braced: string | undefined,
      sub: string | undefined,
      plain: string | undefined,
    ) => {
      if (esc !== undefined) return BACKTICK[esc] ?? esc;
      const name = braced ?? sub ?? plain!;
      if (name.toLowerCase().startsWith('env:')) return all;
      const v = vars.get(name.toLowerCase());
      return v && depth < 8 ? (stringValue(v, vars, depth + 1) ?? all) : all;
    },
  );
}

/** A token's string value, when it has one: literals, expanded strings, bare words, `$var`. */
export function stringValue(t: PsToken, vars: Variables, depth = 0): string | undefined {
  switch (t.kind) {
    case 'single':
      return t.text;
    case 'double':
      return expandDouble(t.text, vars, depth);
    case 'word': {
      const v = /^\$(\w+)$/.exec(t.text);
      if (!v) return t.text;
      const value = vars.get(v[1]!.toLowerCase());
      return value && depth < 8 ? stringValue(value, vars, depth + 1) : undefined;
    }
    case 'group': {
      // `("a" + "b")` or `('x')`: the strings in it, joined
      const parts = tokenizeStatement(t.text.replace(/\+/g, ' '), 0).filter(
        (p) => p.kind === 'single' || p.kind === 'double',
      );
      return parts.length ? parts.map((p) => stringValue(p, vars, depth) ?? '').join('') : undefined;
    }
    default:
      return undefined;
  }
}

/** The first string literal inside a token (e.g. the path in `(Get-Content -Raw 'C:\x.csv')`). */
export function firstString(t: PsToken, vars: Variables, depth = 0): string | undefined {
  if (t.kind === 'single' || t.kind === 'double') return stringValue(t, vars, depth);
  if (t.kind === 'word') {
    const v = /^\$(\w+)$/.exec(t.text);
    const value = v ? vars.get(v[1]!.toLowerCase()) : undefined;
    return value && depth < 8 ? firstString(value, vars, depth + 1) : v ? undefined : t.text;
  }
  if (t.kind === 'group') {
    for (const inner of tokenizeStatement(t.text, 0)) {
      if (inner.kind === 'param') continue;
      const s = firstString(inner, vars, depth + 1);
      if (s && (inner.kind !== 'word' || /[\\/.]/.test(s))) return s;
    }
  }
  return undefined;
}

/** A hashtable's entries (`@{ Authorization = "Bearer …"; 'X' = $y }`), keys lower-cased. */
export function hashtableEntries(t: PsToken, vars: Variables, depth = 0): Map<string, string> {
  const out = new Map<string, string>();
  if (t.kind === 'word') {
    const v = /^\$(\w+)$/.exec(t.text);
    const value = v ? vars.get(v[1]!.toLowerCase()) : undefined;
    return value && depth < 8 ? hashtableEntries(value, vars, depth + 1) : out;
  }
  if (t.kind !== 'hashtable') return out;
  for (const line of t.text.split(/[;\r\n]+/)) {
    const m = /^\s*(?:"([^"]*)"|'([^']*)'|([\w-]+))\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const value = tokenizeStatement(m[4]!, 0)[0];
    const s = value ? stringValue(value, vars, depth) : undefined;
    if (s !== undefined) out.set((m[1] ?? m[2] ?? m[3]!).toLowerCase(), s);
  }
  return out;
}

export interface PsRequest {
  /** As written: `Invoke-WebRequest`, `irm`, … */
  readonly cmdlet: string;
  /** Parameter name (lower-case, as typed) → its value token; `''` → positional ones. */
  readonly params: ReadonlyMap<string, PsToken>;
  readonly positional: readonly PsToken[];
  /** Every token after the cmdlet, in order (a native program such as curl.exe reads these). */
  readonly tokens: readonly PsToken[];
  /** The statement as text, for messages. */
  readonly text: string;
}

/** Every web request cmdlet call in the script, in order. */
export function findRequests(script: string): PsRequest[] {
  const out: PsRequest[] = [];
  for (const m of script.matchAll(REQUEST)) {
    const start = m.index + m[0].length;
    const tokens = tokenizeStatement(script, start);
    const params = new Map<string, PsToken>();
    const positional: PsToken[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind !== 'param') {
        positional.push(t);
        continue;
      }
      const next = tokens[i + 1];
      const value = t.attached ?? (next && next.kind !== 'param' ? next : undefined);
      if (value && !t.attached) i++;
      params.set(t.name.toLowerCase(), value ?? { kind: 'word', text: '$true' });
    }
    const end = script.indexOf('\n', start);
    out.push({
      cmdlet: m[1]!,
      params,
      positional,
      tokens,
      text: script.slice(m.index, end < 0 ? undefined : end).trim(),
    });
  }
  return out;
}

/** A parameter by any unambiguous prefix PowerShell accepts for it (`-Uri`, `-InF`, `-Header`). */
export function param(req: PsRequest, name: string, minLength = 2): PsToken | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of req.params) if (k.length >= minLength && want.startsWith(k)) return v;
  return undefined;
}
