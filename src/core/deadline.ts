/**
 * A signal that aborts when `outer` does, or `ms` after it was made, whichever is first; `clear()`
 * when the work is done. Not `AbortSignal.any([outer, AbortSignal.timeout(ms)])`: on Node 20 a
 * timeout signal that only a composite signal refers to can be garbage-collected and then never
 * fires (nodejs/node#57736; deadline.test.ts shows it), so a server that accepted the connection
 * and never answered was waited on for undici's 300 s default. Here the timer holds the
 * controller until it fires or is cleared.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  clear(): void;
}

export function deadline(ms: number, outer?: AbortSignal | null): Deadline {
  const controller = new AbortController();
  // The same reason AbortSignal.timeout gives, so callers that name a timeout by it still do.
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')),
    ms,
  );
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}
