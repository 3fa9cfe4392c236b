/**
 * De-duplication and back-off: which detected event is sent, and what `<stateDir>/notify.json`
 * remembers. Pure: the caller passes the clock reading and stores the returned state.
 *
 * Rules. The same condition (same key) is sent once, then as a reminder every `reminderMs` while it
 * lasts. A blocked plan is keyed by job and plan id (another plan is a new condition); failing and
 * unknown-outcome by job (a changing error text is the same condition; the reminder says the new
 * one); approval-expiring by plan and expiry, sent once. digest and test are never de-duplicated.
 * A kind missing from `policy.events` is never sent. A recovered event (sent or not) clears the
 * job's conditions, so the next occurrence is sent at once.
 *
 * The clock is not trusted to move forward. Entries more than PRUNE_MS (30 days) away from now,
 * either way, are dropped first: a condition that still holds is then sent as new (we would rather
 * tell twice). A `lastSentAt` less far in the future (the clock moved back) is pulled back to now
 * without sending: reminders resume `reminderMs` later instead of staying silent until the old time
 * comes round again. So any jump, back or forward, costs at most one extra message, never silence
 * and never one message per run.
 */
import {
  type DedupEntry,
  type DedupState,
  EVENT_KINDS,
  type NotifyEvent,
  type NotifyEventKind,
  type NotifyPolicy,
  type Reminder,
} from './types.js';

export const EMPTY_DEDUP: DedupState = { version: 1, entries: [] };

/** Entries not sent for this long (or dated this far ahead) are forgotten. */
export const PRUNE_MS = 30 * 24 * 3_600_000;
/** The file is untrusted: at most this many entries are kept (the most recently sent). */
export const MAX_ENTRIES = 1000;

/** The kinds that are one ongoing condition of a job; a recovery clears them. */
const CONDITIONS: ReadonlySet<NotifyEventKind> = new Set([
  'blocked',
  'failing',
  'unknown-outcome',
  'approval-expiring',
]);

/** The de-dup key of an event; null for kinds that are never de-duplicated (digest, test, recovered). */
export function eventKey(event: NotifyEvent): string | null {
  switch (event.kind) {
    case 'blocked':
      return `blocked\0${event.job}\0${event.planId}`;
    case 'failing':
    case 'unknown-outcome':
      return `${event.kind}\0${event.job}`;
    case 'approval-expiring':
      return `approval-expiring\0${event.job}\0${event.planId}\0${event.expiresAt}`;
    default:
      return null;
  }
}

export interface Decision {
  readonly send: boolean;
  /** The event repeats a condition already notified. */
  readonly reminder: boolean;
  /** The state to store (whether or not the event is sent). */
  readonly state: DedupState;
  /** The event to send: a reminder carries `reminder` (first notified, times sent). */
  readonly event: NotifyEvent;
}

function jobOf(event: NotifyEvent): string | null {
  return 'job' in event ? event.job : null;
}

function withEntry(state: DedupState, entry: DedupEntry, nowMs: number): DedupState {
  return prune({ version: 1, entries: [...state.entries.filter((e) => e.key !== entry.key), entry] }, nowMs);
}

function withReminder(event: NotifyEvent, reminder: Reminder): NotifyEvent {
  switch (event.kind) {
    case 'blocked':
    case 'failing':
    case 'unknown-outcome':
      return { ...event, reminder };
    default:
      return event;
  }
}

/** Whether to send `event` now, and the state after it. */
export function decide(stored: DedupState, event: NotifyEvent, now: Date, policy: NotifyPolicy): Decision {
  const nowMs = now.getTime();
  const state = prune(stored, nowMs);
  const at = now.toISOString();
  const enabled = policy.events.has(event.kind);
  if (event.kind === 'recovered') {
    return { send: enabled, reminder: false, state: settle(state, event.job, now), event };
  }
  const key = eventKey(event);
  if (!enabled) return { send: false, reminder: false, state, event };
  if (key === null) return { send: true, reminder: false, state, event };
  const entry = state.entries.find((e) => e.key === key);
  if (!entry) {
    const fresh: DedupEntry = {
      key,
      job: jobOf(event),
      kind: event.kind,
      firstAt: at,
      lastSentAt: at,
      sent: 1,
    };
    return { send: true, reminder: false, state: withEntry(state, fresh, nowMs), event };
  }
  const last = Date.parse(entry.lastSentAt);
  if (nowMs < last) {
    // The clock moved back: restart the interval from now rather than wait for the old time.
    return {
      send: false,
      reminder: false,
      state: withEntry(state, { ...entry, lastSentAt: at }, nowMs),
      event,
    };
  }
  if (event.kind === 'approval-expiring' || nowMs - last < policy.reminderMs) {
    return { send: false, reminder: false, state, event };
  }
  const reminded = withReminder(event, { firstAt: entry.firstAt, sent: entry.sent });
  return {
    send: true,
    reminder: true,
    state: withEntry(state, { ...entry, lastSentAt: at, sent: entry.sent + 1 }, nowMs),
    event: reminded,
  };
}

