import { execFileSync } from 'node:child_process';
import { constants, createHash, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientCertificate } from '../../../test/helpers/graph-standin/pki.js';
import { ConfigError } from '../../core/errors.js';
import { clientAssertion, loadCertificate } from './certificate.js';

let dir: string;
let plain: { file: string; certPem: string };
let encrypted: { file: string; certPem: string };
let other: { file: string; certPem: string };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'entra-cert-'));
  plain = createClientCertificate(dir, 'plain');
  encrypted = createClientCertificate(dir, 'enc', 'k3y pass');
  other = createClientCertificate(dir, 'other');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const decode = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('clientAssertion', () => {
  it('is a PS256 JWT with x5t#S256, signed by the certificate key, valid 10 minutes', () => {
    const cert = loadCertificate(plain.file, '', 'k');
    const aud = 'https://login.microsoftonline.com/t/oauth2/v2.0/token';
    const jwt = clientAssertion(cert, 'client-1', aud, 1_800_000_000.7);
    const [h, p, s] = jwt.split('.') as [string, string, string];
    const x509 = new X509Certificate(plain.certPem);
    expect(decode(h)).toEqual({
      alg: 'PS256',
      typ: 'JWT',
      'x5t#S256': createHash('sha256').update(x509.raw).digest('base64url'),
    });
    const payload = decode(p);
    expect(payload).toMatchObject({
      aud,
      iss: 'client-1',
      sub: 'client-1',
      nbf: 1_800_000_000,
      iat: 1_800_000_000,
      exp: 1_800_000_600,
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: x509.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      Buffer.from(s, 'base64url'),
    );
    expect(ok).toBe(true);
    expect(cert.thumbprint).toBe(createHash('sha1').update(x509.raw).digest('hex').toUpperCase());
  });
});

describe('clientAssertion as RS256', () => {
  it('names the certificate by its SHA-1 thumbprint (x5t) and signs with PKCS#1 v1.5', () => {
    const cert = loadCertificate(plain.file, '', 'k');
    const jwt = clientAssertion(cert, 'client-1', 'https://aud', 1_800_000_000, 'RS256');
    const [h, p, s] = jwt.split('.') as [string, string, string];
    const x509 = new X509Certificate(plain.certPem);
    expect(decode(h)).toEqual({
      alg: 'RS256',
      typ: 'JWT',
      x5t: createHash('sha1').update(x509.raw).digest('base64url'),
    });
    expect(verify('sha256', Buffer.from(`${h}.${p}`), x509.publicKey, Buffer.from(s, 'base64url'))).toBe(
      true,
    );
  });
});

describe('loadCertificate', () => {
  it('opens an encrypted key with the passphrase', () => {
    expect(loadCertificate(encrypted.file, 'k3y pass', 'k').key.asymmetricKeyType).toBe('rsa');
  });

  it('explains a missing or wrong passphrase without revealing it', () => {
    expect(() => loadCertificate(encrypted.file, '', 'k')).toThrow(/encrypted and no passphrase is set/);
    try {
      loadCertificate(encrypted.file, 'not-the-pass', 'k');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).describe()).toMatch(/passphrase does not open it/);
      expect((e as ConfigError).describe()).not.toContain('not-the-pass');
    }
  });

  it('rejects a file without a key, a key of another certificate, and a non-RSA key', () => {
    const certOnly = path.join(dir, 'cert-only.pem');
    writeFileSync(certOnly, plain.certPem);
    expect(() => loadCertificate(certOnly, '', 'k')).toThrow(
      /must hold a PEM certificate and its private key/,
    );
    const mixed = path.join(dir, 'mixed.pem');
    writeFileSync(
      mixed,
      plain.certPem +
        readFileSync(other.file, 'utf8').replace(
          /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/,
          '',
        ),
    );
    expect(() => loadCertificate(mixed, '', 'k')).toThrow(/does not belong to its certificate/);
    const ec = path.join(dir, 'ec.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        `${ec}.key`,
        '-out',
        `${ec}.crt`,
        '-subj',
        '/CN=ec',
      ],
      { stdio: 'pipe' },
    );
    writeFileSync(ec, readFileSync(`${ec}.crt`, 'utf8') + readFileSync(`${ec}.key`, 'utf8'));
    expect(() => loadCertificate(ec, '', 'k')).toThrow(/needs an RSA certificate/);
    expect(() => loadCertificate(path.join(dir, 'absent.pem'), '', 'k')).toThrow(/ENOENT/);
  });
});
