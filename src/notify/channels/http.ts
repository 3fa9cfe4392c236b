/**
 * One JSON POST to a Teams, Slack or webhook receiver (undici). Redirects are not followed (a
 * webhook URL that redirects is wrong, and following it could send the message elsewhere); a 2xx
 * is delivered; anything else is a DeliveryError with the status and a short scrubbed excerpt of
 * the answer. Connect, header and body timeouts bound a receiver that hangs.
 */
import { Agent, request, errors as undiciErrors } from '../../http/undici.js';
import type { ChannelName, NotifyEvent } from '../types.js';
import { DeliveryError, errorCode, excerpt, type NotifyChannel, type Receipt } from './delivery.js';

export interface JsonPost {
  /** The full URL (may hold a secret path: never put it in a message). */
  readonly url: string;
  /** Safe to show: the host. */
  readonly place: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** What the admin should check when the receiver refuses (4xx), e.g. "the Teams workflow URL". */
  readonly what: string;
}

/** Longest answer read from a receiver; the rest is dropped. */
const MAX_ANSWER = 16 * 1024;

export function createAgent(timeoutMs: number): Agent {
  return new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
}

function networkReason(e: unknown): string {
  if (e instanceof undiciErrors.ConnectTimeoutError) return 'connect timeout';
  if (e instanceof undiciErrors.HeadersTimeoutError) return 'no answer in time';
  if (e instanceof undiciErrors.BodyTimeoutError) return 'the answer stalled';
  return errorCode(e) ?? (e instanceof Error ? e.message : String(e));
}

function refusedFix(status: number, what: string): string {
  if (status === 401 || status === 403 || status === 404 || status === 410)
    return `The receiver does not know this URL (or it was revoked): create ${what} again and put the new URL in the config.`;
  if (status >= 300 && status < 400)
    return `The URL redirects (redirects are not followed): put the final URL of ${what} in the config.`;
  if (status === 400 || status === 413 || status === 422)
    return 'The receiver refused the message; the answer above says why. Report it if it persists.';
  return `Check ${what} and the receiver's logs; the notification is retried.`;
}

/** Whether a status is worth another attempt. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export async function postJson(agent: Agent, post: JsonPost, signal: AbortSignal): Promise<Receipt> {
  let status: number;
  let answer: string;
  try {
    const res = await request(post.url, {
      method: 'POST',
      dispatcher: agent,
      signal,
      headers: { 'content-type': 'application/json', 'user-agent': 'mobileid-sync', ...post.headers },
      body: post.body,
    });
    status = res.statusCode;
    answer = (await res.body.text()).slice(0, MAX_ANSWER);
  } catch (e) {
    if (signal.aborted)
      throw new DeliveryError(`${post.place}: cancelled`, {
        retryable: false,
        place: post.place,
        fix: 'The daemon stopped or the attempt took too long; the notification was not confirmed.',
        cause: e,
      });
    throw new DeliveryError(`${post.place}: ${networkReason(e)}`, {
      retryable: true,
      place: post.place,
      fix: `Check that this host can reach ${post.place} (proxy, firewall, DNS); the notification is retried.`,
      cause: e,
    });
  }
  if (status >= 200 && status < 300) return { detail: `HTTP ${status}` };
  const said = excerpt(answer);
  throw new DeliveryError(`HTTP ${status}${said ? ` ${said}` : ''}`, {
    retryable: retryableStatus(status),
    place: post.place,
    status,
    fix: refusedFix(status, post.what),
  });
}

/**
 * A channel that posts `render(event)` as JSON to a secret URL (Teams, Slack): its target shows
 * the host only.
 */
export function jsonUrlChannel(
  name: ChannelName,
  config: { url: string; timeoutMs: number },
  render: (event: NotifyEvent) => unknown,
  what: string,
): NotifyChannel {
  const place = new URL(config.url).host;
  const agent = createAgent(config.timeoutMs);
  return {
    name,
    target: place,
    send: (event, signal) =>
      postJson(agent, { url: config.url, place, body: JSON.stringify(render(event)), what }, signal),
    close: () => agent.close(),
  };
}
