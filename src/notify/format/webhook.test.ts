import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { blockedEvent, everyKind, failingEvent, testEvent } from '../../../test/helpers/notify-events.js';
import { signature, verifySignature, webhookBody } from './webhook.js';

const SNIPPET = new URL('../../../examples/notify/verify-webhook.mjs', import.meta.url);
type Verify = (rawBody: string, header: string, key: string, nowSec: number) => boolean;
// The file the README shows, run as a receiver would run it.
const { verifyMobileIdSync } = (await import(SNIPPET.href)) as { verifyMobileIdSync: Verify };

const KEY = 'whsec-test-key-0123456789';
const T = 1_772_445_600;

describe('webhookBody', () => {
  it('has the documented envelope and the event fields under their names', () => {
    const body = webhookBody(blockedEvent(), 'd-1');
    expect(body).toMatchObject({
      version: 1,
      id: 'd-1',
      event: 'blocked',
      at: '2026-03-02T10:15:00.000Z',
      severity: 'critical',
      title: '[mobileid-sync] main: blocked — 30 deletes need approval',
      job: 'main',
      project: 'Acme HQ',
      planId: 'p-1a2b3c',
      counts: { adds: 2, updates: 1, deletes: 30, unchanged: 970 },
      approveCommand: expect.stringContaining('approve main --plan p-1a2b3c'),
      reminder: null,
    });
    expect(body).not.toHaveProperty('kind');
  });

  it('a test event keeps version 1 for the format and names the product version appVersion', () => {
    expect(webhookBody(testEvent, 'd-2')).toMatchObject({
      version: 1,
      event: 'test',
      appVersion: '0.1.0',
      host: 'sync01',
    });
  });

  it('a reminder says so', () => {
    const body = webhookBody(
      failingEvent({ reminder: { firstAt: '2026-03-02T06:00:00.000Z', sent: 2 } }),
      'd-3',
    );
    expect(body).toMatchObject({ reminder: { firstAt: '2026-03-02T06:00:00.000Z', sent: 2 } });
  });

  it('every kind serialises to JSON and back unchanged', () => {
    for (const e of everyKind()) {
      const body = webhookBody(e, 'x');
      expect(JSON.parse(JSON.stringify(body))).toEqual(body);
    }
  });
});

describe('signature', () => {
  const raw = JSON.stringify(webhookBody(blockedEvent(), 'd-1'));
  const header = signature(raw, KEY, T);

  it('is t=<seconds>,v1=<64 hex>', () => {
    expect(header).toMatch(new RegExp(`^t=${T},v1=[0-9a-f]{64}$`));
  });

  for (const [name, verify] of [
    ['verifySignature', (b: string, h: string, k: string, now: number) => verifySignature(b, h, k, now)],
    ['the README snippet (examples/notify/verify-webhook.mjs)', verifyMobileIdSync],
  ] as const) {
    describe(name, () => {
      it('accepts the real signature within 5 minutes', () => {
        expect(verify(raw, header, KEY, T)).toBe(true);
        expect(verify(raw, header, KEY, T + 299)).toBe(true);
      });
      it('rejects a tampered body, another key, an old or future timestamp, a forged header', () => {
        expect(verify(raw.replace('30', '31'), header, KEY, T)).toBe(false);
        expect(verify(raw, header, 'other-key', T)).toBe(false);
        expect(verify(raw, header, KEY, T + 301)).toBe(false);
        expect(verify(raw, header, KEY, T - 301)).toBe(false);
        expect(verify(raw, header.replace(`t=${T}`, `t=${T + 1}`), KEY, T)).toBe(false);
        expect(verify(raw, `t=${T},v1=zz`, KEY, T)).toBe(false);
        expect(verify(raw, '', KEY, T)).toBe(false);
      });
    });
  }

  it('the README shows the snippet as it is tested', async () => {
    const snippet = (await readFile(SNIPPET, 'utf8')).trim();
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme.includes(snippet)).toBe(true);
  });
});