/**
 * Forgets a job's conditions (after a recovery, or once an approval was given), so that the next
 * occurrence is sent at once. `kinds` narrows what is forgotten (default: every condition).
 */
export function settle(
  state: DedupState,
  job: string,
  now: Date,
  kinds: ReadonlySet<NotifyEventKind> = CONDITIONS,
): DedupState {
  return prune(
    { version: 1, entries: state.entries.filter((e) => !(e.job === job && kinds.has(e.kind))) },
    now.getTime(),
  );
}

/** The conditions of a job that were notified (what a recovery ends), oldest first. */
export function notifiedConditions(state: DedupState, job: string): readonly DedupEntry[] {
  return state.entries
    .filter((e) => e.job === job && e.kind !== 'approval-expiring' && CONDITIONS.has(e.kind))
    .sort((a, b) => Date.parse(a.firstAt) - Date.parse(b.firstAt));
}

/** Drops entries more than PRUNE_MS from now (either way) and keeps at most MAX_ENTRIES. */
export function prune(state: DedupState, nowMs: number): DedupState {
  const kept = state.entries.filter((e) => Math.abs(nowMs - Date.parse(e.lastSentAt)) <= PRUNE_MS);
  if (kept.length <= MAX_ENTRIES && kept.length === state.entries.length) return state;
  const newest = [...kept].sort((a, b) => Date.parse(b.lastSentAt) - Date.parse(a.lastSentAt));
  return { version: 1, entries: newest.slice(0, MAX_ENTRIES) };
}

const KINDS: ReadonlySet<string> = new Set(EVENT_KINDS);

/** A time as this code writes it (`toISOString`): anything else (2026-02-30, a local time) is not trusted. */
function isTime(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const ms = Date.parse(v);
  return Number.isFinite(ms) && new Date(ms).toISOString() === v;
}

function entryOf(v: unknown): DedupEntry | null {
  if (typeof v !== 'object' || v === null) return null;
  const e = v as Record<string, unknown>;
  if (typeof e.key !== 'string' || e.key === '' || e.key.length > 2000) return null;
  if (!(e.job === null || typeof e.job === 'string')) return null;
  if (typeof e.kind !== 'string' || !KINDS.has(e.kind)) return null;
  if (!isTime(e.firstAt) || !isTime(e.lastSentAt)) return null;
  if (typeof e.sent !== 'number' || !Number.isSafeInteger(e.sent) || e.sent < 1) return null;
  return {
    key: e.key,
    job: e.job,
    kind: e.kind as NotifyEventKind,
    firstAt: e.firstAt,
    lastSentAt: e.lastSentAt,
    sent: e.sent,
  };
}

/**
 * Reads `notify.json` as parsed JSON without trusting it. A wrong shape gives the empty state (we
 * would rather tell twice than never) and says why; a wrong entry is dropped, the others kept.
 */
export function parseDedupState(value: unknown): { state: DedupState; problem?: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { state: EMPTY_DEDUP, problem: 'it is not a JSON object' };
  const v = value as Record<string, unknown>;
  if (v.version !== 1) return { state: EMPTY_DEDUP, problem: `unknown version ${JSON.stringify(v.version)}` };
  if (!Array.isArray(v.entries)) return { state: EMPTY_DEDUP, problem: '"entries" is not a list' };
  const entries: DedupEntry[] = [];
  const seen = new Set<string>();
  let bad = 0;
  for (const raw of v.entries) {
    const e = entryOf(raw);
    if (!e || seen.has(e.key)) bad++;
    else {
      seen.add(e.key);
      entries.push(e);
    }
  }
  const state: DedupState = { version: 1, entries };
  return bad > 0 ? { state, problem: `${bad} entr${bad === 1 ? 'y was' : 'ies were'} unusable` } : { state };
}
