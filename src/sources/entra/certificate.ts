/**
 * The certificate credential: a PEM file with the app certificate and its private key, turned into
 * a signed client assertion as Entra's certificate-credentials doc describes: PS256 with the
 * SHA-256 thumbprint (`x5t#S256`), or, for tenants that still document it, RS256 with the SHA-1
 * thumbprint (`x5t`). Signing uses node:crypto; no extra dependency.
 */
import {
  createHash,
  createPrivateKey,
  constants as cryptoConstants,
  type KeyObject,
  randomUUID,
  sign,
  X509Certificate,
} from 'node:crypto';
import { readPemFile } from '../../config/files.js';
import { ConfigError } from '../../core/errors.js';

export interface LoadedCertificate {
  readonly key: KeyObject;
  /** base64url SHA-256 of the certificate DER (the JWT header's `x5t#S256`). */
  readonly x5tS256: string;
  /** base64url SHA-1 of the certificate DER (the JWT header's `x5t`, for RS256). */
  readonly x5t: string;
  /** SHA-1 thumbprint as the Entra admin center shows it (upper-case hex). */
  readonly thumbprint: string;
  readonly notAfter: Date;
  readonly subject: string;
}

const CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const KEY_RE = /-----BEGIN ((?:ENCRYPTED |RSA |EC )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

/** Reads and checks the certificate file; never puts the passphrase into an error. */
export function loadCertificate(file: string, passphrase: string, place: string): LoadedCertificate {
  const pem = readPemFile(file, place, {
    key: 'certificateFile',
    holds: 'the app certificate and its private key',
  });
  const certPem = CERT_RE.exec(pem)?.[0];
  const keyPem = KEY_RE.exec(pem)?.[0];
  if (!certPem || !keyPem) {
    throw new ConfigError(`certificateFile ${file} must hold a PEM certificate and its private key`, {
      place,
      fix: 'Concatenate the certificate and the key into one PEM file; from a .pfx: `openssl pkcs12 -in app.pfx -out app.pem -nodes`.',
    });
  }
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw new ConfigError(`The certificate in ${file} cannot be parsed`, {
      place,
      fix: 'Export it again as PEM.',
      cause: e,
    });
  }
  try {
    key = createPrivateKey(
      passphrase ? { key: keyPem, format: 'pem', passphrase } : { key: keyPem, format: 'pem' },
    );
  } catch (e) {
    const encrypted = /ENCRYPTED/.test(keyPem) || /Proc-Type: 4,ENCRYPTED/.test(keyPem);
    throw new ConfigError(
      encrypted
        ? `The private key in ${file} is encrypted and ${passphrase ? 'the passphrase does not open it' : 'no passphrase is set'}`
        : `The private key in ${file} cannot be read`,
      {
        place,
        fix: encrypted
          ? 'Set certificatePassphrase (or certificatePassphraseFile) to the key passphrase.'
          : 'Export the key again as PEM.',
        cause: e,
      },
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ConfigError(
      `The key in ${file} is ${key.asymmetricKeyType ?? 'unknown'}; Entra ID needs an RSA certificate`,
      {
        place,
        fix: 'Create an RSA certificate (2048 bits or more) and upload it to the app registration.',
      },
    );
  }
  if (!cert.checkPrivateKey(key)) {
    throw new ConfigError(`The private key in ${file} does not belong to its certificate`, {
      place,
      fix: 'Put the certificate and the key it was issued for into the file.',
    });
  }
  return {
    key,
    x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
    x5t: createHash('sha1').update(cert.raw).digest('base64url'),
    thumbprint: createHash('sha1').update(cert.raw).digest('hex').toUpperCase(),
    notAfter: new Date(cert.validTo),
    subject: cert.subject.replace(/\n/g, ', '),
  };
}

const b64json = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** How the client assertion is signed and which thumbprint names the certificate. */
export type AssertionAlgorithm = 'PS256' | 'RS256';

/** A client assertion valid for 10 minutes, for the token endpoint `audience`. */
export function clientAssertion(
  cert: LoadedCertificate,
  clientId: string,
  audience: string,
  nowSeconds: number,
  algorithm: AssertionAlgorithm = 'PS256',
): string {
  const now = Math.floor(nowSeconds);
  const header =
    algorithm === 'PS256'
      ? { alg: 'PS256', typ: 'JWT', 'x5t#S256': cert.x5tS256 }
      : { alg: 'RS256', typ: 'JWT', x5t: cert.x5t };
  const payload = {
    aud: audience,
    iss: clientId,
    sub: clientId,
    jti: randomUUID(),
    nbf: now,
    iat: now,
    exp: now + 600,
  };
  const input = `${b64json(header)}.${b64json(payload)}`;
  const signature = sign(
    'sha256',
    Buffer.from(input),
    algorithm === 'PS256'
      ? { key: cert.key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : { key: cert.key, padding: cryptoConstants.RSA_PKCS1_PADDING },
  );
  return `${input}.${signature.toString('base64url')}`;
}
