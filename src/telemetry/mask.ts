/**
 * E-mail masking for logs and the status views (`log.maskEmails`), kept apart from the logger so
 * `status` masks without loading pino. What is masked and how: see telemetry/logger.ts.
 */

/** Field names whose value is an e-mail address (or what a source offered as one). */
const EMAIL_FIELD = /mail|^upn$|userprincipalname|proxyaddresses/i;
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const ALREADY_MASKED = /^[^*\s]?\*\*\*(?:@[^@\s]*)?$/;

/**
 * One e-mail value masked whole: `f***@example.com`. Keeps the first character of the local part
 * (when it is longer than one and holds no `*`) and the domain when it is a clean host name;
 * everything else becomes `***`. The result never contains the raw value.
 */
export function maskEmailValue(value: string): string {
  if (value === '' || ALREADY_MASKED.test(value)) return value;
  const at = value.lastIndexOf('@');
  const local = at >= 0 ? value.slice(0, at) : value;
  const domain = at >= 0 ? value.slice(at + 1) : '';
  const chars = [...local];
  const first = chars.length >= 2 && !local.includes('*') && !/\s/.test(chars[0] ?? '') ? chars[0] : '';
  if (at < 0) return `${first}***`;
  return `${first}***@${local !== '' && HOSTNAME.test(domain) ? domain : '***'}`;
}

/** A quoted value after "e-mail"/"email": from the first quote to the last one of the text. */
const EMAIL_QUOTE = /e-?mail[^"\n]*?"/i;
/** A word holding `@` (quotes, brackets and separators end a word). */
const AT_WORD = /[^\s"'<>()[\]{},;]*@[^\s"'<>()[\]{},;]*/g;

/** Masks e-mail values inside free text (messages, error texts, places). */
export function maskEmail(text: string): string {
  let out = text;
  const m = EMAIL_QUOTE.exec(out);
  if (m) {
    const open = m.index + m[0].length - 1;
    const close = out.lastIndexOf('"');
    if (close > open) {
      out = `${out.slice(0, open + 1)}${maskEmailValue(out.slice(open + 1, close))}${out.slice(close)}`;
    }
  }
  return out.includes('@') ? out.replace(AT_WORD, (w) => maskEmailValue(w)) : out;
}

/** Masks by field name and in text, down to a depth (the logger's formatters use it). */
export function maskDeep(value: unknown, depth = 0, emailField = false): unknown {
  if (typeof value === 'string') return emailField ? maskEmailValue(value) : maskEmail(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1, emailField));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1, EMAIL_FIELD.test(k));
  return out;
}

/** A copy of a JSON-like value with e-mails masked by field and in text (the daemon's /status). */
export function maskEmailsDeep<T>(value: T): T {
  return maskDeep(value, -64) as T;
}
