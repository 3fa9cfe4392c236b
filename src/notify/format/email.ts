/**
 * The e-mail: subject, text part and HTML part. The HTML escapes every text (directory data such
 * as a name `<img src=x onerror=…>` arrives as text), uses inline styles only (mail clients drop
 * <style>) and loads nothing remote (no images, no fonts): it reads the same offline.
 */
import { escapeHtml } from '../../core/escape-html.js';
import type { NotifyEvent, Severity } from '../types.js';
import { plainText, SEVERITY_WORD, textMessage } from './text.js';

export interface EmailMessage {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const COLOUR: Record<Severity, string> = {
  critical: '#b42318',
  warning: '#b54708',
  info: '#175cd3',
  ok: '#067647',
};

/** Only http(s) links are rendered as links; anything else (javascript:, data:) stays text. */
export function safeUrl(url: string): string | null {
  return /^https?:\/\/[^\s"'<>]+$/i.test(url) ? url : null;
}

const FONT = 'font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;color:#101828';

function lineHtml(line: string): string {
  if (line.startsWith('- ')) return `<li style="margin:0 0 2px 0">${escapeHtml(line.slice(2))}</li>`;
  return `<p style="margin:0 0 8px 0">${escapeHtml(line)}</p>`;
}

/** Groups "- " lines into lists. */
function bodyHtml(lines: readonly string[]): string {
  const out: string[] = [];
  let inList = false;
  for (const line of lines) {
    const item = line.startsWith('- ');
    if (item && !inList) out.push('<ul style="margin:0 0 8px 0;padding-left:20px">');
    if (!item && inList) out.push('</ul>');
    inList = item;
    out.push(lineHtml(line));
  }
  if (inList) out.push('</ul>');
  return out.join('\n');
}

export function emailMessage(event: NotifyEvent): EmailMessage {
  const m = textMessage(event);
  const url = m.link ? safeUrl(m.link.url) : null;
  const link =
    m.link && url
      ? `<p style="margin:16px 0 0 0"><a href="${escapeHtml(url)}" style="display:inline-block;padding:8px 14px;background:${COLOUR[m.severity]};color:#ffffff;text-decoration:none;border-radius:4px">${escapeHtml(m.link.label)}</a></p>`
      : '';
  const html = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>',
    `<body style="margin:0;padding:16px;${FONT}">`,
    `<div style="border-left:4px solid ${COLOUR[m.severity]};padding:4px 0 4px 12px;margin:0 0 12px 0">`,
    `<div style="font-size:12px;font-weight:600;color:${COLOUR[m.severity]};text-transform:uppercase">${escapeHtml(SEVERITY_WORD[m.severity])}</div>`,
    `<div style="font-size:16px;font-weight:600">${escapeHtml(m.title)}</div>`,
    '</div>',
    bodyHtml(m.lines),
    link,
    '</body></html>',
  ].join('\n');
  return { subject: m.title, text: plainText(m), html };
}
