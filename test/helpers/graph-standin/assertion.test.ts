/** The stand-in STS's assertion check, including an app that knows its certificate by x5t only. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAssertion, loadCertificate } from '../../../src/sources/entra/certificate.js';
import { checkAssertion } from './assertion.js';
import { createClientCertificate } from './pki.js';

let dir: string;
let cert: ReturnType<typeof createClientCertificate>;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'standin-assertion-'));
  cert = createClientCertificate(dir, 'app');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const audience = 'https://sts/t/oauth2/v2.0/token';
const codeOf = (r: ReturnType<typeof checkAssertion>): unknown =>
  (r?.body as { error_codes?: unknown } | undefined)?.error_codes;

describe('checkAssertion', () => {
  it('accepts PS256 + x5t#S256 and RS256 + x5t from an app with the certificate', () => {
    const loaded = loadCertificate(cert.file, '', 'k');
    const target = { clientId: 'c', certificatePem: cert.certPem, audience };
    for (const alg of ['PS256', 'RS256'] as const) {
      expect(
        checkAssertion(clientAssertion(loaded, 'c', audience, Date.now() / 1000, alg), target),
      ).toBeUndefined();
    }
  });

  it('refuses PS256 with AADSTS700027 where the tenant knows the certificate by x5t only', () => {
    const loaded = loadCertificate(cert.file, '', 'k');
    const target = { clientId: 'c', certificatePem: cert.certPem, audience, legacyAssertionsOnly: true };
    const now = Date.now() / 1000;
    const refused = checkAssertion(clientAssertion(loaded, 'c', audience, now, 'PS256'), target);
    expect([refused?.status, codeOf(refused)]).toEqual([401, [700027]]);
    expect(checkAssertion(clientAssertion(loaded, 'c', audience, now, 'RS256'), target)).toBeUndefined();
  });
});
