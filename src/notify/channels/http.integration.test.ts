import { afterEach, describe, expect, it } from 'vitest';
import {
  type Answer,
  deliveryFailure,
  startReceiver,
  type TestReceiver,
} from '../../../test/helpers/notify.js';
import { blockedEvent } from '../../../test/helpers/notify-events.js';
import { scaled } from '../../../test/helpers/timing.js';
import { SIGNATURE_HEADER, verifySignature } from '../format/webhook.js';
import { createSlackChannel } from './slack.js';
import { createTeamsChannel } from './teams.js';
import { createWebhookChannel } from './webhook.js';

const KEY = 'hmac-key-0123456789abcdef';
const receivers: TestReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(answer?: (n: number) => Answer): Promise<TestReceiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

const signal = () => AbortSignal.timeout(scaled(30_000));
const timeoutMs = scaled(5_000);

describe('Teams, Slack and webhook channels (real HTTP receivers)', () => {
  it('Teams gets an Adaptive Card message as JSON; the target shows the host only', async () => {
    const r = await receiver(() => ({ status: 202 }));
    const channel = createTeamsChannel({ url: `${r.url}/workflows/SECRET-PATH?sig=abc`, timeoutMs });
    expect(channel.target).toBe(new URL(r.url).host);
    expect((await channel.send(blockedEvent(), signal())).detail).toBe('HTTP 202');
    const req = r.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/workflows/SECRET-PATH?sig=abc');
    expect(req.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req.body) as {
      type: string;
      attachments: { contentType: string; content: { type: string; version: string; body: unknown[] } }[];
    };
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(body.attachments[0]!.content.type).toBe('AdaptiveCard');
    expect(body.attachments[0]!.content.body.length).toBeGreaterThan(0);
  });

  it('Slack gets a text fallback and Block Kit blocks', async () => {
    const r = await receiver(() => ({ status: 200, body: 'ok' }));
    await createSlackChannel({ url: `${r.url}/services/T0/B0/XYZ`, timeoutMs }).send(
      blockedEvent(),
      signal(),
    );
    const body = JSON.parse(r.requests[0]!.body) as { text: string; blocks: { type: string }[] };
    expect(body.text).toContain('main');
    expect(body.blocks[0]!.type).toBe('header');
    expect(body.blocks.length).toBeLessThanOrEqual(50);
  });

  it('the webhook is signed: the documented check verifies it, a tampered body or another key does not', async () => {
    const r = await receiver();
    await createWebhookChannel({ url: `${r.url}/in`, secret: KEY, timeoutMs }).send(
      blockedEvent(),
      signal(),
      {
        id: 'delivery-1',
      },
    );
    const req = r.requests[0]!;
    const header = String(req.headers[SIGNATURE_HEADER.toLowerCase()]);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(req.headers['x-mobileid-sync-delivery']).toBe('delivery-1');
    expect(req.headers['content-type']).toBe('application/json');
    const nowSec = Math.floor(Date.now() / 1000);
    expect(verifySignature(req.body, header, KEY, nowSec)).toBe(true);
    expect(verifySignature(req.body.replace('"main"', '"evil"'), header, KEY, nowSec)).toBe(false);
    expect(verifySignature(req.body, header, 'another-key-0123456789', nowSec)).toBe(false);
    expect(verifySignature(req.body, header, KEY, nowSec + 3600)).toBe(false);
    const body = JSON.parse(req.body) as { version: number; id: string; event: string; job: string };
    expect(body).toMatchObject({ version: 1, id: 'delivery-1', event: 'blocked', job: 'main' });
    // The key itself never travels.
    expect(JSON.stringify(req)).not.toContain(KEY);
  });

  it('a 500 is a retryable failure with the status and a short, one-line excerpt', async () => {
    const r = await receiver(() => ({ status: 500, body: `upstream\n\nbroke ${'x'.repeat(1000)}` }));
    const e = await deliveryFailure(
      createWebhookChannel({ url: r.url, secret: KEY, timeoutMs }).send(blockedEvent(), signal()),
    );
    expect(e.retryable).toBe(true);
    expect(e.status).toBe(500);
    expect(e.message).toMatch(/^HTTP 500 upstream broke x+…$/);
    expect(e.message.length).toBeLessThan(260);
  });

  it('a 404 is not retried and says to create the webhook again; the URL path stays out of it', async () => {
    const r = await receiver(() => ({ status: 404, body: 'no_service' }));
    const e = await deliveryFailure(
      createSlackChannel({ url: `${r.url}/services/T0/B0/SECRETTOKEN`, timeoutMs }).send(
        blockedEvent(),
        signal(),
      ),
    );
    expect(e.retryable).toBe(false);
    expect(e.message).toBe('HTTP 404 no_service');
    expect(e.fix).toMatch(/create .* again/);
    expect(`${e.message} ${e.fix} ${e.place}`).not.toContain('SECRETTOKEN');
  });

  it('does not follow a redirect', async () => {
    const elsewhere = await receiver();
    const r = await receiver(() => ({ status: 302, headers: { location: `${elsewhere.url}/stolen` } }));
    const e = await deliveryFailure(
      createTeamsChannel({ url: r.url, timeoutMs }).send(blockedEvent(), signal()),
    );
    expect(e.status).toBe(302);
    expect(e.fix).toMatch(/redirect/);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('a receiver that never answers times out as a retryable failure', async () => {
    const r = await receiver(() => 'hang');
    const e = await deliveryFailure(
      createWebhookChannel({ url: r.url, secret: KEY, timeoutMs: scaled(500) }).send(
        blockedEvent(),
        signal(),
      ),
    );
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('no answer in time');
  });

  it('a receiver that is not there is a retryable failure naming the host', async () => {
    const r = await receiver();
    const url = r.url;
    await r.close();
    receivers.pop();
    const e = await deliveryFailure(
      createWebhookChannel({ url, secret: KEY, timeoutMs }).send(blockedEvent(), signal()),
    );
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('ECONNREFUSED');
  });
});
