/**
 * HTML escaping for text from the directory (names, e-mails, places, error texts), shared by the
 * web console's pages and the notification e-mails: whatever a person typed into HR's system, it
 * stands as text, never as a tag or an attribute break.
 */
const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text as it may stand between tags or inside a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}
