// Verifies a mobileid-sync webhook delivery (Node >= 18, no dependencies).
// header: the X-MobileID-Sync-Signature value; rawBody: the request body exactly as received
// (a string, before any JSON parsing); key: the channel's signing key.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function verifyMobileIdSync(rawBody, header, key, nowSec = Math.floor(Date.now() / 1000)) {
  const fields = new Map(
    String(header)
      .split(',')
      .map((p) => p.trim().split('=', 2)),
  );
  const t = Number(fields.get('t'));
  // Reject replays: a signature older (or newer) than 5 minutes is not accepted.
  if (!Number.isSafeInteger(t) || Math.abs(nowSec - t) > 300) return false;
  const v1 = fields.get('v1') ?? '';
  if (!/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', key).update(`${t}.${rawBody}`).digest();
  // Constant-time compare, so the answer's timing says nothing about the right signature.
  return timingSafeEqual(Buffer.from(v1, 'hex'), expected);
}
