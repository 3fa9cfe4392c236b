/**
 * pino JSON logs. Secrets are redacted by key wherever they appear; with `maskEmails`, every
 * e-mail address in a log line (fields and message) becomes `a***@example.com`.
 */
import { type Logger, pino } from 'pino';
import type { LogLevel } from '../config/schema.js';

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

const EMAIL_IN_TEXT = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

export function maskEmail(text: string): string {
  return text.replace(EMAIL_IN_TEXT, '$1***@$2');
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskEmail(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly maskEmails: boolean;
  /** 1 = stdout (daemon: journald/Docker pick it up), 2 = stderr (CLI: keeps stdout for the plan). */
  readonly fd?: 1 | 2;
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
          ? { log: (obj: Record<string, unknown>) => maskDeep(obj) as Record<string, unknown> }
          : {}),
      },
      ...(options.maskEmails
        ? {
            hooks: {
              logMethod(args, method) {
                const masked = args.map((a) => (typeof a === 'string' ? maskEmail(a) : a)) as typeof args;
                method.apply(this, masked);
              },
            },
          }
        : {}),
    },
    pino.destination({ fd: options.fd ?? 1, sync: true }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
