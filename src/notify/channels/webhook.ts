/**
 * The generic webhook: the documented JSON body, signed with HMAC-SHA256 over "<t>.<body>" at the
 * moment of each attempt (a retry carries a fresh timestamp and the same delivery id, so receivers
 * that reject old signatures still take it, and de-duplicate on the id).
 */
import { randomUUID } from 'node:crypto';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signature, webhookBody } from '../format/webhook.js';
import type { NotifyChannel } from './delivery.js';
import { createAgent, postJson } from './http.js';

export function createWebhookChannel(
  config: { url: string; secret: string; timeoutMs: number },
  now: () => Date = () => new Date(),
): NotifyChannel {
  const place = new URL(config.url).host;
  const agent = createAgent(config.timeoutMs);
  return {
    name: 'webhook',
    target: place,
    send: (event, signal, delivery) => {
      const id = delivery?.id ?? randomUUID();
      const body = JSON.stringify(webhookBody(event, id));
      const t = Math.floor(now().getTime() / 1000);
      return postJson(
        agent,
        {
          url: config.url,
          place,
          body,
          headers: { [SIGNATURE_HEADER]: signature(body, config.secret, t), [DELIVERY_HEADER]: id },
          what: 'the webhook receiver',
        },
        signal,
      );
    },
    close: () => agent.close(),
  };
}
