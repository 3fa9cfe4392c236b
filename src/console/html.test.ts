import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../core/escape-html.js';
import { html, toText } from './html.js';

describe('html template', () => {
  it('escapes every interpolated string: no tag or attribute break, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = toText(html`<td title="${s}">${s}</td>`);
        const inner = out.slice('<td title="'.length, -'</td>'.length);
        // The value can neither open/close a tag nor leave the quoted attribute.
        return !/[<>"'`]/.test(inner.replace('">', '')) && out.split('<').length === 3;
      }),
    );
  });

  it('keeps nested templates and joins arrays, escaping their strings', () => {
    const rows = ['<b>', 'a&b'].map((x) => html`<li>${x}</li>`);
    expect(toText(html`<ul>${rows}</ul>`)).toBe('<ul><li>&lt;b&gt;</li><li>a&amp;b</li></ul>');
    expect(toText(html`${null}${undefined}${false}${0}`)).toBe('0');
  });

  it('renders a hostile directory name as text', () => {
    const name = '<img src=x onerror=alert(1)>';
    expect(toText(html`<td>${name}</td>`)).toBe('<td>&lt;img src=x onerror=alert(1)&gt;</td>');
    expect(escapeHtml(`"'\``)).toBe('&quot;&#39;&#96;');
  });

  it('does not take a look-alike object for safe HTML', () => {
    const fake = { text: '<script>' } as unknown as string;
    expect(toText(html`${fake}`)).toBe('[object Object]');
  });
});
