/**
 * Throw-away certificates for the Graph stand-in, made with the `openssl` CLI (node:crypto cannot
 * issue X.509 certificates): a CA, a server certificate for 127.0.0.1/localhost signed by it, and
 * self-signed client certificates for the certificate-credential (client assertion) flow.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EC_KEY } from '../tls.js';

export interface ServerPki {
  readonly dir: string;
  /** The CA certificate (PEM) a client must trust; pass it as the source's `caFile`. */
  readonly caFile: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  cleanup(): void;
}

export interface ClientCertificate {
  /** One PEM file holding the certificate and its private key (the source's `certificateFile`). */
  readonly file: string;
  /** The certificate alone, as an admin would upload it to the app registration. */
  readonly certPem: string;
}

function openssl(args: readonly string[], env: NodeJS.ProcessEnv = {}): void {
  execFileSync('openssl', args, { stdio: 'pipe', env: { ...process.env, ...env } });
}

/** A CA and a server certificate valid for 127.0.0.1, ::1 and localhost, in a new temp dir. */
export function createServerPki(): ServerPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'graph-standin-'));
  const f = (name: string): string => path.join(dir, name);
  openssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-nodes',
    '-sha256',
    '-days',
    '2',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-subj',
    '/CN=Graph stand-in test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl([
    'req',
    ...EC_KEY,
    '-nodes',
    '-sha256',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    f('server.ext'),
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-out',
    f('server.pem'),
    '-extfile',
    f('server.ext'),
  ]);
  return {
    dir,
    caFile: f('ca.pem'),
    caPem: readFileSync(f('ca.pem'), 'utf8'),
    certPem: readFileSync(f('server.pem'), 'utf8'),
    keyPem: readFileSync(f('server.key'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A self-signed RSA client certificate (Entra accepts self-signed certificates for apps), written as
 * one PEM with the certificate first and the key after it; with `passphrase`, the key is encrypted.
 */
export function createClientCertificate(dir: string, name: string, passphrase?: string): ClientCertificate {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  const keyArgs = passphrase ? ['-passout', 'env:STANDIN_PASS'] : ['-nodes'];
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-sha256',
      '-days',
      '2',
      ...keyArgs,
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      `/CN=${name}`,
    ],
    passphrase ? { STANDIN_PASS: passphrase } : {},
  );
  const certPem = readFileSync(cert, 'utf8');
  const file = path.join(dir, `${name}.pem`);
  writeFileSync(file, certPem + readFileSync(key, 'utf8'));
  return { file, certPem };
}
