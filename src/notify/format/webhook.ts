/**
 * The generic JSON webhook: a stable body (`version: 1`, the delivery id, the event kind, its
 * time, severity and title, and the event's fields under their documented names) and its HMAC
 * signature header. The receiver checks `X-MobileID-Sync-Signature: t=<unix seconds>,v1=<hex>`,
 * where hex = HMAC-SHA256(key, "<t>.<raw body>"): see the README for a verification snippet.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NotifyEvent, NotifyEventKind, Severity } from '../types.js';
import { textMessage } from './text.js';

export const SIGNATURE_HEADER = 'X-MobileID-Sync-Signature';
export const DELIVERY_HEADER = 'X-MobileID-Sync-Delivery';
/** A receiver rejects signatures older (or newer) than this. */
export const SIGNATURE_TOLERANCE_SEC = 300;

type Fields<E> = Omit<E, 'kind' | 'at'>;
type Renamed<E> = E extends { kind: 'test' }
  ? Omit<Fields<E>, 'version'> & { appVersion: string }
  : Fields<E>;

/** The body: the envelope plus the event's own fields (a test event's `version` is `appVersion`). */
export type WebhookBody = {
  readonly version: 1;
  /** The delivery id: the same for every retry of one notification (receivers de-duplicate on it). */
  readonly id: string;
  readonly event: NotifyEventKind;
  readonly at: string;
  readonly severity: Severity;
  readonly title: string;
} & Renamed<NotifyEvent>;

export function webhookBody(event: NotifyEvent, deliveryId: string): WebhookBody {
  const { severity, title } = textMessage(event);
  const envelope = { version: 1 as const, id: deliveryId, event: event.kind, at: event.at, severity, title };
  if (event.kind === 'test') {
    const { kind: _k, at: _a, version, ...rest } = event;
    return { ...envelope, ...rest, appVersion: version };
  }
  const { kind: _k, at: _a, ...rest } = event;
  // An ongoing condition always says whether it is a reminder (null = first notification).
  const condition = event.kind === 'blocked' || event.kind === 'failing' || event.kind === 'unknown-outcome';
  return { ...envelope, ...rest, ...(condition ? { reminder: event.reminder ?? null } : {}) } as WebhookBody;
}

function hmac(rawBody: string, key: string, timestampSec: number): string {
  return createHmac('sha256', key).update(`${timestampSec}.${rawBody}`, 'utf8').digest('hex');
}

/** The signature header's value for the exact bytes sent. */
export function signature(rawBody: string, key: string, timestampSec: number): string {
  return `t=${timestampSec},v1=${hmac(rawBody, key, timestampSec)}`;
}

/**
 * What a receiver does (and the tests check): the header parses, the timestamp is within the
 * tolerance of the receiver's clock, and a v1 signature matches in constant time.
 */
export function verifySignature(
  rawBody: string,
  header: string,
  key: string,
  nowSec: number,
  toleranceSec = SIGNATURE_TOLERANCE_SEC,
): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isSafeInteger(t) || Math.abs(nowSec - t) > toleranceSec) return false;
  const expected = Buffer.from(hmac(rawBody, key, t), 'hex');
  return parts
    .filter(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/i.test(v))
    .some(([, v]) => timingSafeEqual(Buffer.from(v!, 'hex'), expected));
}
