/**
 * The secret scrubber: every configured secret value is removed *by value* from text at the
 * output boundaries (log lines, CLI stdout/stderr, the history file, the daemon's /status and
 * /metrics), whatever code path produced that text. A secret can reach an error message in ways
 * no key-based redaction sees: MIM echoing the token in an error body, a URL with `user:pw@` in
 * it, a library quoting its input. So the config loader registers each secret here, and each
 * boundary passes its final text through `scrubSecrets`.
 *
 * Forms: the value itself, JSON-escaped up to three times (an error body quoted in a JSON log line),
 * with `/` written `\/` (the Auto-sync task XML does that), percent-encoded and base64.
 * Short values would match ordinary text, so a secret under 8 characters is only replaced where
 * it stands alone (no letter or digit next to it), and one under 4 characters is not replaced at
 * all: scrubbing every "abc" would destroy the output and still protect nothing.
 */

export const REDACTED = '[redacted]';
/** From this length a secret is replaced wherever it occurs. */
const ANYWHERE_FROM = 8;
/** Below this length a secret is not scrubbed by value. */
const SCRUB_FROM = 4;
/** Values that, scrubbed, would break JSON output; nobody's secret. */
const NEVER = new Set(['true', 'false', 'null']);

/** `scheme://user:password@` in any URL: the user-info goes, whoever wrote it. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>\\]+@/gi;

const registered = new Set<string>();
let pattern: RegExp | null = null;

const jsonInner = (s: string): string => JSON.stringify(s).slice(1, -1);
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function formsOf(value: string): string[] {
  const forms = new Set<string>();
  for (const base of [value, value.replaceAll('/', '\\/')]) {
    let form = base;
    for (let depth = 0; depth <= 3; depth++, form = jsonInner(form)) forms.add(form);
  }
  forms.add(encodeURIComponent(value));
  if (value.length >= ANYWHERE_FROM) forms.add(Buffer.from(value, 'utf8').toString('base64'));
  return [...forms];
}

function rebuild(): void {
  const parts: { source: string; length: number }[] = [];
  for (const value of registered) {
    for (const form of formsOf(value)) {
      const body = escapeRe(form);
      parts.push({
        source: value.length >= ANYWHERE_FROM ? body : `(?<![A-Za-z0-9])${body}(?![A-Za-z0-9])`,
        length: form.length,
      });
    }
  }
  // Longest first, so a secret's escaped form wins over a shorter secret inside it.
  parts.sort((a, b) => b.length - a.length);
  pattern = parts.length > 0 ? new RegExp(parts.map((p) => p.source).join('|'), 'g') : null;
}

/** Registers a secret value (and, for a URL, its user-info). Empty and very short values are ignored. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string') return;
  let changed = false;
  for (const v of new Set([value, value.trim()])) {
    if (v.length < SCRUB_FROM || NEVER.has(v.toLowerCase()) || registered.has(v)) continue;
    registered.add(v);
    changed = true;
  }
  if (changed) rebuild();
}

/** Registers the user-info (and its password part) of every URL inside `text`. */
export function registerUrlCredentials(text: string): void {
  for (const m of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/([^\s/?#@"'<>\\]+)@/gi)) {
    const userInfo = m[1] ?? '';
    registerSecret(userInfo);
    registerSecret(safeDecode(userInfo));
    const colon = userInfo.indexOf(':');
    if (colon >= 0) {
      registerSecret(userInfo.slice(colon + 1));
      registerSecret(safeDecode(userInfo.slice(colon + 1)));
    }
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `text` with every registered secret, and the user-info of every URL, replaced by [redacted]. */
export function scrubSecrets(text: string): string {
  let out = text.includes('://') ? text.replace(URL_USERINFO, `$1${REDACTED}@`) : text;
  if (pattern) out = out.replace(pattern, REDACTED);
  return out;
}

/** JSON text of `value` with secrets scrubbed from every string (keys too); always valid JSON. */
export function scrubbedJson(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    function (this: unknown, _key, v: unknown) {
      if (typeof v === 'string') return scrubSecrets(v);
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
        const entries = Object.entries(v as Record<string, unknown>);
        if (entries.some(([k]) => scrubSecrets(k) !== k)) {
          return Object.fromEntries(entries.map(([k, x]) => [scrubSecrets(k), x]));
        }
      }
      return v;
    },
    space,
  );
}

/** How many secrets are registered (for tests and `config validate`). */
export function registeredSecretCount(): number {
  return registered.size;
}

/** Forgets every secret (tests only). */
export function forgetSecrets(): void {
  registered.clear();
  pattern = null;
}

type Write = NodeJS.WriteStream['write'];

/**
 * Makes every write to stdout and stderr pass through the scrubber: the CLI's reports, its error
 * messages, and anything a library prints. Idempotent.
 */
export function installStdioScrubber(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const marked = stream as NodeJS.WriteStream & { __scrubbed?: true };
    if (marked.__scrubbed) continue;
    marked.__scrubbed = true;
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
      const encoding = typeof rest[0] === 'string' ? rest[0] : 'utf8';
      if (typeof chunk === 'string' && (encoding === 'utf8' || encoding === 'utf-8')) {
        return original(scrubSecrets(chunk), ...rest);
      }
      if (chunk instanceof Uint8Array) {
        const text = Buffer.from(chunk).toString('utf8');
        const scrubbed = scrubSecrets(text);
        return original(scrubbed === text ? chunk : scrubbed, ...rest);
      }
      return original(chunk, ...rest);
    }) as Write;
  }
}
