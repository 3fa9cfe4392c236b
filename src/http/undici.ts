/**
 * undici's `Agent`, `request()` and error classes, loaded from their own files instead of undici's
 * index. The index also loads fetch, WebSocket, the cache and cookies, and its cookie module reads
 * `globalThis.Headers`, which loads Node's own bundled copy of undici as well: about 50 ms of every
 * CLI run that talks to MIM, and 3–5 MB of the daemon's memory (bench/plan-process, bench/daemon).
 * undici has no exports map, so these paths are reachable but not promised:
 * undici.integration.test.ts checks that they are the very objects the index exports, so an
 * upgrade that moves them fails the tests.
 * The Entra source still uses the index: it needs fetch.
 */
import './wasm-tiering.js';
import type { Agent as AgentType, Dispatcher, errors as ErrorsType } from 'undici';
import dispatcherRequest from 'undici/lib/api/api-request.js';
import errorClasses from 'undici/lib/core/errors.js';
import AgentClass from 'undici/lib/dispatcher/agent.js';

export type Agent = AgentType;
export const Agent: typeof AgentType = AgentClass;
export const errors: typeof ErrorsType = errorClasses;

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & {
  /** Always given: no request goes through undici's global dispatcher. */
  readonly dispatcher: Dispatcher;
};

/**
 * `undici.request(url, options)`: one request through `options.dispatcher`, with the origin and
 * path taken from the URL as the index's wrapper does. Redirects are not followed.
 */
export function request(url: string | URL, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const target = typeof url === 'string' ? new URL(url) : url;
  return dispatcherRequest.call(dispatcher, {
    ...rest,
    origin: target.origin,
    path: `${target.pathname}${target.search}`,
  });
}
