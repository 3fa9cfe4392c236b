/**
 * A throw-away PKI made with the openssl CLI: a test CA, a server certificate for
 * localhost / 127.0.0.1 / ::1 only (so 127.0.0.2 is a "wrong host name"), and a second,
 * unrelated CA (the "wrong CA"). Takes a few tens of milliseconds.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TestPki {
  readonly dir: string;
  /** The CA that signed the server certificate (PEM file). */
  readonly caCert: string;
  /** A CA that signed nothing we serve: trusting only it must fail verification. */
  readonly otherCaCert: string;
  readonly serverCert: string;
  /** Mode 0600: Samba refuses a key readable by others. */
  readonly serverKey: string;
}

/**
 * P-256 keys: made in a few milliseconds where an RSA-2048 key takes 0.1-0.5 s of CPU, and the
 * suite makes dozens of these PKIs (the Graph stand-in's too). What is tested is trust (which CA,
 * which name), not the key type.
 */
export const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] as const;

function openssl(args: readonly string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

function makeCa(dir: string, name: string, cn: string): void {
  openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-nodes',
      '-days',
      '3650',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

export function makeTestPki(dir: string): TestPki {
  mkdirSync(dir, { recursive: true });
  makeCa(dir, 'ca', 'mobileid-sync test CA');
  makeCa(dir, 'other-ca', 'Some other CA');
  openssl(
    ['req', ...EC_KEY, '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr'],
    dir,
  );
  writeFileSync(
    path.join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\n' +
      'keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      'server.ext',
      '-out',
      'server.crt',
    ],
    dir,
  );
  chmodSync(path.join(dir, 'server.key'), 0o600);
  return {
    dir,
    caCert: path.join(dir, 'ca.crt'),
    otherCaCert: path.join(dir, 'other-ca.crt'),
    serverCert: path.join(dir, 'server.crt'),
    serverKey: path.join(dir, 'server.key'),
  };
}
