/**
 * Checks of credentials and the MIM URL that the schema formats cannot express. Each returns the
 * problem (what and the fix) or undefined; the loader turns it into a ConfigError naming the key
 * or the file. None of them quotes the secret it checks.
 */
import net from 'node:net';

export interface Problem {
  readonly message: string;
  readonly fix: string;
}

/** localhost, 127.0.0.0/8, ::1 and IPv4-mapped 127.x: traffic that never leaves the host. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h) || /^::ffff:7f[0-9a-f]{2}:/.test(h);
  return false;
}

/**
 * A bearer token as MIM's Auto-sync XML holds it: printable ASCII without spaces. Anything else
 * is a copy-paste slip (the "Bearer " prefix, a line break, a non-breaking space) that MIM would
 * refuse as 401, or that the HTTP client refuses as a bad header and we would retry as an outage.
 */
export function tokenProblem(token: string, what: string): Problem | undefined {
  if (/^bearer(\s|$)/i.test(token)) {
    return {
      message: `${what} starts with "Bearer "`,
      fix: 'Put only the token itself; mobileid-sync sends the "Bearer " prefix.',
    };
  }
  if (/[\r\n\u2028\u2029\u0085]/.test(token)) {
    return {
      message: `${what} holds a line break`,
      fix: 'Put the token on one line (one trailing line break at the end of a token file is fine).',
    };
  }
  if (/\s/.test(token)) {
    return {
      message: `${what} holds whitespace`,
      fix: 'Copy the token again without spaces or tabs (at the start, the end or inside).',
    };
  }
  if (!/^[\x21-\x7e]*$/.test(token)) {
    return {
      message: `${what} holds characters that are not printable ASCII`,
      fix: 'Copy the token again as plain text (an editor or a PDF may have put in invisible or typographic characters).',
    };
  }
  return undefined;
}

/** `mim.baseUrl` must not carry credentials, and must be https:// unless loopback or allowed. */
export function baseUrlProblem(baseUrl: string, allowInsecureHttp: boolean): Problem | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined; // the schema format reports it
  }
  if (url.username || url.password) {
    return {
      message: 'mim.baseUrl holds a user name or password (user:password@host)',
      fix: 'Remove "user:password@" from the URL: MIM authenticates with the project token (mim.token / mim.tokenFile).',
    };
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureHttp) {
    return {
      message: `mim.baseUrl uses plain http:// to ${url.hostname}, which is not this host: the project token would cross the network in clear text`,
      fix: 'Use https://. Only behind a trusted TLS-terminating proxy on the same network segment, set mim.allowInsecureHttp: true.',
    };
  }
  return undefined;
}
