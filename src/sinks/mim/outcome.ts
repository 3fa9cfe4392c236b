/**
 * What an answer from MIM proves (DESIGN §5.9). Pure: no I/O, so the fuzzers can drive it.
 *
 * Each attempt's answer either confirms the upload (a 2xx that looks like MIM's API), proves that
 * this attempt was not applied (refused before the body reached MIM, or a definite refusal), or
 * proves nothing (the body was, or may have been, sent and no definite answer came back). Once one
 * attempt proves nothing, the upload's outcome stays unknown until a later attempt is confirmed:
 * a 401 or 422 after a lost answer says nothing about the upload that may already be applied.
 */

/** How a 2xx is recognised as MIM's API confirming the upload (`mim.successResponse`). */
export type SuccessResponse = 'not-html' | 'json' | 'any-2xx';
export const SUCCESS_RESPONSES: readonly SuccessResponse[] = ['not-html', 'json', 'any-2xx'];

/** One attempt's answer as the client saw it. */
export type ServerAnswer =
  | {
      readonly kind: 'response';
      readonly status: number;
      /** The Content-Type header, '' when absent. */
      readonly contentType: string;
      readonly body: string;
      /** The Location header of a redirect, '' when absent. */
      readonly location: string;
    }
  | {
      readonly kind: 'network';
      /**
       * 'before-send': the connection or TLS handshake failed, so no byte of the request left
       * (refused, DNS, connect timeout, certificate). 'after-send': anything else — the request
       * was, or may have been, sent (timeout waiting for the answer, reset, socket closed mid-answer).
       */
      readonly phase: 'before-send' | 'after-send';
      readonly reason: string;
    };

/** What one answer proves about its own attempt. */
export type AttemptProof = 'applied' | 'not-applied' | 'maybe-applied';

export interface AttemptVerdict {
  readonly proof: AttemptProof;
  /** Whether another attempt may help (408, 429, 5xx, network); a final answer ends the push. */
  readonly retryable: boolean;
  /**
   * The kind of answer, for messages and the typed error: 'api-2xx' confirmed; 'not-api-2xx' a
   * 2xx that is not MIM's API (login page, captive portal); the rest name the status class.
   */
  readonly answer:
    | 'api-2xx'
    | 'not-api-2xx'
    | 'redirect'
    | 'auth'
    | 'rejected'
    | 'not-found'
    | 'refused'
    | 'server-error'
    | 'throttled'
    | 'unexpected-status'
    | 'network';
}

/** The upload as a whole: confirmed, provably not applied, or unknown (MIM may hold it). */
export type UploadOutcome = 'applied' | 'not-applied' | 'unknown';

/**
 * Statuses that prove the request was refused before it was processed — but only while no earlier
 * attempt may have been applied. 401/403 token, 404 project, 400/422 file, 405/411/413/414/415/431
 * the request itself, 429 throttled. Not 408 (a proxy may have streamed the body on) nor any 5xx
 * (a proxy's 502/504 may come after MIM applied the upload).
 */
const REFUSED_STATUSES: ReadonlySet<number> = new Set([
  400, 401, 403, 404, 405, 411, 413, 414, 415, 422, 429, 431,
]);

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Does a 2xx answer look like MIM's API under the configured policy? */
export function looksLikeApiAnswer(
  answer: { readonly contentType: string; readonly body: string },
  policy: SuccessResponse,
): boolean {
  if (policy === 'any-2xx') return true;
  const type = mediaType(answer.contentType);
  if (policy === 'json') {
    if (type !== 'application/json' && !type.endsWith('+json')) return false;
    try {
      JSON.parse(answer.body);
      return true;
    } catch {
      return false;
    }
  }
  if (type === 'text/html' || type === 'application/xhtml+xml') return false;
  const start = answer.body.replace(/^\uFEFF/, '').trimStart();
  return !start.startsWith('<') && !/<html[\s>]/i.test(answer.body);
}

/** `text/html; charset=utf-8` → `text/html`. */
function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** What one answer proves about the attempt that got it, and whether to try again. */
export function classifyAnswer(answer: ServerAnswer, policy: SuccessResponse): AttemptVerdict {
  if (answer.kind === 'network') {
    return {
      proof: answer.phase === 'before-send' ? 'not-applied' : 'maybe-applied',
      retryable: true,
      answer: 'network',
    };
  }
  const { status } = answer;
  if (status >= 200 && status < 300) {
    return looksLikeApiAnswer(answer, policy)
      ? { proof: 'applied', retryable: false, answer: 'api-2xx' }
      : { proof: 'maybe-applied', retryable: false, answer: 'not-api-2xx' };
  }
  const proof: AttemptProof = REFUSED_STATUSES.has(status) ? 'not-applied' : 'maybe-applied';
  const retryable = isRetryableStatus(status);
  if (status >= 300 && status < 400) return { proof, retryable, answer: 'redirect' };
  if (status === 401 || status === 403) return { proof, retryable, answer: 'auth' };
  if (status === 400 || status === 422) return { proof, retryable, answer: 'rejected' };
  if (status === 404) return { proof, retryable, answer: 'not-found' };
  if (status === 429) return { proof, retryable, answer: 'throttled' };
  if (status >= 500) return { proof, retryable, answer: 'server-error' };
  if (proof === 'not-applied') return { proof, retryable, answer: 'refused' };
  return { proof, retryable, answer: 'unexpected-status' };
}

/**
 * The outcome of a whole push from its answers in order (the client stops at the first confirmed
 * or final one). Confirmed only if the last answer is an API 2xx; otherwise unknown as soon as any
 * attempt may have been applied, whatever came after; otherwise not applied.
 */
export function outcomeOf(answers: readonly ServerAnswer[], policy: SuccessResponse): UploadOutcome {
  const proofs = answers.map((a) => classifyAnswer(a, policy).proof);
  if (proofs.at(-1) === 'applied') return 'applied';
  return proofs.some((p) => p !== 'not-applied') ? 'unknown' : 'not-applied';
}

const EXCERPT_CHARS = 200;

/** First ~200 characters of an answer body as one line, tags stripped, secrets replaced. */
export function excerpt(body: string, secrets: readonly string[] = []): string {
  const oneLine = hideSecrets(body, secrets)
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine.length > EXCERPT_CHARS ? `${oneLine.slice(0, EXCERPT_CHARS)}…` : oneLine;
}

function hideSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

/** A redirect target without its query and fragment (they may carry session data). */
export function redirectTarget(location: string): string {
  if (location === '') return 'no Location header';
  try {
    const u = new URL(location, 'http://relative.invalid');
    return u.host === 'relative.invalid' ? u.pathname : `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'an unreadable Location header';
  }
}

/** One answer in a few words, e.g. `HTTP 502: Bad Gateway` or `no answer in time (request timeout)`. */
export function describeAnswer(answer: ServerAnswer, secrets: readonly string[] = []): string {
  if (answer.kind === 'network') return answer.reason;
  const { status } = answer;
  if (status >= 300 && status < 400) {
    return `HTTP ${status} redirect to ${hideSecrets(redirectTarget(answer.location), secrets)} (not followed)`;
  }
  const text = excerpt(answer.body, secrets);
  const type = answer.contentType ? ` ${mediaType(answer.contentType)}` : '';
  if (status >= 200 && status < 300)
    return `HTTP ${status}${type}${text ? `: ${text}` : ' with an empty body'}`;
  return `HTTP ${status}${text ? `: ${text}` : ''}`;
}
