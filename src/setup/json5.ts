/**
 * Renders a config as JSON5 with comments, so a generated config explains itself like
 * config/example.json5 does. Plain data in, text out.
 */

export type J5Value = string | number | boolean | null | readonly J5Entry[] | J5Object;
export interface J5Object {
  readonly [key: string]: J5Entry;
}
export type J5Entry = J5Value | Commented;

/** A value with the comment lines written above it (or after it, for a short one). */
export class Commented {
  constructor(
    readonly value: J5Value,
    readonly comment: string,
  ) {}
}

/** `note(value, 'why')`: a value with a comment. */
export function note(value: J5Value, comment: string): Commented {
  return new Commented(value, comment);
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

function commentLines(comment: string, pad: string): string[] {
  return comment.split('\n').map((l) => `${pad}// ${l}`.trimEnd());
}

function renderValue(value: J5Value, depth: number): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return quote(value);
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  const entries: [string | undefined, J5Entry][] = Array.isArray(value)
    ? (value as readonly J5Entry[]).map((v) => [undefined, v])
    : Object.entries(value as J5Object);
  if (entries.length === 0) return Array.isArray(value) ? '[]' : '{}';
  const lines: string[] = [];
  for (const [key, entry] of entries) {
    const inner = entry instanceof Commented ? entry.value : entry;
    const prefix = key === undefined ? '' : `${IDENT.test(key) ? key : quote(key)}: `;
    if (entry instanceof Commented) lines.push(...commentLines(entry.comment, pad));
    lines.push(`${pad}${prefix}${renderValue(inner, depth + 1)},`);
  }
  const [open, end] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${lines.join('\n')}\n${close}${end}`;
}

/** The whole file: a header comment, then the value. */
export function renderJson5(value: J5Object, header: string): string {
  return `${commentLines(header, '').join('\n')}\n${renderValue(value, 0)}\n`;
}
