/**
 * The only code that talks to Mobile ID Manager. POSTs the raw CSV to
 * `{baseUrl}/api/projects/{project}/sync` with the project's Bearer token and retries what is
 * worth retrying (DESIGN §1): 408, 429, 5xx and network errors, honouring Retry-After.
 * Retrying is safe because the upload is a full replacing sync: applying it twice equals once.
 */
import { Agent, request, errors as undiciErrors } from 'undici';
import type { MimConfig } from '../../config/schema.js';
import {
  ConfigError,
  TargetAuthError,
  TargetRejectedError,
  TargetUnavailableError,
} from '../../core/errors.js';
import { backoffDelay, parseRetryAfter, sleep } from '../../core/retry-after.js';

export interface PushResult {
  readonly status: number;
  readonly body: string;
  readonly attempts: number;
}

export interface MimClientOptions {
  /** Place used in error messages for the token key, e.g. `jobs[main].mim.token`. */
  readonly tokenPlace: string;
  /** Called for every answer (status code) or network failure ('network'), e.g. for metrics. */
  readonly onAttempt?: (outcome: number | 'network', attempt: number, delayMs: number | undefined) => void;
  readonly random?: () => number;
}

const MAX_BODY_KEPT = 64 * 1024;

export function syncUrl(config: MimConfig): string {
  const base = config.baseUrl.replace(/\/+$/, '');
  return `${base}/api/projects/${encodeURIComponent(config.project)}/sync`;
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function networkReason(e: unknown): string {
  if (e instanceof undiciErrors.ConnectTimeoutError) return 'connect timeout';
  if (e instanceof undiciErrors.HeadersTimeoutError) return 'no answer in time (request timeout)';
  if (e instanceof undiciErrors.BodyTimeoutError) return 'the answer stalled (body timeout)';
  const code =
    (e as { code?: string; cause?: { code?: string } }).code ??
    (e as { cause?: { code?: string } }).cause?.code;
  if (code) return code;
  return e instanceof Error ? e.message : String(e);
}

export class MimClient {
  private readonly agent: Agent;

  constructor(
    private readonly config: MimConfig,
    private readonly options: MimClientOptions,
  ) {
    this.agent = new Agent({
      connect: { timeout: config.connectTimeoutMs },
      headersTimeout: config.requestTimeoutMs,
      bodyTimeout: config.requestTimeoutMs,
    });
  }

  private token(): string {
    if (!this.config.token) {
      throw new ConfigError('No MIM project token is configured', {
        place: this.options.tokenPlace,
        fix: 'Set the token from the Auto-sync task XML in mim.token, mim.tokenFile, or the matching env var (see `config print`).',
      });
    }
    return this.config.token;
  }

  /** Uploads the payload; resolves on 2xx, throws a typed error otherwise. */
  async push(payload: Buffer, signal: AbortSignal): Promise<PushResult> {
    const url = syncUrl(this.config);
    const token = this.token();
    const { max, baseDelayMs, maxDelayMs } = this.config.retries;
    let last = '';
    let lastStatus: number | undefined;
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: this.agent,
          signal,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': this.config.contentType,
            'user-agent': 'mobileid-sync',
          },
          body: payload,
        });
        const body = (await res.body.text()).slice(0, MAX_BODY_KEPT);
        lastStatus = res.statusCode;
        if (res.statusCode >= 200 && res.statusCode < 300) {
          this.options.onAttempt?.(res.statusCode, attempt, undefined);
          return { status: res.statusCode, body, attempts: attempt + 1 };
        }
        retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        this.options.onAttempt?.(res.statusCode, attempt, retryAfterMs);
        this.throwIfFinal(res.statusCode, body, url);
        last = `HTTP ${res.statusCode}${body ? `: ${summarize(body)}` : ''}`;
      } catch (e) {
        if (signal.aborted) throw e;
        if (e instanceof TargetAuthError || e instanceof TargetRejectedError || e instanceof ConfigError)
          throw e;
        last = networkReason(e);
        lastStatus = undefined;
        this.options.onAttempt?.('network', attempt, undefined);
      }
      if (attempt >= max) break;
      const wait = Math.min(
        maxDelayMs,
        retryAfterMs ?? backoffDelay(attempt, baseDelayMs, maxDelayMs, this.options.random),
      );
      await sleep(wait, signal);
    }
    throw new TargetUnavailableError(
      `MIM did not accept the upload after ${max + 1} attempts (last: ${last})`,
      {
        place: url,
        status: lastStatus,
        fix: 'Nothing was recorded as pushed; the next run retries. Check MIM availability and mim.baseUrl.',
      },
    );
  }

  private throwIfFinal(status: number, body: string, url: string): void {
    if (status === 401 || status === 403) {
      throw new TargetAuthError(`MIM refused the project token (HTTP ${status})`, {
        place: url,
        status,
        fix: 'Copy the current token from the Auto-sync task XML of this project into mim.token / mim.tokenFile.',
      });
    }
    if (status === 400 || status === 422) {
      throw new TargetRejectedError(
        `MIM rejected the file (HTTP ${status}); nothing was applied: ${summarize(body)}`,
        {
          place: url,
          status,
          body,
          fix: 'The errors above come from MIM; please report them, since local validation should have caught them.',
        },
      );
    }
    if (status === 404) {
      throw new ConfigError(`MIM does not know this project (HTTP 404)`, {
        place: url,
        fix: 'Check mim.baseUrl and mim.project (the project name as shown in MIM).',
      });
    }
    if (!isRetryableStatus(status)) {
      throw new TargetRejectedError(`MIM answered HTTP ${status}; nothing was applied`, {
        place: url,
        status,
        body,
        fix: 'Check mim.baseUrl and mim.contentType.',
      });
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function summarize(body: string): string {
  const oneLine = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
}
