/**
 * The only code that talks to Mobile ID Manager. POSTs the raw CSV to
 * `{baseUrl}/api/projects/{project}/sync` with the project's Bearer token and retries what is
 * worth retrying (DESIGN §1): 408, 429, 5xx and network errors, honouring Retry-After.
 * Retrying is safe because the upload is a full replacing sync: applying it twice equals once.
 *
 * `push()` resolves only when MIM's API confirmed the upload. Every error it throws says in
 * `outcome` (see errors.ts, outcome.ts) whether MIM may hold the upload: once an attempt may have
 * been applied, the outcome is unknown whatever later attempts answer (DESIGN §5.9).
 * Redirects are never followed: the Bearer token must not travel to another address.
 */
import type { MimConfig } from '../../config/schema.js';
import type { SyncError } from '../../core/errors.js';
import { backoffDelay, parseRetryAfter, sleep } from '../../core/retry-after.js';
import { Agent, request, errors as undiciErrors } from '../../http/undici.js';
import {
  type AttemptRecord,
  MimAbortedError,
  MimAuthError,
  MimConfigError,
  MimOutcomeUnknownError,
  MimRejectedError,
  MimUnavailableError,
} from './errors.js';
import {
  type AttemptVerdict,
  classifyAnswer,
  describeAnswer,
  excerpt,
  type ServerAnswer,
} from './outcome.js';

/** A push MIM's API confirmed. */
export interface PushResult {
  readonly outcome: 'applied';
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
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

function errorCode(e: unknown): string | undefined {
  const o = e as { code?: unknown; cause?: { code?: unknown } };
  const code = o.code ?? o.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

function networkReason(e: unknown): string {
  if (e instanceof undiciErrors.ConnectTimeoutError) return 'connect timeout';
  if (e instanceof undiciErrors.HeadersTimeoutError) return 'no answer in time (request timeout)';
  if (e instanceof undiciErrors.BodyTimeoutError) return 'the answer stalled (body timeout)';
  return errorCode(e) ?? (e instanceof Error ? e.message : String(e));
}

/**
 * Failures that happen before any byte of the request leaves: no connection, no name, a failed
 * TLS handshake. Anything else may have happened after MIM got the body.
 */
const BEFORE_SEND_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function networkAnswer(e: unknown): ServerAnswer {
  const beforeSend =
    e instanceof undiciErrors.ConnectTimeoutError || BEFORE_SEND_CODES.has(errorCode(e) ?? '');
  return { kind: 'network', phase: beforeSend ? 'before-send' : 'after-send', reason: networkReason(e) };
}

/** The answer as kept on errors (which may be logged): the token replaced, the body shortened. */
function scrubbed(answer: ServerAnswer, token: string): ServerAnswer {
  if (answer.kind === 'network') return answer;
  const hide = (s: string) => s.split(token).join('***');
  return { ...answer, body: hide(answer.body).slice(0, 4096), location: hide(answer.location) };
}

function header(v: string | string[] | undefined): string {
  return (Array.isArray(v) ? v[0] : v) ?? '';
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
      throw new MimConfigError('No MIM project token is configured; nothing was sent', {
        place: this.options.tokenPlace,
        fix: 'Set the token from the Auto-sync task XML in mim.token, mim.tokenFile, or the matching env var (see `config print`).',
        attempts: [],
      });
    }
    return this.config.token;
  }

