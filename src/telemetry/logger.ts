/**
 * pino JSON logs. Secrets are redacted by key wherever they appear, and every finished line
 * passes through the secret scrubber (core/secrets.ts), so a secret that reached a message some
 * other way (MIM echoing the token, a URL with credentials) is removed by value.
 *
 * With `maskEmails`, nothing that came from an e-mail field appears unmasked, whatever its shape:
 * - by field: any field whose name says e-mail (email, mail, userPrincipalName, …) is masked whole;
 * - in text: a quoted value after the word "e-mail" (rejection messages quote the address as it
 *   was, quotes and spaces included) is masked whole, and, as a net, every `@`-containing word.
 */
import { type Logger, pino } from 'pino';
import type { LogLevel } from '../config/schema.js';
import { scrubSecrets } from '../core/secrets.js';

export type { Logger } from 'pino';

const SECRET_KEYS = [
  'token',
  'password',
  'bindPassword',
  'clientSecret',
  'certificatePassphrase',
  'authorization',
  'secret',
];
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

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

function maskDeep(value: unknown, depth = 0, emailField = false): unknown {
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

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly maskEmails: boolean;
  /** 1 = stdout (daemon: journald/Docker pick it up), 2 = stderr (CLI: keeps stdout for the plan). */
  readonly fd?: 1 | 2;
  /** Where lines go instead of the fd (tests). */
  readonly stream?: { write(line: string): void };
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: {
        level: (label) => ({ level: label }),
        ...(options.maskEmails
          ? {
              log: (obj: Record<string, unknown>) => maskDeep(obj) as Record<string, unknown>,
              bindings: (b: Record<string, unknown>) => maskDeep(b) as Record<string, unknown>,
            }
          : {}),
      },
      hooks: {
        ...(options.maskEmails
          ? {
              logMethod(args, method) {
                const masked = args.map((a) => (typeof a === 'string' ? maskEmail(a) : a)) as typeof args;
                method.apply(this, masked);
              },
            }
          : {}),
        // The last step before the line is written: no code path can skip it.
        streamWrite: scrubSecrets,
      },
    },
    options.stream ?? pino.destination({ fd: options.fd ?? 1, sync: true }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
