/**
 * Opening a bound connection: URLs in order (fail-over when one is unreachable or its TLS
 * fails), StartTLS or LDAPS with an optional private CA, then a simple (or anonymous) bind.
 *
 * ldapts 8 turns on implicit TLS for *any* URL as soon as `tlsOptions` is given to the Client,
 * so ldap:// + StartTLS must pass its TLS options to `startTLS()` only.
 */
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client } from 'ldapts';
import type { Logger } from 'pino';
import { AbortedError, ConfigError, SourceUnavailableError } from '../../core/errors.js';
import { describeFailure, resultCode, type Stage } from './errors.js';
import type { LdapSettings } from './settings.js';

export interface LdapConnection {
  readonly client: Client;
  readonly url: string;
  /** True when the connection is TLS (ldaps:// or StartTLS). */
  readonly tls: boolean;
  /** Closes the connection; safe to call twice. */
  close(): Promise<void>;
}

export type ConnectSettings = Pick<
  LdapSettings,
  | 'name'
  | 'urls'
  | 'startTls'
  | 'ca'
  | 'rejectUnauthorized'
  | 'connectTimeoutMs'
  | 'operationTimeoutMs'
  | 'bindDn'
  | 'bindPassword'
>;

function tlsOptions(s: ConnectSettings, host: string): ConnectionOptions {
  const o: ConnectionOptions = { rejectUnauthorized: s.rejectUnauthorized, host };
  // SNI must be a name, never an address (RFC 6066).
  if (!isIP(host)) o.servername = host;
  if (s.ca) o.ca = s.ca;
  return o;
}

/** Why one URL could not be used; `connect` decides whether to try the next. */
class OpenFailure extends Error {
  constructor(
    readonly failure: unknown,
    readonly stage: Stage,
    readonly ldaps: boolean,
  ) {
    super(`${stage} failed`);
  }
}

function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '');
}

/** Rejects after `ms` (calling `onTimeout` first); ldapts has no timer around the StartTLS handshake. */
async function within<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  if (!ms) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error('StartTLS: Operation timed out'));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function closer(client: Client): () => Promise<void> {
  let closed = false;
  return async () => {
    if (closed) return;
    closed = true;
    try {
      await client.unbind();
    } catch {
      // The socket is gone already; nothing left to release.
    }
  };
}

async function openOne(s: ConnectSettings, url: string, signal: AbortSignal): Promise<LdapConnection> {
  const ldaps = url.toLowerCase().startsWith('ldaps:');
  const host = hostOf(url);
  const client = new Client({
    url,
    connectTimeout: s.connectTimeoutMs,
    timeout: s.operationTimeoutMs,
    ...(ldaps ? { tlsOptions: tlsOptions(s, host) } : {}),
  });
  const close = closer(client);
  const onAbort = (): void => void close();
  signal.addEventListener('abort', onAbort, { once: true });
  let stage: Stage = 'connect';
  try {
    if (!ldaps && s.startTls) {
      stage = 'starttls';
      await within(client.startTLS(tlsOptions(s, host)), s.operationTimeoutMs, onAbort);
    }
    stage = 'bind';
    // An empty DN and password is the anonymous simple bind (RFC 4513 5.1.1).
    await client.bind(s.bindDn, s.bindDn ? s.bindPassword : '');
    return { client, url, tls: ldaps || s.startTls, close };
  } catch (e) {
    await close();
    if (signal.aborted) throw new AbortedError();
    // A network or TLS error during bind() is a connect failure: ldapts connects lazily.
    const at: Stage = stage === 'bind' && resultCode(e) === undefined ? 'connect' : stage;
    throw new OpenFailure(e, at, ldaps);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * A bound connection to the first usable URL. Credential problems stop at once (they would only
 * repeat, and could lock the account); unreachable servers and TLS failures move on to the next URL.
 */
export async function connect(
  s: ConnectSettings,
  signal: AbortSignal,
  logger: Logger,
): Promise<LdapConnection> {
  const failures: { url: string; message: string; fix: string }[] = [];
  let lastCause: unknown;
  for (const url of s.urls) {
    if (signal.aborted) throw new AbortedError();
    if (!s.rejectUnauthorized && (url.toLowerCase().startsWith('ldaps:') || s.startTls)) {
      logger.warn(
        { source: s.name, url },
        'TLS certificate verification is off (rejectUnauthorized: false): the directory server is not authenticated',
      );
    }
    try {
      const conn = await openOne(s, url, signal);
      if (failures.length)
        logger.warn(
          { source: s.name, url, failed: failures.map((f) => f.url) },
          'LDAP fail-over: using the next server',
        );
      return conn;
    } catch (wrapped) {
      if (!(wrapped instanceof OpenFailure)) throw wrapped;
      const { failure, stage, ldaps } = wrapped;
      const d = describeFailure(failure, { url, stage, bindDn: s.bindDn, ldaps });
      lastCause = failure;
      if (!d.tryNext) {
        const options = { place: url, fix: d.fix, cause: failure };
        throw d.config ? new ConfigError(d.message, options) : new SourceUnavailableError(d.message, options);
      }
      logger.warn({ source: s.name, url, reason: d.message }, 'LDAP server unusable');
      failures.push({ url, message: d.message, fix: d.fix });
    }
  }
  const first = failures[0];
  if (failures.length === 1 && first) {
    throw new SourceUnavailableError(first.message, { place: first.url, fix: first.fix, cause: lastCause });
  }
  throw new SourceUnavailableError(
    `No LDAP server could be used: ${failures.map((f) => f.message).join('; ')}`,
    {
      place: s.urls.join(' '),
      fix: first?.fix ?? 'Check urls.',
      cause: lastCause,
    },
  );
}