  /** One POST; whatever happens becomes a ServerAnswer (only a cancelled run throws). */
  private async attempt(url: string, token: string, payload: Buffer, signal: AbortSignal) {
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        signal, // undici's request() never follows redirects; a 3xx comes back as an answer
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': this.config.contentType,
          'user-agent': 'mobileid-sync',
        },
        body: payload,
      });
      const body = (await res.body.text()).slice(0, MAX_BODY_KEPT);
      const answer: ServerAnswer = {
        kind: 'response',
        status: res.statusCode,
        contentType: header(res.headers['content-type']),
        body,
        location: header(res.headers.location),
      };
      return { answer, retryAfterMs: parseRetryAfter(res.headers['retry-after']) };
    } catch (e) {
      if (signal.aborted) return { aborted: true as const };
      return { answer: networkAnswer(e), retryAfterMs: undefined };
    }
  }

  /**
   * Uploads the payload. Resolves only when MIM's API confirmed it (a 2xx that passes
   * `mim.successResponse`); otherwise throws an error whose `outcome` says whether MIM may hold it.
   */
  async push(payload: Buffer, signal: AbortSignal): Promise<PushResult> {
    const url = syncUrl(this.config);
    const token = this.token();
    const { max, baseDelayMs, maxDelayMs } = this.config.retries;
    const history: AttemptRecord[] = [];
    for (let attempt = 0; ; attempt++) {
      const got = await this.attempt(url, token, payload, signal);
      // Cancelled mid-request: the body may have reached MIM.
      if ('aborted' in got) throw new MimAbortedError('unknown', history);
      const { answer, retryAfterMs } = got;
      const verdict = classifyAnswer(answer, this.config.successResponse);
      history.push({
        attempt: attempt + 1,
        answer: scrubbed(answer, token),
        summary: describeAnswer(answer, [token]),
        proof: verdict.proof,
      });
      const status = answer.kind === 'response' ? answer.status : 'network';
      const willRetry = verdict.retryable && attempt < max;
      const wait = willRetry
        ? Math.min(
            maxDelayMs,
            retryAfterMs ?? backoffDelay(attempt, baseDelayMs, maxDelayMs, this.options.random),
          )
        : undefined;
      this.options.onAttempt?.(status, attempt, wait);

      if (verdict.proof === 'applied' && answer.kind === 'response') {
        return {
          outcome: 'applied',
          status: answer.status,
          body: answer.body,
          contentType: answer.contentType,
          attempts: attempt + 1,
        };
      }
      if (wait === undefined) throw this.failure(url, history, verdict, token);
      try {
        await sleep(wait, signal);
      } catch {
        const maybe = history.some((h) => h.proof === 'maybe-applied');
        throw new MimAbortedError(maybe ? 'unknown' : 'not-applied', history);
      }
    }
  }

  /** The error that ends a push, with an outcome no stronger than the answers prove. */
  private failure(
    url: string,
    history: readonly AttemptRecord[],
    last: AttemptVerdict,
    token: string,
  ): SyncError {
    const lastRec = history.at(-1);
    if (lastRec === undefined) throw new Error('failure() needs at least one attempt');
    const maybe = history.find((h) => h.proof === 'maybe-applied');
    if (maybe !== undefined) return unknownOutcome(url, history, lastRec, maybe, last, token);

    const answer = lastRec.answer;
    const status = answer.kind === 'response' ? answer.status : undefined;
    const common = { place: url, attempts: history };
    if (last.answer === 'auth' && status !== undefined) {
      return new MimAuthError(`MIM refused the project token (HTTP ${status}); nothing was applied`, {
        ...common,
        status,
        fix: 'Copy the current token from the Auto-sync task XML of this project into mim.token / mim.tokenFile.',
      });
    }
    if (last.answer === 'not-found') {
      return new MimConfigError('MIM does not know this project (HTTP 404); nothing was applied', {
        ...common,
        fix: 'Check mim.baseUrl and mim.project (the project name as shown in MIM).',
      });
    }
    if (!last.retryable && answer.kind === 'response') {
      const body = answer.body.split(token).join('***');
      const text = excerpt(answer.body, [token]);
      return last.answer === 'rejected'
        ? new MimRejectedError(
            `MIM rejected the file (HTTP ${answer.status}); nothing was applied: ${text}`,
            {
              ...common,
              status: answer.status,
              body,
              fix: 'The errors above come from MIM; please report them, since local validation should have caught them.',
            },
          )
        : new MimRejectedError(`MIM answered HTTP ${answer.status}; nothing was applied: ${text}`, {
            ...common,
            status: answer.status,
            body,
            fix: 'Check mim.baseUrl and mim.contentType.',
          });
    }
    return new MimUnavailableError(
      `MIM did not accept the upload after ${history.length} attempts (last: ${lastRec.summary}); MIM processed none of them, so nothing was applied`,
      {
        ...common,
        status,
        fix: 'The next run retries. Check MIM availability and mim.baseUrl.',
      },
    );
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Why one attempt proves nothing, for the message. */
function whyMaybeApplied(rec: AttemptRecord, token: string): string {
  const a = rec.answer;
  const n = `attempt ${rec.attempt}`;
  if (a.kind === 'network') return `${n} sent the upload and got no definite answer (${a.reason})`;
  if (a.status >= 200 && a.status < 300)
    return `${n} got ${rec.summary}, which is not an answer from MIM's API (a login page, captive portal or proxy?)`;
  if (a.status >= 300 && a.status < 400)
    return `${n} got a redirect (${redirectWords(rec)}), which is never followed and may come after the upload was applied`;
  if (a.status >= 500)
    return `${n} got HTTP ${a.status}${bodyWords(a.body, token)}, which a proxy may send after MIM applied the upload`;
  return `${n} got HTTP ${a.status}${bodyWords(a.body, token)}, which does not prove that MIM refused it`;
}

function redirectWords(rec: AttemptRecord): string {
  return rec.summary.replace(/ \(not followed\)$/, '');
}

function bodyWords(body: string, token: string): string {
  const text = excerpt(body, [token]);
  return text ? ` (${text})` : '';
}

const KEEP =
  'Nothing is lost: the push intent is kept and the next run retries, re-sending the upload (a replacing sync is idempotent).';

function unknownFix(last: AttemptVerdict): string {
  switch (last.answer) {
    case 'auth':
      return `${KEEP} Copy the current token from the Auto-sync task XML of this project into mim.token / mim.tokenFile.`;
    case 'rejected':
      return `${KEEP} MIM's errors are above; please report them, since local validation should have caught them.`;
    case 'not-found':
      return `${KEEP} Check mim.baseUrl and mim.project (the project name as shown in MIM).`;
    case 'redirect':
      return `${KEEP} Redirects are never followed (the token must not go to another address): set mim.baseUrl to the address MIM's API answers at, with no login page or proxy redirect in between.`;
    case 'not-api-2xx':
      return `${KEEP} Check mim.baseUrl and the network path: something other than MIM's API answered (a login page, captive portal or proxy). If MIM's own success answer looks like this, see mim.successResponse.`;
    default:
      return `${KEEP} Check MIM availability and mim.baseUrl.`;
  }
}

function unknownOutcome(
  url: string,
  history: readonly AttemptRecord[],
  lastRec: AttemptRecord,
  maybe: AttemptRecord,
  last: AttemptVerdict,
  token: string,
): MimOutcomeUnknownError {
  const why = whyMaybeApplied(maybe, token);
  const exhausted = last.retryable;
  const message = exhausted
    ? `MIM did not accept the upload after ${history.length} attempts (last: ${lastRec.summary}). MIM may or may not have applied it: ${why}; the next run re-sends it`
    : lastRec === maybe
      ? `MIM may or may not have applied the upload: ${why}. The next run re-sends it`
      : `MIM may or may not have applied the upload: ${why}; then attempt ${lastRec.attempt} ended the push with ${lastRec.summary}. The next run re-sends it`;
  return new MimOutcomeUnknownError(message, {
    place: url,
    status: lastRec.answer.kind === 'response' ? lastRec.answer.status : undefined,
    lastAnswer: lastRec.answer,
    why,
    attempts: history,
    fix: unknownFix(last),
  });
}
