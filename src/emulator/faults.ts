/**
 * Injected failures for the sync endpoint, queued in order: each entry answers the next `count` sync
 * requests. They let tests rehearse what a real MIM (or the network in front of it) can do to a push:
 * error statuses, slowness, a request that never returns, a dropped connection, the nasty ones —
 * an upload that was applied but whose answer never reached the client (or was replaced by a
 * proxy's) — and answers that are not MIM's at all: a login page with 200, a redirect to a login
 * URL, an error body that echoes the Authorization header. A `hold` keeps an upload waiting until
 * the test releases it (`POST /_admin/release`), so a test that needs an upload in flight while it
 * does something else does not depend on how fast a busy machine starts processes.
 */

export type FaultSpec =
  | {
      readonly type: 'status';
      readonly status: number;
      readonly retryAfter?: string;
      readonly body?: string;
      readonly contentType?: string;
    }
  | { readonly type: 'delay'; readonly ms: number }
  | { readonly type: 'hold' }
  | { readonly type: 'hang' }
  | { readonly type: 'reset' }
  | { readonly type: 'apply-then-hang' }
  | { readonly type: 'apply-then-reset' }
  | {
      readonly type: 'apply-then-status';
      readonly status: number;
      readonly body?: string;
      readonly contentType?: string;
    }
  | { readonly type: 'html-200'; readonly body?: string }
  | { readonly type: 'redirect-302'; readonly location?: string }
  | { readonly type: 'echo-auth'; readonly status: number };

export type FaultType = FaultSpec['type'];

/** A queued fault and how many more requests it will answer. */
export type QueuedFault = FaultSpec & { readonly count: number };

export type FaultParse = { ok: true; fault: QueuedFault } | { ok: false; error: string };

const TYPES: readonly FaultType[] = [
  'status',
  'delay',
  'hold',
  'hang',
  'reset',
  'apply-then-hang',
  'apply-then-reset',
  'apply-then-status',
  'html-200',
  'redirect-302',
  'echo-auth',
];
const MAX_DELAY_MS = 10 * 60_000;

/** Checks a fault posted to the admin endpoint; unknown keys are errors so typos don't pass silently. */
export function parseFault(input: unknown): FaultParse {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: 'a fault must be a JSON object' };
  }
  const o = input as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || !isFaultType(type)) {
    return { ok: false, error: `"type" must be one of ${TYPES.join(', ')}` };
  }
  const allowed: Record<FaultType, readonly string[]> = {
    status: ['status', 'retryAfter', 'body', 'contentType'],
    delay: ['ms'],
    hold: [],
    hang: [],
    reset: [],
    'apply-then-hang': [],
    'apply-then-reset': [],
    'apply-then-status': ['status', 'body', 'contentType'],
    'html-200': ['body'],
    'redirect-302': ['location'],
    'echo-auth': ['status'],
  };
  const unknown = Object.keys(o).filter((k) => k !== 'type' && k !== 'count' && !allowed[type].includes(k));
  if (unknown.length > 0)
    return { ok: false, error: `unknown key(s) for a ${type} fault: ${unknown.join(', ')}` };

  const count = o.count ?? 1;
  if (!isIntegerIn(count, 1, 1_000_000)) return { ok: false, error: '"count" must be a positive integer' };

  switch (type) {
    case 'status':
    case 'apply-then-status': {
      if (!isIntegerIn(o.status, 200, 599))
        return { ok: false, error: '"status" must be an HTTP status 200-599' };
      // Every other key the type allows is an optional string (retryAfter, body, contentType).
      const strings = allowed[type].filter((k) => k !== 'status');
      const bad = stringKeyError(o, strings);
      if (bad) return { ok: false, error: bad };
      return {
        ok: true,
        fault: {
          type,
          count,
          status: o.status,
          ...optionalString('retryAfter', o.retryAfter),
          ...optionalString('body', o.body),
          ...optionalString('contentType', o.contentType),
        },
      };
    }
    case 'html-200':
    case 'redirect-302': {
      const k = type === 'html-200' ? 'body' : 'location';
      const bad = stringKeyError(o, [k]);
      if (bad) return { ok: false, error: bad };
      return type === 'html-200'
        ? { ok: true, fault: { type, count, ...optionalString('body', o.body) } }
        : { ok: true, fault: { type, count, ...optionalString('location', o.location) } };
    }
    case 'echo-auth': {
      const status = o.status ?? 500;
      if (!isIntegerIn(status, 400, 599))
        return { ok: false, error: '"status" must be an HTTP error status 400-599' };
      return { ok: true, fault: { type, count, status } };
    }
    case 'delay':
      if (!isIntegerIn(o.ms, 0, MAX_DELAY_MS)) {
        return { ok: false, error: `"ms" must be an integer 0-${MAX_DELAY_MS}` };
      }
      return { ok: true, fault: { type, count, ms: o.ms } };
    default:
      return { ok: true, fault: { type, count } };
  }
}

/** FIFO of faults; `take` hands out one use of the head entry. Also the gate `hold` faults wait at. */
export class FaultQueue {
  #queue: QueuedFault[] = [];
  #held: (() => void)[] = [];

  /** Resolves when `release()` is called (or `signal` aborts, rejecting). */
  held(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#held.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Lets every held upload go on; returns how many were waiting. */
  release(): number {
    const waiting = this.#held;
    this.#held = [];
    for (const go of waiting) go();
    return waiting.length;
  }

  add(fault: QueuedFault): void {
    this.#queue.push(fault);
  }

  take(): FaultSpec | undefined {
    const head = this.#queue[0];
    if (head === undefined) return undefined;
    if (head.count <= 1) this.#queue.shift();
    else this.#queue[0] = { ...head, count: head.count - 1 };
    const { count: _used, ...spec } = head;
    return spec;
  }

  list(): QueuedFault[] {
    return [...this.#queue];
  }

  clear(): void {
    this.#queue = [];
  }
}

function stringKeyError(o: Record<string, unknown>, keys: readonly string[]): string | undefined {
  const bad = keys.find((k) => o[k] !== undefined && typeof o[k] !== 'string');
  return bad === undefined ? undefined : `"${bad}" must be a string`;
}

function isFaultType(s: string): s is FaultType {
  return (TYPES as readonly string[]).includes(s);
}

function isIntegerIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function optionalString<K extends string>(key: K, v: unknown): { [P in K]?: string } {
  return typeof v === 'string' ? ({ [key]: v } as { [P in K]: string }) : {};
}
