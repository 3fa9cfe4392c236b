/**
 * The STS's check of a client assertion (a JWT signed with the app's certificate): malformed,
 * unknown key (x5t / x5t#S256; x5t only for a legacy app), bad signature (PS256 or RS256; RS256
 * only for a legacy app), audience, issuer/subject, and
 * validity window with five minutes of skew. Pure: the AADSTS error `Reply`, or undefined if good.
 */
import { createHash, constants as cryptoConstants, verify, X509Certificate } from 'node:crypto';
import { type Reply, stsError } from './errors.js';

/** What the assertion is checked against: the app's id and certificate, the token endpoint. */
export interface AssertionTarget {
  readonly clientId: string;
  readonly certificatePem?: string;
  /** The token endpoint's URL (the `aud` Entra expects). */
  readonly audience: string;
  /** Only `x5t` (SHA-1) names the key and only RS256 is checked. */
  readonly legacyAssertionsOnly?: boolean;
}

const malformed = (): Reply =>
  stsError(400, 'invalid_request', 50027, 'AADSTS50027: JWT token is invalid or malformed.');

const unknownKey = (why: string): Reply =>
  stsError(
    401,
    'invalid_client',
    700027,
    `AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - ${why}]`,
  );

const b64url = (buf: Buffer): string => buf.toString('base64url');

export function checkAssertion(
  assertion: string,
  target: AssertionTarget,
  /** The clock, read only once the signature is good (default: Date.now). */
  nowMs?: number,
): Reply | undefined {
  const parts = assertion.split('.');
  if (parts.length !== 3) return malformed();
  const [h, p, s] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return malformed();
  }
  if (!target.certificatePem) return unknownKey('The key was not found.');
  const cert = new X509Certificate(target.certificatePem);
  const s256 = b64url(createHash('sha256').update(cert.raw).digest());
  const s1 = b64url(createHash('sha1').update(cert.raw).digest());
  const known = target.legacyAssertionsOnly
    ? header.x5t === s1
    : header['x5t#S256'] === s256 || header.x5t === s1;
  if (!known) return unknownKey('The key was not found.');
  const alg = target.legacyAssertionsOnly && header.alg !== 'RS256' ? undefined : header.alg;
  if (!signatureOk(alg, Buffer.from(`${h}.${p}`), Buffer.from(s, 'base64url'), cert)) {
    return unknownKey('The signature of the client assertion could not be verified.');
  }
  return claimsProblem(payload, target, (nowMs ?? Date.now()) / 1000);
}

function signatureOk(alg: unknown, data: Buffer, sig: Buffer, cert: X509Certificate): boolean {
  if (alg === 'PS256') {
    const key = { key: cert.publicKey, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    return verify('sha256', data, key, sig);
  }
  return alg === 'RS256' && verify('sha256', data, cert.publicKey, sig);
}

function claimsProblem(
  payload: Record<string, unknown>,
  target: AssertionTarget,
  now: number,
): Reply | undefined {
  if (payload.aud !== target.audience) {
    return stsError(
      401,
      'invalid_client',
      700027,
      `AADSTS700027: Client assertion contains an invalid audience '${String(payload.aud)}'.`,
    );
  }
  if (payload.iss !== target.clientId || payload.sub !== target.clientId) {
    return stsError(
      401,
      'invalid_client',
      700021,
      "AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter.",
    );
  }
  const skew = 300;
  if (
    typeof payload.exp !== 'number' ||
    typeof payload.nbf !== 'number' ||
    payload.exp <= now ||
    now < payload.nbf - skew
  ) {
    return stsError(
      401,
      'invalid_client',
      700024,
      'AADSTS700024: Client assertion is not within its valid time range.',
    );
  }
  return undefined;
}
