/**
 * What every channel shares: the error of a failed delivery (what went wrong, whether a retry may
 * help, and the fix) and short, scrubbed excerpts of a receiver's answer.
 */
import { scrubSecrets } from '../../core/secrets.js';

export type { Channel as NotifyChannel, Delivery, Receipt } from '../types.js';

/** A delivery the receiver refused or never took. Its message and fix never hold a secret. */
export class DeliveryError extends Error {
  /** A later attempt may succeed (network, timeout, 408, 429, 5xx). */
  readonly retryable: boolean;
  readonly fix: string;
  /** The channel's target, e.g. smtp.example.org:587. */
  readonly place: string;
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { retryable: boolean; fix: string; place: string; status?: number | undefined; cause?: unknown },
  ) {
    super(scrubSecrets(message), { cause: options.cause });
    this.name = 'DeliveryError';
    this.retryable = options.retryable;
    this.fix = scrubSecrets(options.fix);
    this.place = options.place;
    this.status = options.status;
  }
}

/** Longest excerpt of a receiver's answer kept in an error. */
export const EXCERPT_CHARS = 200;

/** A receiver's answer as one short line for an error: whitespace collapsed, secrets scrubbed. */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const line = scrubSecrets(text).replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A code-bearing error (Node, nodemailer, undici), its code if any. */
export function errorCode(e: unknown): string | undefined {
  const o = e as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = o?.code ?? o?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Any thrown value as a DeliveryError (an unexpected one is retryable: we would rather try again). */
export function asDeliveryError(e: unknown, place: string): DeliveryError {
  if (e instanceof DeliveryError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new DeliveryError(message, {
    retryable: true,
    place,
    fix: 'Look at the error; the notification is retried.',
    cause: e,
  });
}
