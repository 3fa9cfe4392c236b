/**
 * The console's only way to build HTML: a tagged template that escapes every interpolation unless
 * it is already `SafeHtml` (the result of another `html` template). Directory data (names,
 * e-mails, places, error texts) is always interpolated, never concatenated, so a name like
 * `<img src=x onerror=…>` renders as text.
 */
import { escapeHtml } from '../core/escape-html.js';

const SAFE = Symbol('SafeHtml');

export interface SafeHtml {
  readonly [SAFE]: true;
  readonly text: string;
}

function safe(text: string): SafeHtml {
  return { [SAFE]: true, text };
}

export function isSafeHtml(v: unknown): v is SafeHtml {
  return typeof v === 'object' && v !== null && (v as Partial<SafeHtml>)[SAFE] === true;
}

/** What may be interpolated: text and numbers are escaped; arrays are joined; null/undefined/false vanish. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(render).join('');
  if (isSafeHtml(v)) return v.text;
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i] ?? '') + (strings[i + 1] ?? '');
  return safe(out);
}

/** A page's final text. */
export function toText(h: SafeHtml): string {
  return h.text;
}
