/**
 * App-only sign-in: the OAuth 2.0 client-credentials grant against Entra's v2.0 token endpoint,
 * with a client secret or a certificate assertion. A small hand-written client instead of
 * @azure/identity (graph.md §6): no dependencies, works on Node 20, and retry, Retry-After and
 * error wording stay under our control. The token is cached and renewed 5 minutes before expiry.
 * Neither the token nor the secret is ever logged or put into an error.
 */
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { fetch } from 'undici';
import { deadline } from '../../core/deadline.js';
import { AbortedError, ConfigError, SourceUnavailableError } from '../../core/errors.js';
import {
  type AssertionAlgorithm,
  clientAssertion,
  type LoadedCertificate,
  loadCertificate,
} from './certificate.js';
import type { Credential } from './config.js';
import { type ExplainContext, explainTokenFailure, stsErrorCode } from './explain.js';
import { isTlsTrustError, type RetryPolicy, retryWait, type TokenSource, waitFor } from './http.js';

/** MSAL renews 300 s before expiry; very short lifetimes renew at half-life instead. */
const RENEW_BEFORE_SECONDS = 300;

export interface TokenProviderOptions {
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  /** `{graphBaseUrl}/.default` */
  readonly scope: string;
  readonly credential: Credential;
  readonly dispatcher: Dispatcher;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly explain: ExplainContext;
  /** Where credential config errors point (a config key path). */
  readonly place: string;
}

interface Cached {
  readonly token: string;
  readonly renewAt: number;
  readonly expiresAt: number;
}

export class TokenProvider implements TokenSource {
  private cached: Cached | undefined;
  private inflight: Promise<string> | undefined;
  private certificate: LoadedCertificate | undefined;
  /** How the next client assertion is signed; `auto` moves to RS256 once on AADSTS700027. */
  private algorithm: AssertionAlgorithm;
  private fallbackTried = false;
  /** Token requests sent (for check output and tests). */
  requests = 0;

  constructor(private readonly o: TokenProviderOptions) {
    this.algorithm =
      o.credential.type === 'certificate' && o.credential.algorithm === 'RS256' ? 'RS256' : 'PS256';
  }

  /** How the client assertion is signed now (certificate credentials only). */
  get assertionAlgorithm(): AssertionAlgorithm | undefined {
    return this.o.credential.type === 'certificate' ? this.algorithm : undefined;
  }

  get tokenUrl(): string {
    return `${this.o.authorityHost}/${encodeURIComponent(this.o.tenantId)}/oauth2/v2.0/token`;
  }

  /** When the cached token expires (ms since epoch), if there is one. */
  get expiresAt(): number | undefined {
    return this.cached?.expiresAt;
  }

  /** The certificate in use (read on first sign-in). */
  cert(): LoadedCertificate | undefined {
    return this.certificate;
  }

  getToken(signal: AbortSignal | undefined, force: boolean): Promise<string> {
    if (!force && this.cached && Date.now() < this.cached.renewAt) return Promise.resolve(this.cached.token);
    this.inflight ??= this.request(signal).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private form(): URLSearchParams {
    const form = new URLSearchParams({
      client_id: this.o.clientId,
      scope: this.o.scope,
      grant_type: 'client_credentials',
    });
    const cred = this.o.credential;
    if (cred.type === 'secret') {
      form.set('client_secret', cred.secret);
    } else {
      // Re-read each time a token is needed, so a renewed certificate file is picked up.
      this.certificate = loadCertificate(cred.file, cred.passphrase, `${this.o.place}.certificateFile`);
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set(
        'client_assertion',
        clientAssertion(this.certificate, this.o.clientId, this.tokenUrl, Date.now() / 1000, this.algorithm),
      );
    }
    return form;
  }

  private async request(signal: AbortSignal | undefined): Promise<string> {
    const place = this.tokenUrl;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new AbortedError();
      const limit = deadline(this.o.timeoutMs, signal);
      let status = 0;
      let text = '';
      let retryAfter: string | null = null;
      let failure: unknown;
      try {
        this.requests++;
        const res = await fetch(this.tokenUrl, {
          method: 'POST',
          headers: { accept: 'application/json', 'accept-language': 'en-US' },
          body: this.form(),
          dispatcher: this.o.dispatcher,
          signal: limit.signal,
        });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        text = await res.text();
      } catch (e) {
        if (signal?.aborted) throw new AbortedError();
        if (e instanceof ConfigError) throw e;
        failure = e;
      } finally {
        limit.clear();
      }
      if (status === 200) return this.accept(text, place);
      if (this.fallBack(status, text)) continue;
      const retryable = failure !== undefined ? !isTlsTrustError(failure) : status === 429 || status >= 500;
      if (!retryable || attempt >= this.o.retry.max) {
        throw explainTokenFailure(this.o.explain, place, status, text, attempt + 1, failure);
      }
      const wait = retryWait(retryAfter, attempt, this.o.retry);
      this.o.logger.warn({ attempt: attempt + 1, status, waitMs: wait }, 'Entra sign-in failed; retrying');
      await waitFor(wait, signal);
    }
  }

  /**
   * In `auto`, a PS256 assertion refused with AADSTS700027 is sent once more as RS256 with the
   * SHA-1 thumbprint: some tenants still look certificates up by `x5t` only. If that is refused
   * too, the provider goes back to PS256 and does not try again.
   */
  private fallBack(status: number, text: string): boolean {
    const cred = this.o.credential;
    if (cred.type !== 'certificate' || cred.algorithm !== 'auto' || status !== 401) return false;
    if (stsErrorCode(text) !== 700027) return false;
    if (this.algorithm === 'RS256') {
      this.algorithm = 'PS256';
      return false;
    }
    if (this.fallbackTried) return false;
    this.fallbackTried = true;
    this.algorithm = 'RS256';
    this.o.logger.warn(
      { certificateAlgorithm: 'RS256' },
      'Entra ID refused the PS256 client assertion (AADSTS700027); trying RS256 with the SHA-1 thumbprint (x5t)',
    );
    return true;
  }

  private accept(text: string, place: string): string {
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = {};
    }
    // MSAL accepts expires_in as a number or a numeric string.
    const lifetime = Number(body.expires_in);
    if (
      typeof body.access_token !== 'string' ||
      !body.access_token ||
      !Number.isFinite(lifetime) ||
      lifetime <= 0
    ) {
      throw new SourceUnavailableError(
        'The Entra token endpoint answered 200 without a usable access token',
        {
          place,
          fix: 'Check that authorityHost is the Entra sign-in host (a proxy may have answered instead).',
        },
      );
    }
    const now = Date.now();
    const renewIn = lifetime - Math.min(RENEW_BEFORE_SECONDS, lifetime / 2);
    this.cached = {
      token: body.access_token,
      renewAt: now + renewIn * 1000,
      expiresAt: now + lifetime * 1000,
    };
    this.o.logger.debug({ expiresInSeconds: lifetime }, 'Entra access token obtained');
    return body.access_token;
  }
}
