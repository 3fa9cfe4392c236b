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
import { maskDeep, maskEmail } from './mask.js';

export type { Logger } from 'pino';
export { maskEmail, maskEmailsDeep, maskEmailValue } from './mask.js';

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
